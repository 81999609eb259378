"""Response-time clocks at work (BX3): escalate breached leads, then hand them to someone else."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from server.extensions import db
from server.lead_routing.assign import assign, notify, site_managers_and_cell
from server.lead_routing.decide import decide
from server.lead_routing.sla import reassignment_deadline
from server.models import DealerGroup, Lead, LeadEntry, User, utcnow
from server.realtime.events import record_event
from server.tenancy import all_groups, group_scope

log = logging.getLogger(__name__)
BATCH = 200


def _due(now, *conditions) -> list[tuple[int, int]]:
    rows = db.session.execute(all_groups(
        select(Lead.id, Lead.group_id)
        .where(Lead.status.in_(("assigned", "in_progress")), Lead.first_contact_at.is_(None), *conditions)
        .order_by(Lead.first_contact_due_at).limit(BATCH)
    )).all()
    db.session.rollback()
    return [(lead_id, group_id) for lead_id, group_id in rows]


def check_deadlines() -> dict:
    now = utcnow()
    escalated = reassigned = 0
    for lead_id, group_id in _due(now, Lead.escalated_at.is_(None), Lead.first_contact_due_at <= now):
        with group_scope(group_id):
            escalated += escalate(lead_id)
    for lead_id, group_id in _due(now, Lead.escalated_at.is_not(None)):
        with group_scope(group_id):
            reassigned += reassign_if_due(lead_id)
    return {"escalated": escalated, "reassigned": reassigned}


def _locked(lead_id: int) -> Lead | None:
    return db.session.execute(select(Lead).where(Lead.id == lead_id).with_for_update()).scalar_one_or_none()


def escalate(lead_id: int) -> int:
    """First deadline passed with no first contact: the site's managers hear of it."""
    now = utcnow()
    lead = _locked(lead_id)
    if lead is None or lead.escalated_at is not None or lead.first_contact_at is not None or not lead.is_open:
        db.session.rollback()
        return 0
    lead.escalated_at = now
    seller = lead.assignee.full_name if lead.assignee else _("nobody")
    text = _("No first contact before the deadline (%(seller)s): escalated to the managers.", seller=seller)
    db.session.add(LeadEntry(lead=lead, at=now, kind="escalated", body=text))
    notify([u for u in site_managers_and_cell(lead) if u.role == "manager"], lead, "escalated", text)
    record_event("lead.escalated", lead, roles=("manager", "admin"), user_ids=(lead.assignee_id,))
    db.session.commit()
    return 1


def reassign_if_due(lead_id: int) -> int:
    """Second deadline passed too: the lead goes to another seller on duty, if there is one."""
    now = utcnow()
    lead = _locked(lead_id)
    if lead is None or lead.escalated_at is None or lead.first_contact_at is not None or not lead.is_open:
        db.session.rollback()
        return 0
    group = db.session.get(DealerGroup, lead.group_id)
    if now < reassignment_deadline(group, lead):
        db.session.rollback()
        return 0
    decision = decide(lead, now, exclude={lead.assignee_id} if lead.assignee_id else set())
    if decision.outcome != "seller":
        db.session.rollback()
        return 0
    assign(lead, db.session.get(User, decision.seller.user_id), now, kind="reassigned")
    db.session.commit()
    return 1
