"""Keeping the KPI aggregates in step with the leads, inside the transaction that changes them.

After every ORM flush that creates, changes or deletes a lead (or adds a stage or closing line to
its timeline), each touched lead's fact is recomputed and compared with the stored one; the
difference goes to the aggregates as `INSERT ... ON CONFLICT DO UPDATE SET n = n + delta`, which
two transactions may run on the same row at once without losing either's count. The stored fact
is read `FOR UPDATE` (PostgreSQL), so two transactions changing the same lead apply their
differences one after the other; rows are written in key order, so they never wait on each
other in a cycle.

Writes that bypass the ORM (bulk `UPDATE leads`, COPY, a database-level cascade from a deleted
customer) are not seen: `eseller kpi rebuild` recomputes everything from the raw rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from server.kpi.facts import (
    COUNT_COLUMNS,
    FACT_KEYS,
    daily_counts,
    daily_key,
    delay_entries,
    lead_fact,
    stages_in_entry,
)
from server.kpi.models import ALL_SITES, KpiDaily, KpiDelay, KpiLeadFact, KpiSiteDaily
from server.models import DealerGroup, Lead, LeadEntry, Site

FACTS, DAILY, SITE_DAILY, DELAYS = KpiLeadFact.__table__, KpiDaily.__table__, KpiSiteDaily.__table__, KpiDelay.__table__
SITE_KEYS = ("group_id", "day", "site_id", "reason")
LEADS = Lead.__table__
# Lead attributes a fact reads; a flush changing none of them leaves the figures as they are.
WATCHED = ("group_id", "kind", "source", "site_id", "site", "assignee_id", "assignee", "status", "stage",
           "close_reason", "received_at", "assigned_at", "displayed_at", "acknowledged_at", "first_contact_at",
           "first_contact_due_at")
LEAD_COLUMNS = ("id", "group_id", "kind", "source", "site_id", "assignee_id", "status", "stage", "close_reason",
                "received_at", "assigned_at", "displayed_at", "acknowledged_at", "first_contact_at",
                "first_contact_due_at")
FACT_COLUMNS = tuple(c.name for c in FACTS.columns)


def _changed(lead: Lead) -> bool:
    attrs = inspect(lead).attrs
    return any(attrs[name].history.has_changes() for name in WATCHED)


def _values(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in LEAD_COLUMNS}


class Zones:
    """Time zones and opening hours of the groups and sites a batch of leads needs, read once."""

    def __init__(self, conn: Connection, group_ids: Iterable[int], site_ids: Iterable[int]):
        groups = DealerGroup.__table__
        sites = Site.__table__
        self.group_tz = {gid: ZoneInfo(tz) for gid, tz in conn.execute(
            select(groups.c.id, groups.c.timezone).where(groups.c.id.in_(set(group_ids))))}
        self.sites = {sid: (hours or {}, tz) for sid, hours, tz in conn.execute(
            select(sites.c.id, sites.c.opening_hours, sites.c.timezone).where(sites.c.id.in_(set(site_ids))))}

    def fact(self, values: dict, seen: Iterable[str | None] = ()) -> dict:
        group_tz = self.group_tz[values["group_id"]]
        hours, site_tz = self.sites.get(values["site_id"], (None, None))
        return lead_fact(values, group_tz, hours, ZoneInfo(site_tz) if site_tz else None, seen)


def _insert(conn: Connection):
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _stored_facts(conn: Connection, lead_ids: list[int]) -> dict[int, dict]:
    if not lead_ids:
        return {}
    query = select(FACTS).where(FACTS.c.lead_id.in_(lead_ids)).order_by(FACTS.c.lead_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row.lead_id: dict(row._mapping) for row in conn.execute(query)}


def apply_changes(conn: Connection, changes: list[tuple[dict | None, dict | None]]) -> None:
    """Write (old fact, new fact) pairs: facts replaced, aggregates moved by the differences."""
    daily: dict[tuple, Counter] = defaultdict(Counter)
    delays: Counter = Counter()
    upserts, removed = [], []
    for old, new in changes:
        for fact, sign in ((old, -1), (new, 1)):
            if fact is None:
                continue
            key = (fact["group_id"], *daily_key(fact))
            for column, n in daily_counts(fact).items():
                daily[key][column] += sign * n
            for cell in delay_entries(fact, ALL_SITES):
                delays[(fact["group_id"], *cell)] += sign
        if new is not None:
            upserts.append(new)
        elif old is not None:
            removed.append(old["lead_id"])
    insert = _insert(conn)
    if upserts:
        stmt = insert(FACTS)
        stmt = stmt.on_conflict_do_update(index_elements=[FACTS.c.lead_id], set_={
            name: stmt.excluded[name] for name in FACT_COLUMNS if name != "lead_id"})
        conn.execute(stmt, sorted(upserts, key=lambda f: f["lead_id"]))
    if removed:
        conn.execute(delete(FACTS).where(FACTS.c.lead_id.in_(removed)))
    rows = [dict(zip(("group_id", *FACT_KEYS), key, strict=True)) | {c: counts[c] for c in COUNT_COLUMNS}
            for key, counts in sorted(daily.items()) if any(counts.values())]
    _add_counts(conn, DAILY, rows)
    by_site: dict[tuple, Counter] = defaultdict(Counter)
    for row in rows:
        by_site[tuple(row[k] for k in SITE_KEYS)].update({c: row[c] for c in COUNT_COLUMNS})
    _add_counts(conn, SITE_DAILY, [dict(zip(SITE_KEYS, key, strict=True)) | {c: counts[c] for c in COUNT_COLUMNS}
                                   for key, counts in sorted(by_site.items()) if any(counts.values())])
    cells = [{"group_id": g, "day": d, "site_id": s, "step": st, "minutes": m, "n": n}
             for (g, d, s, st, m), n in sorted(delays.items()) if n]
    if cells:
        stmt = insert(DELAYS)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.name for c in DELAYS.primary_key.columns], set_={"n": DELAYS.c.n + stmt.excluded.n})
        conn.execute(stmt, cells)


def _add_counts(conn: Connection, table, rows: list[dict]) -> None:
    if not rows:
        return
    stmt = _insert(conn)(table)
    stmt = stmt.on_conflict_do_update(index_elements=[c.name for c in table.primary_key.columns],
                                      set_={c: table.c[c] + stmt.excluded[c] for c in COUNT_COLUMNS})
    conn.execute(stmt, rows)


def _before_flush(session: Session, flush_context, instances) -> None:
    """Deleted leads: their facts go before the rows do (the foreign key would cascade them away)."""
    gone = [obj.id for obj in session.deleted if isinstance(obj, Lead) and obj.id is not None]
    if gone:
        conn = session.connection()
        apply_changes(conn, [(old, None) for old in _stored_facts(conn, sorted(gone)).values()])


def _after_flush(session: Session, flush_context) -> None:
    touched: dict[int, Lead | None] = {}
    seen: dict[int, list] = defaultdict(list)
    for obj in session.new:
        if isinstance(obj, Lead):
            touched[obj.id] = obj
        elif isinstance(obj, LeadEntry) and obj.kind in ("stage", "closed"):
            seen[obj.lead_id].extend(stages_in_entry(obj.kind, obj.data))
    for obj in session.dirty:
        if isinstance(obj, Lead) and obj not in session.deleted and _changed(obj):
            touched[obj.id] = obj
    for lead_id in seen:
        touched.setdefault(lead_id, None)
    if not touched:
        return
    conn = session.connection()
    values = {lead_id: _values(lead) for lead_id, lead in touched.items() if lead is not None}
    missing = [lead_id for lead_id in touched if lead_id not in values]
    if missing:
        # A timeline line added without its lead in memory: read the lead as the database has it.
        for row in conn.execute(select(*(LEADS.c[c] for c in LEAD_COLUMNS)).where(LEADS.c.id.in_(missing))):
            values[row.id] = dict(row._mapping)
    record_changes(conn, values, seen)


def record_changes(conn: Connection, values: dict[int, dict], seen: dict[int, list] | None = None) -> None:
    """Recompute the facts of these leads (id -> column values) and move the aggregates."""
    seen = seen or {}
    zones = Zones(conn, (v["group_id"] for v in values.values()),
                  (v["site_id"] for v in values.values() if v["site_id"]))
    stored = _stored_facts(conn, sorted(values))
    changes = []
    for lead_id in sorted(values):
        old = stored.get(lead_id)
        new = zones.fact(values[lead_id], seen.get(lead_id, ()))
        if old is not None:
            new["furthest"] = max(new["furthest"], old["furthest"])
            if all(old[name] == new[name] for name in FACT_COLUMNS):
                continue
        changes.append((old, new))
    if changes:
        apply_changes(conn, changes)


def init_app(app) -> None:
    # On the Session class, once, like the tenancy checks: every session of the process counts.
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_flush", _before_flush)
