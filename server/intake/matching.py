"""Who is this person, and are they already asking for the same thing? (BX2)

A lead links to an existing contact with the same phone (E.164) or e-mail; the same person with
an open lead of the same kind received in the last 30 days joins that lead instead of making a
second one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import Contact, Lead, OwnedVehicle, utcnow
from server.models.lead import OPEN_STATUSES

DUPLICATE_WINDOW = timedelta(days=30)


def find_contact(phone: str | None, email: str | None) -> Contact | None:
    for column, value in ((Contact.phone, phone), (Contact.email, email)):
        if value:
            found = db.session.execute(
                select(Contact).where(column == value).order_by(Contact.id).limit(1)
            ).scalar_one_or_none()
            if found is not None:
                return found
    return None


def find_open_duplicate(contact: Contact, kind: str) -> Lead | None:
    if contact.id is None:
        return None
    return db.session.execute(
        select(Lead)
        .where(
            Lead.contact_id == contact.id,
            Lead.kind == kind,
            Lead.status.in_(OPEN_STATUSES),
            Lead.received_at >= utcnow() - DUPLICATE_WINDOW,
        )
        .order_by(Lead.received_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def find_owned_vehicle(contact: Contact, plate: str | None, vin: str | None) -> OwnedVehicle | None:
    if contact.id is None or not (plate or vin):
        return None
    for column, value in ((OwnedVehicle.vin, vin), (OwnedVehicle.plate, plate)):
        if value:
            found = db.session.execute(
                select(OwnedVehicle).where(OwnedVehicle.contact_id == contact.id, column == value).limit(1)
            ).scalar_one_or_none()
            if found is not None:
                return found
    return None


def normalize_plate(plate: str | None) -> str | None:
    """'ab 123 cd' -> 'AB-123-CD' (French SIV format); other formats upper-cased as given."""
    if not plate:
        return None
    compact = "".join(ch for ch in plate.upper() if ch.isalnum())
    if len(compact) == 7 and compact[:2].isalpha() and compact[2:5].isdigit() and compact[5:].isalpha():
        return f"{compact[:2]}-{compact[2:5]}-{compact[5:]}"
    return plate.strip().upper()
