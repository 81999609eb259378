"""Working a lead: notes, stage and interest (SM6, SD3), the owned vehicle (SM5, CE3), closing and
reopening (SM8).

One home for these rules, shared by the JSON API (the phone's offline queue replays through it)
and the lead page's forms. Every change writes a timeline entry and a `lead.updated` event; nothing
here commits, the caller does, so the change, its entry and its event land together.
Invalid input raises `ApiError(422)` naming the field; a forbidden change raises `ApiError(403)`.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from server.after_commit import on_commit
from server.api.errors import ApiError
from server.extensions import db
from server.models import Action, Lead, LeadEntry, OwnedVehicle, RoutingOutbox, User
from server.models.lead import CLOSE_REASONS, INTEREST_LEVELS, STAGES
from server.realtime.events import record_event

UPDATE_AUDIENCE = ("manager", "admin")
# The stages a lead goes through while open; "order" and "abandoned" are reached by closing it.
WORK_STAGES = tuple(s for s in STAGES if s not in ("order", "abandoned"))
CLOSE_OUTCOMES = ("order", "abandoned")
QUALIFYING_ROLES = ("seller", "cell", "manager", "admin")
MAX_TEXT = 5000


def _text(data: dict, field: str, fields: dict, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > max_length:
        fields[field] = [_("Text of %(max)d characters at most.", max=max_length)]
        return ""
    if required and not value.strip():
        fields[field] = [_("Required.")]
    return value.strip()


def _changed(lead: Lead) -> None:
    record_event("lead.updated", lead, roles=UPDATE_AUDIENCE, user_ids=(lead.assignee_id,))


def _entry(lead: Lead, user: User, now: datetime, kind: str, body: str, data: dict | None = None) -> None:
    db.session.add(LeadEntry(lead=lead, at=now, user=user, kind=kind, body=body, data=data or {}))


def require_qualifier(lead: Lead, user: User) -> None:
    """A seller works their own leads; the cell, managers and admins any lead they can see."""
    if user.role not in QUALIFYING_ROLES or (user.role == "seller" and lead.assignee_id != user.id):
        raise ApiError(403, _("Only the lead's seller, the lead cell and managers can do this."))


def _require_open(lead: Lead, field: str) -> None:
    if not lead.is_open:
        raise ApiError(422, _("The lead is closed; reopen it first."), fields={field: [_("The lead is closed.")]})


def _start_work(lead: Lead, user: User, now: datetime) -> None:
    """Working a lead pushed to you acknowledges it, as the inbox's button would."""
    if lead.status == "assigned" and lead.assignee_id == user.id:
        lead.status = "in_progress"
        lead.acknowledged_at = lead.acknowledged_at or now
        lead.displayed_at = lead.displayed_at or now


def add_note(lead: Lead, user: User, data: dict, now: datetime) -> None:
    fields: dict = {}
    body = _text(data, "body", fields, required=True)
    if fields:
        raise ApiError(422, _("Invalid note."), fields=fields)
    _entry(lead, user, now, "note", body)
    _changed(lead)


CALL_OUTCOMES = ("reached", "no_answer", "wrong_number", "call_back")


