"""/customers: find a customer by name, phone or e-mail, and open their file."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import selectinload

from server.auth.access import feature_required, roles_required
from server.customers.scope import CUSTOMER_ROLES, visible_customers
from server.extensions import db
from server.intake.normalize import display_phone, normalize_phone
from server.leads.visibility import can_see_lead
from server.models import Consent, Contact, Lead
from server.stock.alerts import alert_form_context

bp = Blueprint("customers", __name__, url_prefix="/customers")

SEARCH_LIMIT = 50
SEARCH_WORDS = 5
CONSENT_WORDS = {
    "email": _l("E-mail"), "phone": _l("Phone"), "sms": _l("SMS"), "post": _l("Post"),
    "contact": _l("Contact"), "marketing": _l("Marketing"),
}


def _word_condition(word: str) -> ColumnElement[bool]:
    # One ILIKE per column (never on a concatenation): each is answered by that column's trigram
    # index on PostgreSQL, instead of reading every customer of the group.
    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(column.ilike(pattern, escape="\\") for column in (Contact.first_name, Contact.last_name,
                                                                    Contact.email)))


def _search_condition(q: str) -> ColumnElement[bool]:
    """Every word in a name part or the e-mail ("camille martin" and "martin camille" alike), or
    the phone as stored (E.164) when the text reads as a number.

    Words of one or two letters count only when there is no longer one: a trigram index cannot
    look them up, and "06 12 34 56 78" is a phone number, not five words."""
    words = q.split()[:SEARCH_WORDS]
    long_words = [word for word in words if len(word) >= 3]
    phone = None
    with suppress(ValueError):
        # "06 12 34 56 78" is how customers give their number; the database keeps +33612345678.
        phone = normalize_phone(q)
    conditions = [Contact.phone == phone] if phone else []
    if long_words or phone is None:
        conditions.append(and_(*(_word_condition(word) for word in long_words or words)))
    return or_(*conditions)


@bp.route("")
@roles_required(*CUSTOMER_ROLES)
@feature_required("SM2", "SD5")
def search():
    q = request.args.get("q", "").strip()[:100]
    results: list[Contact] = []
    if q:
        results = list(db.session.execute(
            visible_customers(current_user)
            .where(_search_condition(q))
            .order_by(Contact.last_name, Contact.first_name, Contact.id)
            .limit(SEARCH_LIMIT)
        ).scalars())
    return render_template("customers/search.html", q=q, results=results, limit=SEARCH_LIMIT,
                           display_phone=display_phone)


def latest_consents(consents: list[Consent]) -> list[Consent]:
    """The answer in force per channel and purpose: the last one recorded wins."""
    latest: dict[tuple[str, str], Consent] = {}
    for consent in sorted(consents, key=lambda c: (c.recorded_at, c.id)):
        latest[(consent.channel, consent.purpose)] = consent
    return [latest[key] for key in sorted(latest)]


@bp.route("/<int:contact_id>")
@roles_required(*CUSTOMER_ROLES)
@feature_required("SM2", "SD5")
def file(contact_id: int):
    contact = db.session.execute(
        visible_customers(current_user).where(Contact.id == contact_id).options(
            selectinload(Contact.consents), selectinload(Contact.owned_vehicles),
            selectinload(Contact.purchases), selectinload(Contact.workshop_visits),
        )
    ).scalar_one_or_none()
    if contact is None:
        abort(404)
    leads = list(db.session.execute(
        select(Lead).where(Lead.contact_id == contact.id)
        .options(selectinload(Lead.assignee), selectinload(Lead.site), selectinload(Lead.stock_vehicle))
        .order_by(Lead.received_at.desc(), Lead.id.desc())
    ).scalars())
    # Every lead is listed (the customer's whole story); only those the user may open are links.
    openable = {lead.id for lead in leads if can_see_lead(current_user, lead)}
    vehicles = {vehicle.id: vehicle for vehicle in contact.owned_vehicles}
    return render_template(
        "customers/file.html", contact=contact, consents=latest_consents(contact.consents), leads=leads,
        openable=openable, vehicles=vehicles, display_phone=display_phone, words=CONSENT_WORDS,
        alert=alert_form_context(contact_id=contact.id, leads=[lead for lead in leads if lead.id in openable]),
    )
