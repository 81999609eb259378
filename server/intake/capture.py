"""The one capture service every channel goes through (widget, API, ADF, e-mail, agent, showroom).

It takes a validated lead (server.intake.schemas), links it to the customer, joins it to an open
lead of the same person and kind or updates the lead a resend refers to, and otherwise writes the
lead, its first timeline entry, its routing outbox row and the `lead.created` event. It flushes and
never commits: the caller commits once, and the side effects run after that commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select

from server.after_commit import on_commit
from server.extensions import db
from server.intake.matching import find_contact, find_open_duplicate, find_owned_vehicle, normalize_plate
from server.lead_routing.jobs import enqueue_routing
from server.lead_routing.sla import first_contact_deadline
from server.models import (
    Consent,
    Contact,
    DealerGroup,
    ExternalRef,
    Lead,
    LeadEntry,
    OwnedVehicle,
    RoutingOutbox,
    Site,
    StockVehicle,
    User,
    utcnow,
)
from server.realtime.events import record_event
from server.tenancy import current_group_id

Outcome = Literal["created", "joined", "updated"]
NEW_LEAD_AUDIENCE = ("cell", "manager", "admin")


class CaptureError(ValueError):
    """The lead is valid in shape but names something this group does not have (a site code...)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("invalid lead")
        self.fields = fields


@dataclass
class CaptureResult:
    lead: Lead
    outcome: Outcome


def capture_lead(
    data: dict,
    *,
    channel: str,
    source: str,
    raw_payload: str | None = None,
    created_by: User | None = None,
    assign_to: User | None = None,
    default_site: Site | None = None,
) -> CaptureResult:
    """Capture one validated lead (see the module docstring); flushed, so the lead has its id."""
    result = _capture(data, channel, source, raw_payload, created_by, assign_to, default_site)
    db.session.flush()
    return result


def _capture(
    data: dict,
    channel: str,
    source: str,
    raw_payload: str | None,
    created_by: User | None,
    assign_to: User | None,
    default_site: Site | None,
) -> CaptureResult:
    group = db.session.get(DealerGroup, current_group_id())
    source = (data.get("source") or source).lower()
    external_id = data.get("external_id")
    site = _site(data.get("site")) or default_site

    if external_id:
        resent = db.session.execute(
            select(Lead).join(ExternalRef, ExternalRef.lead_id == Lead.id)
            .where(ExternalRef.source == source, ExternalRef.external_id == external_id)
        ).scalar_one_or_none()
        if resent is not None:
            _apply_resend(resent, data, raw_payload)
            return CaptureResult(resent, "updated")

    contact = _contact(data["customer"], data.get("consent"), source)
    duplicate = find_open_duplicate(contact, data["kind"])
    if duplicate is not None:
        _join(duplicate, data, source, channel, created_by)
        _remember_external_id(duplicate, source, external_id)
        return CaptureResult(duplicate, "joined")

    now = utcnow()
    stock = _stock(data.get("vehicle", {}).get("stock_ref"))
    if site is None and stock is not None:
        site = stock.site
    vehicle = dict(data.get("vehicle") or {})
    lead = Lead(
        kind=data["kind"],
        source=source,
        channel=channel,
        external_id=external_id,
        raw_payload=raw_payload,
        site=site,
        brand=data.get("brand") or vehicle.get("make") or (stock.make if stock else None),
        contact=contact,
        stock_vehicle=stock,
        vehicle=vehicle,
        trade_in=_trade_in(contact, data.get("trade_in")),
        workshop=_workshop(data.get("workshop")),
        message=data.get("message", ""),
        timeframe=data.get("timeframe"),
        financing=data.get("financing"),
        interest=data.get("interest", "warm"),
        created_by=created_by,
        received_at=now,
        stage_changed_at=now,
        first_contact_due_at=first_contact_deadline(group, data["kind"], source, now, site),
    )
    db.session.add(lead)
    _remember_external_id(lead, source, external_id)
    db.session.add(LeadEntry(lead=lead, at=now, user=created_by, kind="received",
                             body=_("Lead received from %(source)s.", source=source),
                             data={"channel": channel}))
    if assign_to is not None:
        lead.assignee = assign_to
        lead.status = "assigned"
        lead.assigned_at = now
        db.session.add(LeadEntry(lead=lead, at=now, user=assign_to, kind="assigned",
                                 body=_("Taken by %(name)s.", name=assign_to.full_name)))
        record_event("lead.created", lead, roles=NEW_LEAD_AUDIENCE, user_ids=(assign_to.id,))
    else:
        db.session.add(RoutingOutbox(lead=lead))
        record_event("lead.created", lead, roles=NEW_LEAD_AUDIENCE)
        db.session.flush()  # the routing job is enqueued by id
        on_commit(enqueue_routing, lead.id, lead.group_id)
    return CaptureResult(lead, "created")