def log_call(lead: Lead, user: User, data: dict, now: datetime) -> None:
    """A call to the customer and how it went; the first one is the lead's first contact (BX5)."""
    fields: dict = {}
    outcome = data.get("outcome")
    if outcome not in CALL_OUTCOMES:
        fields["outcome"] = [_("Must be one of: %(values)s.", values=", ".join(CALL_OUTCOMES))]
    call_back_at = None
    if outcome == "call_back":
        try:
            call_back_at = datetime.fromisoformat(str(data.get("call_back_at")))
            if call_back_at.tzinfo is None:
                raise ValueError
        except ValueError:
            fields["call_back_at"] = [_("An ISO 8601 date and time with its offset is required.")]
    note = _text(data, "note", fields)
    if fields:
        raise ApiError(422, _("Invalid call report."), fields=fields)
    if user.role not in ("seller", "cell") or (user.role == "seller" and lead.assignee_id != user.id):
        raise ApiError(403, _("Only the lead's seller or the lead cell log calls on it."))
    from server.web.labels import CALL_OUTCOME_LABELS

    _entry(lead, user, now, "call", str(CALL_OUTCOME_LABELS[outcome]) + (f" — {note}" if note else ""),
           {"outcome": outcome, "call_back_at": call_back_at.isoformat() if call_back_at else None})
    if lead.first_contact_at is None:
        lead.first_contact_at = now
    if outcome == "reached" and lead.stage == "new" and lead.is_open:
        from server.web.labels import STAGE_LABELS

        _entry(lead, user, now, "stage",
               _("Stage: %(old)s → %(new)s", old=STAGE_LABELS["new"], new=STAGE_LABELS["contacted"]),
               {"from": "new", "to": "contacted"})
        lead.stage, lead.stage_changed_at = "contacted", now
    _start_work(lead, user, now)
    if call_back_at is not None:
        db.session.add(Action(type="call", title=_("Call the customer back"), due_at=call_back_at, lead=lead,
                              contact_id=lead.contact_id, user_id=lead.assignee_id or user.id,
                              created_by_id=user.id))
    _changed(lead)


def qualify(lead: Lead, user: User, data: dict, now: datetime) -> bool:
    """Stage and interest level; returns whether anything changed."""
    fields: dict = {}
    stage, interest = data.get("stage"), data.get("interest")
    if stage is None and interest is None:
        fields["stage"] = [_("Give a stage or an interest level.")]
    if stage is not None and stage not in WORK_STAGES:
        fields["stage"] = [_("Must be one of: %(values)s. Close the lead for order or abandonment.",
                             values=", ".join(WORK_STAGES))]
    if interest is not None and interest not in INTEREST_LEVELS:
        fields["interest"] = [_("Must be one of: %(values)s.", values=", ".join(INTEREST_LEVELS))]
    if fields:
        raise ApiError(422, _("Invalid qualification."), fields=fields)
    require_qualifier(lead, user)
    _require_open(lead, "stage" if stage is not None else "interest")
    from server.web.labels import INTEREST_LABELS, STAGE_LABELS

    changed = False
    if stage is not None and stage != lead.stage:
        _entry(lead, user, now, "stage",
               _("Stage: %(old)s → %(new)s", old=STAGE_LABELS[lead.stage], new=STAGE_LABELS[stage]),
               {"from": lead.stage, "to": stage})
        lead.stage, lead.stage_changed_at = stage, now
        changed = True
    if interest is not None and interest != lead.interest:
        _entry(lead, user, now, "interest",
               _("Interest: %(old)s → %(new)s", old=INTEREST_LABELS[lead.interest], new=INTEREST_LABELS[interest]),
               {"from": lead.interest, "to": interest})
        lead.interest = interest
        changed = True
    if changed:
        _start_work(lead, user, now)
        _changed(lead)
    return changed


def close(lead: Lead, user: User, data: dict, now: datetime) -> None:
    fields: dict = {}
    outcome, reason = data.get("outcome"), data.get("reason") or None
    if outcome not in CLOSE_OUTCOMES:
        fields["outcome"] = [_("Must be one of: %(values)s.", values=", ".join(CLOSE_OUTCOMES))]
    if outcome == "abandoned" and reason not in CLOSE_REASONS:
        fields["reason"] = [_("Say why the project is abandoned.")]
    if outcome == "order" and reason is not None:
        fields["reason"] = [_("Only an abandonment has a reason.")]
    note = _text(data, "note", fields, required=reason == "other")
    if fields:
        raise ApiError(422, _("Invalid closing."), fields=fields)
    require_qualifier(lead, user)
    _require_open(lead, "outcome")
    from server.web.labels import CLOSE_REASON_LABELS

    stage_before = lead.stage
    if outcome == "order":
        lead.status, lead.stage, lead.close_reason = "won", "order", None
        body = _("Closed: order signed.")
    else:
        lead.status, lead.stage, lead.close_reason = "lost", "abandoned", reason
        body = _("Closed: abandoned (%(reason)s).", reason=CLOSE_REASON_LABELS[reason])
    lead.closed_at, lead.stage_changed_at, lead.close_note = now, now, note
    # Follow-ups of a closed lead would only clutter the seller's list.
    for action in db.session.execute(
        select(Action).where(Action.lead_id == lead.id, Action.done_at.is_(None))
    ).scalars():
        action.done_at, action.outcome = now, "cancelled"
    _entry(lead, user, now, "closed", body + (f" — {note}" if note else ""),
           {"outcome": outcome, "reason": reason, "stage_before": stage_before})
    _changed(lead)


