"""What a seller, the cell and managers do to a lead through the API.

Acknowledge (CONTRACT), report it on screen and log calls (speed-to-lead, BX5), and assign or
transfer it by hand (MG1, CE5).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, update

from server.api.errors import ApiError
from server.auth.access import feature_required, roles_required
from server.extensions import csrf, db
from server.lead_routing.assign import assign
from server.leads.serialize import lead_json
from server.leads.visibility import visible_leads
from server.models import Action, Lead, LeadEntry, RoutingOutbox, User, utcnow
from server.realtime.events import record_event

bp = Blueprint("lead_api", __name__, url_prefix="/api/v1/leads")
csrf.exempt(bp)

CALL_OUTCOMES = ("reached", "no_answer", "wrong_number", "call_back")
UPDATE_AUDIENCE = ("manager", "admin")


def _lead_for_update(lead_id: int) -> Lead:
    lead = db.session.execute(
        visible_leads(current_user).where(Lead.id == lead_id).with_for_update()
    ).scalar_one_or_none()
    if lead is None:
        raise ApiError(404, "No such lead.")
    return lead


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.content_length:
        raise ApiError(400, "The body must be a JSON object.", "malformed_json")
    return data if isinstance(data, dict) else {}


def _assignee_only(lead: Lead) -> None:
    if lead.assignee_id != current_user.id:
        raise ApiError(403, "Only the seller the lead is assigned to can do this.")


@bp.route("/<int:lead_id>/ack", methods=["POST"])
@login_required
def acknowledge(lead_id: int):
    lead = _lead_for_update(lead_id)
    _assignee_only(lead)
    now = utcnow()
    if lead.acknowledged_at is None:
        lead.acknowledged_at = now
        lead.displayed_at = lead.displayed_at or now
        if lead.status == "assigned":
            lead.status = "in_progress"
        db.session.add(LeadEntry(lead=lead, at=now, user=current_user, kind="acknowledged",
                                 body=_("Acknowledged by %(name)s.", name=current_user.full_name)))
        record_event("lead.updated", lead, roles=UPDATE_AUDIENCE, user_ids=(lead.assignee_id,))
        db.session.commit()
    return jsonify(lead_json(lead))


@bp.route("/<int:lead_id>/seen", methods=["POST"])
@login_required
def seen(lead_id: int):
    """The assignee's screen shows the lead: 'on screen' in the speed-to-lead chain."""
    lead = _lead_for_update(lead_id)
    if lead.assignee_id == current_user.id and lead.displayed_at is None:
        lead.displayed_at = utcnow()
        db.session.commit()
    return jsonify({"id": str(lead.id), "displayed_at": lead.displayed_at.isoformat() if lead.displayed_at else None})


@bp.route("/<int:lead_id>/calls", methods=["POST"])
@login_required
def log_call(lead_id: int):
    """A call to the customer and how it went; the first one is the lead's first contact."""
    data = _body()
    outcome = data.get("outcome")
    fields: dict[str, list[str]] = {}
    if outcome not in CALL_OUTCOMES:
        fields["outcome"] = [f"Must be one of: {', '.join(CALL_OUTCOMES)}."]
    call_back_at = None
    if outcome == "call_back":
        try:
            call_back_at = datetime.fromisoformat(str(data.get("call_back_at")))
            if call_back_at.tzinfo is None:
                raise ValueError
        except ValueError:
            fields["call_back_at"] = ["An ISO 8601 date and time with its offset is required."]
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > 5000:
        fields["note"] = ["Text of 5000 characters at most."]
    if fields:
        raise ApiError(422, "Invalid call report.", fields=fields)
    lead = _lead_for_update(lead_id)
    if current_user.role not in ("seller", "cell") or (current_user.role == "seller" and lead.assignee_id != current_user.id):
        raise ApiError(403, "Only the lead's seller or the lead cell log calls on it.")
    now = utcnow()
    labels = {"reached": _("Customer reached"), "no_answer": _("No answer"),
              "wrong_number": _("Wrong number"), "call_back": _("Call back requested")}
    body = labels[outcome] + (f" — {note}" if note else "")
    db.session.add(LeadEntry(lead=lead, at=now, user=current_user, kind="call", body=body,
                             data={"outcome": outcome, "call_back_at": call_back_at.isoformat() if call_back_at else None}))
    if lead.first_contact_at is None:
        lead.first_contact_at = now
    if outcome == "reached" and lead.stage == "new":
        lead.stage, lead.stage_changed_at = "contacted", now
    if lead.status == "assigned" and lead.assignee_id == current_user.id:
        lead.status = "in_progress"
        lead.acknowledged_at = lead.acknowledged_at or now
    if call_back_at is not None:
        db.session.add(Action(type="call", title=_("Call the customer back"), due_at=call_back_at, lead=lead,
                              contact_id=lead.contact_id, user_id=lead.assignee_id or current_user.id,
                              created_by_id=current_user.id))
    record_event("lead.updated", lead, roles=UPDATE_AUDIENCE, user_ids=(lead.assignee_id,))
    db.session.commit()
    return jsonify(lead_json(lead)), 201


@bp.route("/<int:lead_id>/assign", methods=["POST"])
@roles_required("manager", "cell", "admin")
@feature_required("MG1", "CE5")
def assign_by_hand(lead_id: int):
    data = _body()
    fields: dict[str, list[str]] = {}
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        fields["reason"] = ["Say why (the seller and the timeline will read it)."]
    user_id = data.get("user_id")
    if not isinstance(user_id, int | str) or not str(user_id).isdigit():
        fields["user_id"] = ["A seller id is required."]
    if fields:
        raise ApiError(422, "Invalid assignment.", fields=fields)
    lead = _lead_for_update(lead_id)
    if not lead.is_open:
        raise ApiError(422, "A closed lead cannot be assigned; reopen it first.", fields={"lead": ["Closed."]})
    seller = db.session.execute(
        select(User).where(User.id == int(user_id), User.role == "seller", User.active)
    ).scalar_one_or_none()
    if seller is None:
        raise ApiError(422, "No such active seller in your group.", fields={"user_id": ["Unknown seller."]})
    if current_user.role == "manager" and not (seller.site_ids & current_user.site_ids):
        raise ApiError(403, "This seller does not work at your sites.")
    if seller.id == lead.assignee_id:
        return jsonify(lead_json(lead))
    kind = "transferred" if lead.assignee_id else "assigned"
    now = utcnow()
    assign(lead, seller, now, by=current_user, kind=kind, reason=reason.strip())
    # Routing must not overrule the hand that assigned it.
    db.session.execute(
        update(RoutingOutbox).where(RoutingOutbox.lead_id == lead.id, RoutingOutbox.processed_at.is_(None))
        .values(processed_at=now), execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return jsonify(lead_json(lead))