def _remember_external_id(lead: Lead, source: str, external_id: str | None) -> None:
    if external_id:
        db.session.add(ExternalRef(lead=lead, source=source, external_id=external_id))


def _site(code: str | None) -> Site | None:
    if not code:
        return None
    site = db.session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
    if site is None:
        raise CaptureError({"site": [f"Unknown site code {code!r}."]})
    return site


def _stock(stock_ref: str | None) -> StockVehicle | None:
    if not stock_ref:
        return None
    return db.session.execute(select(StockVehicle).where(StockVehicle.stock_ref == stock_ref)).scalar_one_or_none()


def _contact(customer: dict, consent: dict | None, source: str) -> Contact:
    contact = find_contact(customer.get("phone"), customer.get("email"))
    if contact is None:
        contact = Contact()
        db.session.add(contact)
    # Fill what we did not know; never overwrite what the dealer already holds.
    for field in ("first_name", "last_name", "email", "phone", "postal_code", "city", "language"):
        if customer.get(field) and not getattr(contact, field):
            setattr(contact, field, customer[field])
    if consent:
        for purpose in ("contact", "marketing"):
            if consent.get(purpose) is not None:
                for channel in ("email", "phone"):
                    db.session.add(Consent(
                        contact=contact, channel=channel, purpose=purpose, granted=bool(consent[purpose]),
                        text_version=consent.get("text_version", ""), page_url=consent.get("page_url", ""),
                        source=source,
                    ))
    return contact


def _trade_in(contact: Contact, trade_in: dict | None) -> OwnedVehicle | None:
    if not trade_in:
        return None
    plate = normalize_plate(trade_in.get("plate"))
    vehicle = find_owned_vehicle(contact, plate, trade_in.get("vin"))
    if vehicle is None:
        vehicle = OwnedVehicle(contact=contact)
        db.session.add(vehicle)
    for field in ("make", "model", "version", "year", "mileage_km", "vin", "fuel"):
        if trade_in.get(field) is not None:
            setattr(vehicle, field, trade_in[field])
    if plate:
        vehicle.plate = plate
    return vehicle


def _workshop(workshop: dict | None) -> dict:
    if not workshop:
        return {}
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in workshop.items()}


def _join(lead: Lead, data: dict, source: str, channel: str, created_by: User | None) -> None:
    """A second request from the same person for the same need: one more line on the open lead."""
    message = data.get("message", "")
    body = _("Same customer asked again through %(source)s while this lead was open: joined here instead of "
             "creating a duplicate.", source=source)
    db.session.add(LeadEntry(lead=lead, user=created_by, kind="duplicate_joined",
                             body=f"{body}\n{message}" if message else body,
                             data={"source": source, "channel": channel, "vehicle": data.get("vehicle") or {}}))
    if data.get("trade_in") and lead.trade_in is None:
        lead.trade_in = _trade_in(lead.contact, data["trade_in"])
    lead.updated_at = utcnow()
    record_event("lead.updated", lead, roles=NEW_LEAD_AUDIENCE, user_ids=(lead.assignee_id,))


def _apply_resend(lead: Lead, data: dict, raw_payload: str | None) -> None:
    """The same source sent the same lead again: update it, never duplicate it (BX1)."""
    changed = []
    for field in ("message", "timeframe", "financing"):
        if data.get(field) is not None and getattr(lead, field) != data[field]:
            setattr(lead, field, data[field])
            changed.append(field)
    if data.get("vehicle") and data["vehicle"] != lead.vehicle:
        lead.vehicle = dict(data["vehicle"])
        changed.append("vehicle")
    if data.get("trade_in") and lead.trade_in is None:
        lead.trade_in = _trade_in(lead.contact, data["trade_in"])
        changed.append("trade_in")
    if raw_payload:
        lead.raw_payload = raw_payload
    lead.updated_at = utcnow()
    db.session.add(LeadEntry(lead=lead, kind="resent", data={"changed": changed},
                             body=_("The source sent this lead again; updated: %(fields)s.",
                                    fields=", ".join(changed) or _("nothing"))))
    record_event("lead.updated", lead, roles=NEW_LEAD_AUDIENCE, user_ids=(lead.assignee_id,))
