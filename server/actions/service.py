"""Actions to do (SM7, SD2, CE4): the user's list, agenda ranges, planning, done, and the due alerts.

Dates are stored in UTC; "today" and "this week" are the group's local day and week, turned into
UTC bounds here so that the database compares plain instants.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.leads.visibility import visible_leads
from server.models import Action, Lead, LeadEntry, Notification, User, utcnow
from server.models.lead import ACTION_TYPES
from server.realtime.events import record_event
from server.tenancy import all_groups, group_scope

log = logging.getLogger(__name__)

FILTERS = ("overdue", "today", "week", "all")
SORTS = ("date", "interest")
BATCH = 200
TITLE_MAX = 200
OUTCOME_MAX = 32  # Action.outcome is a short code-like text (String(32))
# Hot deals first, then warm, cold, and actions that are about no lead at all.
_INTEREST_RANK = case((Lead.interest == "hot", 0), (Lead.interest == "warm", 1), (Lead.interest == "cold", 2),
                      else_=3)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in the group's time zone."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(ZoneInfo("UTC"))


def local_today(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def open_actions(user: User) -> Select:
    return select(Action).where(Action.user_id == user.id, Action.done_at.is_(None))


def filtered(user: User, filter_: str, sort: str, now: datetime, limit: int = 300) -> list[Action]:
    """The user's open actions for one filter of the list page."""
    tz = user.group.tz
    today = local_today(now, tz)
    query = open_actions(user).outerjoin(Lead, Action.lead_id == Lead.id)
    if filter_ == "overdue":
        query = query.where(Action.due_at < now)
    elif filter_ == "today":
        query = query.where(Action.due_at >= local_midnight(today, tz),
                            Action.due_at < local_midnight(today + timedelta(days=1), tz))
    elif filter_ == "week":  # the calendar week, Monday to Sunday, as the agenda shows it
        monday = today - timedelta(days=today.weekday())
        query = query.where(Action.due_at >= local_midnight(monday, tz),
                            Action.due_at < local_midnight(monday + timedelta(days=7), tz))
    order = (_INTEREST_RANK, Action.due_at, Action.id) if sort == "interest" else (Action.due_at, Action.id)
    query = query.order_by(*order).options(selectinload(Action.lead).selectinload(Lead.contact),
                                           selectinload(Action.contact)).limit(limit)
    return list(db.session.execute(query).scalars())


def overdue_count(user: User, now: datetime) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(open_actions(user).where(Action.due_at < now).subquery())) or 0)


def between(user: User, start: date, days: int) -> dict[date, list[Action]]:
    """The user's actions (open and done) from local `start`, `days` days long, by local day."""
    tz = user.group.tz
    rows = db.session.execute(
        select(Action).where(Action.user_id == user.id, Action.due_at >= local_midnight(start, tz),
                             Action.due_at < local_midnight(start + timedelta(days=days), tz))
        .order_by(Action.due_at, Action.id)
        .options(selectinload(Action.lead).selectinload(Lead.contact), selectinload(Action.contact))
    ).scalars()
    by_day: dict[date, list[Action]] = {start + timedelta(days=n): [] for n in range(days)}
    for action in rows:
        by_day.setdefault(action.due_at.astimezone(tz).date(), []).append(action)
    return by_day


def customer_of(action: Action) -> str:
    contact = action.lead.contact if action.lead is not None else action.contact
    return contact.full_name if contact is not None else ""


# ---- Planning a follow-up ----

@dataclass
class Plan:
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    action: Action | None = None


class NotFound(Exception):
    """A lead the user may not see (or another group's): answered as 404, like an unknown id."""


def assignable_users(user: User) -> list[User]:
    """Whom `user` may give an action to: themselves, and for the cell and managers the sellers of
    their scope (the whole group for the cell, their sites for a manager)."""
    if user.role not in ("cell", "manager"):
        return [user]
    query = select(User).where(User.role == "seller", User.active.is_(True))
    sellers = list(db.session.execute(query.order_by(User.last_name, User.first_name)).scalars())
    if user.role == "manager":
        sellers = [seller for seller in sellers if seller.site_ids & user.site_ids]
    return [user, *[seller for seller in sellers if seller.id != user.id]]