def reopen(lead: Lead, user: User, data: dict, now: datetime) -> None:
    fields: dict = {}
    note = _text(data, "note", fields)
    if fields:
        raise ApiError(422, _("Invalid reopening."), fields=fields)
    require_qualifier(lead, user)
    if lead.is_open:
        raise ApiError(422, _("The lead is already open."), fields={"lead": [_("Already open.")]})
    last_close = db.session.execute(
        select(LeadEntry).where(LeadEntry.lead_id == lead.id, LeadEntry.kind == "closed")
        .order_by(LeadEntry.at.desc(), LeadEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    stage_before = (last_close.data or {}).get("stage_before") if last_close else None
    lead.stage = stage_before if stage_before in WORK_STAGES else "contacted"
    lead.closed_at, lead.close_reason, lead.close_note, lead.stage_changed_at = None, None, "", now
    if lead.assignee_id is not None:
        lead.status = "in_progress"
    else:
        # Nobody holds it: it goes back through routing like a new lead.
        from server.lead_routing.jobs import enqueue_routing

        lead.status = "new"
        outbox = db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead.id)).scalar_one_or_none()
        if outbox is None:
            db.session.add(RoutingOutbox(lead=lead))
        else:  # one row per lead: re-armed, so the job can claim it and the sweeper sees it
            outbox.processed_at, outbox.enqueued_at, outbox.last_error = None, None, None
        on_commit(enqueue_routing, lead.id, lead.group_id)
    _entry(lead, user, now, "reopened", _("Reopened by %(name)s.", name=user.full_name) + (f" — {note}" if note else ""),
           {"outcome_before": last_close.data.get("outcome") if last_close else None})
    _changed(lead)


TRADE_IN_TEXT_FIELDS = {"make": 64, "model": 64, "version": 128, "plate": 16}


def _int_field(data: dict, field: str, fields: dict, low: int, high: int) -> int | None:
    value = data.get(field)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        fields[field] = [_("A whole number from %(low)d to %(high)d.", low=low, high=high)]
    return number


def set_trade_in(lead: Lead, user: User, data: dict, now: datetime) -> None:
    """The car the customer owns and may trade in (SM5): edits the lead's, or records a new one."""
    fields: dict = {}
    values = {name: _text(data, name, fields, max_length=size) for name, size in TRADE_IN_TEXT_FIELDS.items()}
    if not values["make"] and not values["model"]:
        fields["make"] = [_("Give at least the make or the model.")]
    year = _int_field(data, "year", fields, 1950, now.year + 1)
    mileage = _int_field(data, "mileage_km", fields, 0, 2_000_000)
    if fields:
        raise ApiError(422, _("Invalid vehicle."), fields=fields)
    require_qualifier(lead, user)
    vehicle = lead.trade_in
    if vehicle is None:
        vehicle = OwnedVehicle(contact_id=lead.contact_id)
        db.session.add(vehicle)
        lead.trade_in = vehicle
    vehicle.make, vehicle.model, vehicle.version = values["make"], values["model"], values["version"]
    vehicle.plate = values["plate"].upper() or None
    vehicle.year, vehicle.mileage_km = year, mileage
    lead.updated_at = now  # the lead row changes too, so its score sees the trade-in
    _entry(lead, user, now, "trade_in", _("Owned vehicle: %(label)s", label=vehicle.label),
           {"make": vehicle.make, "model": vehicle.model, "year": year, "mileage_km": mileage})
    _changed(lead)


def next_action(lead: Lead) -> Action | None:
    """The lead's next thing to do, if any: an open lead without one is asked for one."""
    return db.session.execute(
        select(Action).where(Action.lead_id == lead.id, Action.done_at.is_(None))
        .order_by(Action.due_at, Action.id).limit(1)
    ).scalar_one_or_none()
