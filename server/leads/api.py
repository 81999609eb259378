"""What a seller, the cell and managers do to a lead through the API.

Acknowledge (CONTRACT), report it on screen and log calls (speed-to-lead, BX5), notes, stage and
interest, the owned vehicle, closing and reopening (`server.leads.workflow`), and assign or transfer
it by hand (MG1, CE5). Every write accepts an `Idempotency-Key`: the phone's offline queue replays.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, update

from server.api.errors import ApiError, json_object_body
from server.api.idempotent import commit_answer, idempotent
from server.auth.access import feature_required, roles_required
from server.extensions import csrf, db
from server.lead_routing.assign import assign
from server.leads import workflow
from server.leads.serialize import lead_json
from server.leads.visibility import visible_leads
from server.models import Lead, LeadEntry, RoutingOutbox, User, utcnow
from server.realtime.events import record_event

bp = Blueprint("lead_api", __name__, url_prefix="/api/v1/leads")
csrf.exempt(bp)

UPDATE_AUDIENCE = workflow.UPDATE_AUDIENCE


def _lead_for_update(lead_id: int) -> Lead:
    lead = db.session.execute(
        visible_leads(current_user).where(Lead.id == lead_id).with_for_update()
    ).scalar_one_or_none()
    if lead is None:
        raise ApiError(404, "No such lead.")
    return lead


def _assignee_only(lead: Lead) -> None:
    if lead.assignee_id != current_user.id:
        raise ApiError(403, "Only the seller the lead is assigned to can do this.")


@bp.route("/<int:lead_id>/ack", methods=["POST"])
@login_required
@idempotent
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
    return commit_answer(lead_json(lead))


@bp.route("/<int:lead_id>/seen", methods=["POST"])
@login_required
def seen(lead_id: int):
    """The assignee's screen shows the lead: 'on screen' in the speed-to-lead chain."""
    lead = _lead_for_update(lead_id)
    if lead.assignee_id == current_user.id and lead.displayed_at is None:
        lead.displayed_at = utcnow()
        db.session.commit()
    return jsonify({"id": str(lead.id), "displayed_at": lead.displayed_at.isoformat() if lead.displayed_at else None})


def _work(change, status: int = 200, feature: tuple[str, ...] = ()):
    """Runs one `workflow` change on a lead the user can see, and answers with the lead."""

    def view(lead_id: int):
        if feature and not any(current_user.group.has_feature(fid) for fid in feature):
            raise ApiError(403, "This feature is not part of your subscription.")
        data = json_object_body()
        lead = _lead_for_update(lead_id)
        change(lead, current_user, data, utcnow())
        return commit_answer(lead_json(lead), status)

    view.__name__ = change.__name__
    return login_required(idempotent(view))


bp.add_url_rule("/<int:lead_id>/calls", view_func=_work(workflow.log_call, 201), methods=["POST"])
bp.add_url_rule("/<int:lead_id>/notes", view_func=_work(workflow.add_note, 201), methods=["POST"])
bp.add_url_rule("/<int:lead_id>", view_func=_work(workflow.qualify, feature=("SM6", "SD3")), methods=["PATCH"])
bp.add_url_rule("/<int:lead_id>/trade-in", view_func=_work(workflow.set_trade_in, feature=("SM5", "CE3")),
                methods=["PUT"])
bp.add_url_rule("/<int:lead_id>/close", view_func=_work(workflow.close, feature=("SM8",)), methods=["POST"])
bp.add_url_rule("/<int:lead_id>/reopen", view_func=_work(workflow.reopen, feature=("SM8",)), methods=["POST"])


@bp.route("/<int:lead_id>/assign", methods=["POST"])
@roles_required("manager", "cell", "admin")
@feature_required("MG1", "CE5")
def assign_by_hand(lead_id: int):
    data = json_object_body()
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
