"""Putting a lead in a seller's hands: by the routing job, by escalation, or by hand (MG1, CE5)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from server.extensions import db
from server.lead_routing.sla import first_contact_deadline
from server.models import DealerGroup, Lead, LeadEntry, Notification, User
from server.realtime.events import record_event

# Who hears about an assignment besides the seller: the managers of the lead's site, admins, and
# the cell (whose inbox of waiting leads drops the lead at once).
ASSIGNMENT_AUDIENCE = ("manager", "admin", "cell")


def assign(lead: Lead, seller: User, now: datetime, *, by: User | None = None, kind: str = "assigned",
           reason: str = "") -> None:
    """Give `lead` to `seller`; the previous seller, if any, is told it left them."""
    previous_id = lead.assignee_id
    group = db.session.get(DealerGroup, lead.group_id)
    lead.assignee = seller
    lead.assigned_at = now
    if lead.status in ("new", "assigned") or kind == "reassigned":
        lead.status = "assigned"
    if kind == "reassigned" or lead.first_contact_at is None and previous_id is not None:
        # The new seller gets a full clock of their own.
        lead.first_contact_due_at = first_contact_deadline(group, lead.kind, lead.source, now, lead.site)
        lead.escalated_at = None
    elif previous_id is None and lead.first_contact_at is None:
        lead.first_contact_due_at = first_contact_deadline(group, lead.kind, lead.source, lead.received_at, lead.site)
    texts = {
        "assigned": _("Assigned to %(name)s.", name=seller.full_name),
        "transferred": _("Transferred to %(name)s.", name=seller.full_name),
        "reassigned": _("Reassigned to %(name)s: no first contact in time.", name=seller.full_name),
    }
    body = texts[kind] + (f" {reason}" if reason else "")
    db.session.add(LeadEntry(lead=lead, at=now, user=by, kind=kind, body=body,
                             data={"to": seller.id, "from": previous_id, "reason": reason}))
    record_event("lead.assigned", lead, roles=ASSIGNMENT_AUDIENCE, user_ids=(seller.id, previous_id))


def notify(users: list[User], lead: Lead, kind: str, text: str) -> None:
    for user in users:
        db.session.add(Notification(user_id=user.id, kind=kind, text=text, lead_id=lead.id))


def site_managers_and_cell(lead: Lead) -> list[User]:
    users = db.session.execute(select(User).where(User.active, User.role.in_(("manager", "cell")))).scalars()
    return [u for u in users if u.role == "cell" or (lead.site_id is not None and lead.site_id in u.site_ids)]
