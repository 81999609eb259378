"""Find a customer or a stock vehicle while someone types: the agent screen and direct entry share these.

Every query here goes through the ORM, so `server.tenancy` confines it to the signed-in user's
group; nothing in this module filters by group itself, on purpose (one place for isolation).
"""

from __future__ import annotations

import re

from flask_babel import format_currency
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.intake.normalize import display_phone
from server.models import Contact, Lead, StockVehicle
from server.models.lead import OPEN_STATUSES

MIN_CUSTOMER_QUERY = 3
MIN_STOCK_QUERY = 2
MAX_RESULTS = 8
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")


def _escape_like(value: str) -> str:
    """A literal for LIKE: e-mails are full of '_', which LIKE reads as a wildcard."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def phone_prefixes(query: str) -> list[str]:
    """What the agent typed, as the start of an E.164 number: '06 12' -> ['+33612'].

    Contacts are stored in E.164, while callers read out their number in French national form;
    a number typed without its leading zero ('612...') is tried both as French and as international.
    """
    text = query.strip()
    if not _PHONE_LIKE.match(text):
        return []
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_CUSTOMER_QUERY:
        return []
    if text.startswith("+"):
        return ["+" + digits]
    if digits.startswith("00"):
        return ["+" + digits[2:]]
    if digits.startswith("0"):
        return ["+33" + digits[1:]]
    return ["+33" + digits, "+" + digits]


def search_contacts(query: str, limit: int = MAX_RESULTS) -> list[Contact]:
    """Contacts whose phone starts with the typed number, or whose e-mail or name starts with the text."""
    query = (query or "").strip()[:100]
    if len(query) < MIN_CUSTOMER_QUERY:
        return []
    prefixes = phone_prefixes(query)
    if prefixes:
        condition = or_(*(Contact.phone.like(_escape_like(p) + "%", escape="\\") for p in prefixes))
    else:
        pattern = _escape_like(query.lower()) + "%"
        full_name = func.lower(Contact.first_name + " " + Contact.last_name)
        reversed_name = func.lower(Contact.last_name + " " + Contact.first_name)
        condition = or_(
            func.lower(Contact.email).like(pattern, escape="\\"),
            func.lower(Contact.last_name).like(pattern, escape="\\"),
            full_name.like(pattern, escape="\\"),
            reversed_name.like(pattern, escape="\\"),
        )
    statement = (
        select(Contact)
        .where(condition)
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
        .limit(limit)
        .options(selectinload(Contact.owned_vehicles))
    )
    return list(db.session.execute(statement).scalars())


def open_lead_counts(contacts: list[Contact]) -> dict[int, int]:
    if not contacts:
        return {}
    rows = db.session.execute(
        select(Lead.contact_id, func.count())
        .where(Lead.contact_id.in_([c.id for c in contacts]), Lead.status.in_(OPEN_STATUSES))
        .group_by(Lead.contact_id)
    ).all()
    return {contact_id: count for contact_id, count in rows}


def contact_json(contact: Contact, open_leads: int) -> dict:
    return {
        "id": str(contact.id),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "name": contact.full_name,
        "phone": contact.phone,
        "phone_display": display_phone(contact.phone),
        "email": contact.email,
        "postal_code": contact.postal_code,
        "city": contact.city,
        "open_leads": open_leads,
        "owned_vehicles": [
            {"make": v.make, "model": v.model, "year": v.year, "mileage_km": v.mileage_km, "plate": v.plate,
             "label": v.label}
            for v in sorted(contact.owned_vehicles, key=lambda v: (v.year or 0, v.id), reverse=True)
        ],
    }


def search_stock(query: str, kind: str | None = None, limit: int = MAX_RESULTS) -> list[StockVehicle]:
    """Available vehicles where every word typed is in the make, model, version or stock reference."""
    words = (query or "").lower().split()[:5]
    if len("".join(words)) < MIN_STOCK_QUERY:
        return []
    statement = select(StockVehicle).where(StockVehicle.status == "available")
    for word in words:
        pattern = "%" + _escape_like(word[:64]) + "%"
        statement = statement.where(or_(*(
            func.lower(column).like(pattern, escape="\\")
            for column in (StockVehicle.make, StockVehicle.model, StockVehicle.version, StockVehicle.stock_ref)
        )))
    if kind in ("VN", "VO"):
        statement = statement.where(StockVehicle.kind == kind)
    statement = (
        statement.order_by(StockVehicle.make, StockVehicle.model, StockVehicle.price_cents, StockVehicle.id)
        .limit(limit)
        .options(selectinload(StockVehicle.site))
    )
    return list(db.session.execute(statement).scalars())


def find_stock_vehicle(text: str | None, kind: str | None = None) -> StockVehicle | None:
    """The vehicle a typed reference designates: the exact reference, else the only search match."""
    text = (text or "").strip()
    if not text:
        return None
    exact = db.session.execute(
        select(StockVehicle).where(func.upper(StockVehicle.stock_ref) == text.upper())
    ).scalar_one_or_none()
    if exact is not None:
        return exact
    matches = search_stock(text, kind, limit=2)
    return matches[0] if len(matches) == 1 else None


def stock_json(vehicle: StockVehicle) -> dict:
    return {
        "stock_ref": vehicle.stock_ref,
        "kind": vehicle.kind,
        "make": vehicle.make,
        "model": vehicle.model,
        "version": vehicle.version,
        "label": vehicle.label,
        "year": vehicle.year,
        "mileage_km": vehicle.mileage_km,
        "fuel": vehicle.fuel,
        "colour": vehicle.colour,
        "price_cents": vehicle.price_cents,
        "price_eur": vehicle.price_cents // 100,
        # Formatted here, in the reader's locale, so that the browser needs no currency rules.
        "price_label": format_currency(vehicle.price_cents // 100, "EUR", format="#,##0\xa0¤", currency_digits=False),
        "site": {"code": vehicle.site.code, "name": vehicle.site.name},
    }