def plan(user: User, form: dict, now: datetime) -> Plan:
    """Validate the planning form and add the action (not committed). Raises NotFound for a lead
    the user cannot see."""
    values = {key: (form.get(key) or "").strip() for key in ("lead_id", "type", "title", "due", "note", "user_id")}
    result = Plan(values=values)
    lead = None
    if values["lead_id"]:
        if not values["lead_id"].isdigit():
            raise NotFound
        lead = db.session.execute(visible_leads(user).where(Lead.id == int(values["lead_id"]))).scalar_one_or_none()
        if lead is None:
            raise NotFound
    if values["type"] not in ACTION_TYPES:
        result.errors["type"] = _("Choose what to do.")
    if not values["title"]:
        result.errors["title"] = _("Say what to do.")
    elif len(values["title"]) > TITLE_MAX:
        result.errors["title"] = _("At most %(count)d characters.", count=TITLE_MAX)
    due = parse_local(values["due"], user.group.tz)
    if due is None:
        result.errors["due"] = _("Give a date and a time.")
    owner = user
    if values["user_id"] and values["user_id"] != str(user.id):
        owner = next((u for u in assignable_users(user) if str(u.id) == values["user_id"]), None)
        if owner is None:
            result.errors["user_id"] = _("Choose a seller of your sites.")
    if result.errors:
        return result
    action = Action(type=values["type"], title=values["title"], due_at=due, note=values["note"], user_id=owner.id,
                    created_by_id=user.id, lead=lead, contact_id=lead.contact_id if lead else None)
    db.session.add(action)
    if lead is not None:
        db.session.add(LeadEntry(lead=lead, at=now, user_id=user.id, kind="action_planned",
                                 body=_("Planned: %(title)s", title=action.title),
                                 data={"type": action.type, "due_at": due.isoformat()}))
    result.action = action
    return result


def parse_local(value: str, tz: ZoneInfo) -> datetime | None:
    """A datetime-local field ('2026-12-04T15:30') read in the group's time zone, as UTC."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return None
    return naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))


class OutcomeTooLong(ValueError):
    """The outcome does not fit Action.outcome."""


def complete(user: User, action_id: int, outcome: str | None, now: datetime) -> tuple[Action, bool]:
    """Mark one of the user's own actions done: (the action, whether this call changed it).

    Anyone else's action, another group's included, raises NotFound. Done already: nothing changes,
    so a form sent twice or a phone's queue replaying is harmless. Not committed."""
    action = db.session.execute(
        select(Action).where(Action.id == action_id, Action.user_id == user.id).with_for_update()
    ).scalar_one_or_none()
    if action is None:
        raise NotFound
    outcome = (outcome or "").strip()
    if len(outcome) > OUTCOME_MAX:
        raise OutcomeTooLong
    if action.done_at is not None:
        return action, False
    mark_done(action, user, outcome, now)
    return action, True


def mark_done(action: Action, user: User, outcome: str, now: datetime) -> None:
    action.done_at = now
    action.outcome = outcome or None
    if action.lead is not None:
        body = _("Done: %(title)s", title=action.title) + (f" ({outcome})" if outcome else "")
        db.session.add(LeadEntry(lead=action.lead, at=now, user_id=user.id, kind="action_done", body=body,
                                 data={"action_id": action.id, "outcome": outcome}))


# ---- action.due, from the scheduler's tick ----

def notify_due_actions() -> int:
    """Tell each user once that an action of theirs is due; returns how many were told."""
    now = utcnow()
    group_ids = list(db.session.execute(all_groups(
        select(Action.group_id).where(Action.due_at <= now, Action.done_at.is_(None), Action.notified_at.is_(None))
        .distinct()
    )).scalars())
    db.session.rollback()
    told = 0
    for group_id in group_ids:
        with group_scope(group_id):
            try:
                told += _notify_group(now)
            except Exception:  # one group's failure must not hold back the others; retried next tick
                db.session.rollback()
                log.exception("action.due failed for group %s", group_id)
    return told


def _notify_group(now: datetime) -> int:
    due = list(db.session.execute(
        select(Action).where(Action.due_at <= now, Action.done_at.is_(None), Action.notified_at.is_(None))
        .order_by(Action.due_at, Action.id).limit(BATCH).options(selectinload(Action.lead))
    ).scalars())
    told = 0
    for action in due:
        # Claim the row: a second tick racing this one sees rowcount 0, so nobody is told twice.
        claimed = db.session.execute(
            update(Action).where(Action.id == action.id, Action.notified_at.is_(None)).values(notified_at=now),
            execution_options={"synchronize_session": False},
        ).rowcount
        if claimed != 1:
            continue
        payload = {"id": action.id, "title": action.title, "type": action.type, "due_at": action.due_at.isoformat()}
        if action.lead is not None:
            record_event("action.due", action.lead, user_ids=(action.user_id,), extra={"action": payload})
        else:
            db.session.add(Notification(user_id=action.user_id, kind="action_due", text=action.title,
                                        data={"action": payload}))
        told += 1
    db.session.commit()
    return told
