"""Where every open deal stands (MG2): behind, ahead, hot; counted in one pass, listed by keyset.

Every category is made of a few facts about an open lead (`facts_of`, in SQL). The counters are
one query over the open leads in scope, grouped by seller and by those facts, whose groups are
named with `categories_of`; a list selects its category with `condition`, the same rule in SQL
(tests/test_steering.py checks that every count equals the length of its list). Nothing is taken
from an event's payload: the database is read as it is now.

Behind, any of:
- `stage_overdue`: longer in its current stage than the schedule gives its kind (`rules.py`);
- `action_overdue`: an open action on the lead is past due;
- `contact_breached`: the first-contact deadline passed without a first contact;
- `no_action`: nothing is planned (no open action at all), so nobody is going to move it.
Ahead: not behind on anything, and at a stage from "appointment" on sooner than the schedule's
total for the stages before it. Hot, any of: interest "hot", a top score, an offer out (stage
"offer"), a test drive done (stage "test_drive").
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, not_, null, or_, select

from server.models import Action, Lead
from server.models.base import UTCDateTime
from server.models.lead import OPEN_STATUSES
from server.steering.rules import Schedule

BEHIND = ("stage_overdue", "action_overdue", "contact_breached", "no_action")
HOT = ("hot_interest", "top_score", "offer_out", "test_drive_done")
CATEGORIES = ("open", "behind", *BEHIND, "ahead", "hot", *HOT)
# Late deals are listed oldest first (the longest wait on top); the others newest first.
OLDEST_FIRST = frozenset({"behind", *BEHIND})
ACTION_FACTS = ("action_overdue", "no_action")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class CursorError(ValueError):
    pass


def next_due_of_lead() -> ColumnElement:
    """The lead's earliest open action's due time (NULL: nothing planned), for the rows shown."""
    return (
        select(func.min(Action.due_at))
        .where(Action.lead_id == Lead.id, Action.done_at.is_(None))
        .correlate(Lead)
        .scalar_subquery()
    )


def _leads_with_open_actions(due_before: datetime | None = None):
    """`leads.id IN (...)`: one set built per query (PostgreSQL hashes it), not a lookup per lead.

    `lead_id IS NOT NULL` matters: an action about a contact only has none, and one NULL in the
    set would make every `NOT IN` unknown.
    """
    query = select(Action.lead_id).where(Action.done_at.is_(None), Action.lead_id.is_not(None))
    if due_before is not None:
        query = query.where(Action.due_at < due_before)
    return Lead.id.in_(query)


def _by_kind_and_stage(values: dict[str, dict[str, datetime]]) -> ColumnElement:
    """The instant given for the lead's (kind, stage), NULL when none is: a CASE on the kind, then on
    the stage, so that a lead costs a handful of comparisons, not one per (kind, stage) pair. (A join
    to a small table of instants reads as well, but lets the planner scan leads once per row of it.)"""
    return case(*(
        (Lead.kind == kind, case(*((Lead.stage == stage, literal(at, UTCDateTime)) for stage, at in stages.items()),
                                 else_=null()))
        for kind, stages in values.items() if stages
    ), else_=null())


def facts_of(schedule: Schedule, now: datetime) -> dict[str, ColumnElement]:
    """The facts every category is made of, as conditions on an open lead (never NULL, so that NOT
    and OR combine safely)."""
    late_before = {kind: {stage: now - timedelta(hours=hours) for stage, hours in stages.items()}
                   for kind, stages in schedule.stage_hours.items()}
    ahead_after = {kind: {stage: now - timedelta(hours=schedule.hours_before(kind, stage))
                          for stage in schedule.ahead_stages()} for kind in schedule.stage_hours}
    return {
        "stage_overdue": func.coalesce(Lead.stage_changed_at < _by_kind_and_stage(late_before), false()),
        "action_overdue": _leads_with_open_actions(due_before=now),
        "contact_breached": and_(Lead.first_contact_at.is_(None), Lead.first_contact_due_at.is_not(None),
                                 Lead.first_contact_due_at < now),
        "no_action": not_(_leads_with_open_actions()),
        "fast": func.coalesce(Lead.received_at > _by_kind_and_stage(ahead_after), false()),
        "hot_interest": Lead.interest == "hot",
        "top_score": and_(Lead.score.is_not(None), Lead.score >= schedule.top_score),
        "offer_out": Lead.stage == "offer",
        "test_drive_done": Lead.stage == "test_drive",
    }


def categories_of(facts: dict[str, bool]) -> set[str]:
    """The categories of a lead with these facts; `condition` says the same in SQL."""
    found = {key for key in (*BEHIND, *HOT) if facts[key]}
    if found & set(BEHIND):
        found.add("behind")
    elif facts["fast"]:
        found.add("ahead")
    if found & set(HOT):
        found.add("hot")
    return found | {"open"}


def condition(category: str, facts: dict[str, ColumnElement]) -> ColumnElement | None:
    """The SQL of one category (None for "open": every open lead)."""
    behind = or_(*(facts[key] for key in BEHIND))
    if category == "open":
        return None
    if category == "behind":
        return behind
    if category == "ahead":
        return and_(facts["fast"], not_(behind))
    if category == "hot":
        return or_(*(facts[key] for key in HOT))
    return facts[category]


def open_leads(leads: Select) -> Select:
    return leads.where(Lead.status.in_(OPEN_STATUSES))


@dataclass
class Counts:
    totals: dict[str, int]
    # seller id (None: leads nobody holds yet) -> {category: count}
    by_seller: dict[int | None, dict[str, int]] = field(default_factory=dict)
    # When the oldest open lead counted arrived (None: there is none).
    earliest: datetime | None = None


def count(session, leads: Select, schedule: Schedule, now: datetime) -> Counts:
    """Every category's count over the open leads of `leads` (a filtered `select(Lead)`), per seller.

    Grouped by seller and by the facts themselves: the database works out each fact once per lead
    and returns one row per combination met (a few hundred at most), which are then added up here.
    Asking for each category's count instead would make it work out the same facts again and again.
    """
    facts = facts_of(schedule, now)
    labelled = [fact.label(key) for key, fact in facts.items()]
    statement = open_leads(leads).with_only_columns(
        Lead.assignee_id, *labelled, func.count(), func.min(Lead.received_at)
    ).group_by(Lead.assignee_id, *facts.values())
    counts = Counts(dict.fromkeys(CATEGORIES, 0))
    for assignee_id, *values, number, earliest in session.execute(statement):
        row = counts.by_seller.setdefault(assignee_id, dict.fromkeys(CATEGORIES, 0))
        for key in categories_of({key: bool(value) for key, value in zip(facts, values, strict=True)}):
            row[key] += number
            counts.totals[key] += number
        counts.earliest = min(filter(None, (counts.earliest, earliest)), default=None)
    return counts


# ---- Drill-down: the leads behind a figure, a page at a time, by keyset on (received_at, id) ----

def encode_cursor(received_at: datetime, lead_id: int) -> str:
    raw = f"{received_at.astimezone(UTC).isoformat()}|{lead_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, lead_id = raw.partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not lead_id.isdigit():
            raise ValueError(raw)
        return moment, int(lead_id)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise CursorError(cursor) from exc


@dataclass
class Row:
    lead: Lead
    next_due: datetime | None
    categories: set[str]

    @property
    def reasons(self) -> list[str]:
        """What puts the lead on the board, behind first."""
        return [key for key in (*BEHIND, "ahead", *HOT) if key in self.categories]


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None


def list_page(session, leads: Select, category: str, schedule: Schedule, now: datetime,
              cursor: str | None = None, limit: int = PAGE_SIZE, options=()) -> Page:
    """One page of the open leads in `category` (CursorError on a cursor that is not ours).

    The page is found on narrow rows (ids, dates and facts, which an index can hold) and only its
    leads are loaded whole: sorting tens of thousands of full lead rows to keep fifty is the slow part.
    """
    facts = facts_of(schedule, now)
    # The shown rows' action facts follow from their next due time, read anyway: asking for them
    # again would build the sets of leads with open actions twice more.
    shown = {key: value for key, value in facts.items() if key not in ACTION_FACTS}
    statement = open_leads(leads).with_only_columns(
        Lead.id, Lead.received_at, next_due_of_lead(), *(value.label(key) for key, value in shown.items()))
    where = condition(category, facts)
    if where is not None:
        statement = statement.where(where)
    ascending = category in OLDEST_FIRST
    if cursor:
        at, lead_id = decode_cursor(cursor)
        if ascending:
            statement = statement.where(or_(Lead.received_at > at, and_(Lead.received_at == at, Lead.id > lead_id)))
        else:
            statement = statement.where(or_(Lead.received_at < at, and_(Lead.received_at == at, Lead.id < lead_id)))
    order = (Lead.received_at, Lead.id) if ascending else (Lead.received_at.desc(), Lead.id.desc())
    found = session.execute(statement.order_by(*order).limit(limit + 1)).all()
    more, found = len(found) > limit, found[:limit]
    loaded = {lead.id: lead for lead in session.execute(
        select(Lead).where(Lead.id.in_([row[0] for row in found])).options(*options)).scalars()}
    rows = []
    for lead_id, _at, due, *values in found:
        if lead_id in loaded:
            known = {key: bool(value) for key, value in zip(shown, values, strict=True)}
            known.update(action_overdue=due is not None and due < now, no_action=due is None)
            rows.append(Row(loaded[lead_id], due, categories_of(known)))
    last = found[-1] if found and more else None
    return Page(rows, encode_cursor(last[1], last[0]) if last else None)


def iterate(session, leads: Select, category: str, schedule: Schedule, now: datetime, batch: int = 1000,
            options=()):
    """Every lead of a category, page after page (for exports): memory stays at one batch."""
    cursor = None
    while True:
        page = list_page(session, leads, category, schedule, now, cursor, batch, options)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
