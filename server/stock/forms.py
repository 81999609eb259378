"""Form parsing for stock entry and alerts: plain dicts of values and of errors per field.

The forms are short and have no shared widgets, so the request's form is read directly; the CSRF
token is checked for every POST by the app-wide CSRFProtect.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from server.extensions import db
from server.models import StockVehicle
from server.models.vehicle import FUELS

MAX_PRICE_EUR = 2_000_000
MAX_MILEAGE_KM = 2_000_000


def _text(form: MultiDict, name: str, limit: int) -> str:
    return (form.get(name) or "").strip()[:limit]


def _number(form: MultiDict, name: str, errors: dict, low: int, high: int) -> int | None:
    raw = (form.get(name) or "").strip().replace(" ", "").replace("\xa0", "")
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = _("A whole number between %(low)s and %(high)s.", low=low, high=high)
        return None
    return int(raw)


def parse_vehicle(form: MultiDict, site_ids: set[int]) -> tuple[dict, dict]:
    """A vehicle entered by hand: (column values, errors by field)."""
    errors: dict[str, str] = {}
    year_max = date.today().year + 1
    values: dict = {
        "kind": form.get("kind") if form.get("kind") in ("VN", "VO") else "VO",
        "stock_ref": _text(form, "stock_ref", 32),
        "make": _text(form, "make", 64),
        "model": _text(form, "model", 64),
        "version": _text(form, "version", 128),
        "colour": _text(form, "colour", 64) or None,
        "vin": _text(form, "vin", 17).upper() or None,
        "plate": _text(form, "plate", 16).upper() or None,
        "fuel": form.get("fuel") if form.get("fuel") in FUELS else None,
        "year": _number(form, "year", errors, 1950, year_max),
        "mileage_km": _number(form, "mileage_km", errors, 0, MAX_MILEAGE_KM) or 0,
        "status": "available",
    }
    price = _number(form, "price_eur", errors, 1, MAX_PRICE_EUR)
    site_id = _number(form, "site_id", errors, 1, 2**31 - 1)
    for name in ("stock_ref", "make", "model"):
        if not values[name]:
            errors[name] = _("Required.")
    if price is None and "price_eur" not in errors:
        errors["price_eur"] = _("Required.")
    if site_id not in site_ids:
        errors["site_id"] = _("Choose one of your sites.")
    if values["stock_ref"] and db.session.execute(
        select(StockVehicle.id).where(StockVehicle.stock_ref == values["stock_ref"])
    ).first():
        errors["stock_ref"] = _("This reference is already in stock.")
    values["price_cents"] = (price or 0) * 100
    values["site_id"] = site_id
    values["price_eur"] = price
    if not errors:
        values.pop("price_eur")
    return values, errors


def parse_criteria(form: MultiDict, site_ids: set[int]) -> tuple[dict, dict]:
    """Alert criteria: (criteria as stored in VoAlert.criteria, errors by field)."""
    errors: dict[str, str] = {}
    max_price = _number(form, "max_price_eur", errors, 1, MAX_PRICE_EUR)
    site_id = _number(form, "site_id", errors, 1, 2**31 - 1)
    if site_id is not None and site_id not in site_ids:
        errors["site_id"] = _("Choose a site of your group.")
    criteria = {
        "make": _text(form, "make", 64) or None,
        "model": _text(form, "model", 64) or None,
        "max_price_cents": max_price * 100 if max_price else None,
        "max_mileage_km": _number(form, "max_mileage_km", errors, 0, MAX_MILEAGE_KM),
        "min_year": _number(form, "min_year", errors, 1950, date.today().year + 1),
        "fuel": form.get("fuel") if form.get("fuel") in FUELS else None,
        "site_id": site_id,
    }
    criteria = {key: value for key, value in criteria.items() if value is not None}
    if not criteria and not errors:
        # An empty alert would fire on every used car of the group.
        errors["make"] = _("Give at least one criterion (a make, a model, a budget...).")
    return criteria, errors
