"""`eseller kpi rebuild`: the aggregates recomputed from the raw rows, for bulk loads and repairs.

Facts are computed in Python (the opening-hours arithmetic lives there) from one pass over the
group's leads and one over their stage and closing lines, written in bulk (COPY on PostgreSQL),
then the aggregates are summed from the facts by SQL in the same transaction. On PostgreSQL the
KPI tables are locked against writers for the duration (pages keep reading the previous figures):
a lead changed meanwhile waits, then applies its difference to the rebuilt figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import Integer, and_, case, cast, delete, func, insert, literal, select, union_all
from sqlalchemy.engine import Connection

from server.kpi.facts import (
    COUNT_COLUMNS,
    FUNNEL,
    STAGE_INDEX,
    STEP_COLUMNS,
    STEPS,
    stage_index,
    stages_in_entry,
)
from server.kpi.hooks import (
    DAILY,
    DELAYS,
    FACT_COLUMNS,
    FACTS,
    LEAD_COLUMNS,
    LEADS,
    SITE_DAILY,
    SITE_KEYS,
    Zones,
)
from server.kpi.models import ALL_SITES
from server.models import LeadEntry

ENTRIES = LeadEntry.__table__
BATCH = 20_000


def _furthest_from_timeline(conn: Connection, group_id: int) -> dict[int, int]:
    data = ENTRIES.c.data
    rows = conn.execute(
        select(ENTRIES.c.lead_id, ENTRIES.c.kind, data["from"].as_string(), data["to"].as_string(),
               data["stage_before"].as_string(), data["outcome"].as_string())
        .where(ENTRIES.c.group_id == group_id, ENTRIES.c.kind.in_(("stage", "closed")))
        .execution_options(yield_per=BATCH)
    )
    furthest: dict[int, int] = {}
    for lead_id, kind, from_, to, before, outcome in rows:
        stages = stages_in_entry(kind, {"from": from_, "to": to, "stage_before": before, "outcome": outcome})
        best = max(stage_index(s) for s in stages) if stages else 0
        if best > furthest.get(lead_id, 0):
            furthest[lead_id] = best
    return furthest


def _facts(conn: Connection, group_id: int) -> Iterator[dict]:
    timeline = _furthest_from_timeline(conn, group_id)
    site_ids = [sid for (sid,) in conn.execute(select(LEADS.c.site_id).where(
        LEADS.c.group_id == group_id, LEADS.c.site_id.is_not(None)).distinct())]
    zones = Zones(conn, [group_id], site_ids)
    rows = conn.execute(select(*(LEADS.c[c] for c in LEAD_COLUMNS)).where(LEADS.c.group_id == group_id)
                        .execution_options(yield_per=BATCH))
    stage_names = {index: stage for stage, index in STAGE_INDEX.items()}
    for row in rows:
        values = dict(row._mapping)
        yield zones.fact(values, (stage_names[timeline[row.id]],) if row.id in timeline else ())


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _write_batch(conn: Connection, batch: list[dict]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(insert(FACTS), batch)
        return
    # One COPY per batch: the leads are read through a server-side cursor on the same connection,
    # which must not be fetched from while a COPY is in progress.
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {FACTS.name} ({', '.join(FACT_COLUMNS)}) FROM STDIN") as copy:
        copy.write("".join("\t".join(_copy_value(fact[c]) for c in FACT_COLUMNS) + "\n" for fact in batch))


def _write_facts(conn: Connection, facts: Iterator[dict]) -> int:
    count = 0
    batch: list[dict] = []
    for fact in facts:
        batch.append(fact)
        if len(batch) == BATCH:
            _write_batch(conn, batch)
            count, batch = count + len(batch), []
    if batch:
        _write_batch(conn, batch)
        count += len(batch)
    return count


def _sum_counts(conn: Connection, group_id: int, table, key_names) -> None:
    keys = [FACTS.c[c] for c in key_names]

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    sums = {
        "leads": func.count(),
        "won": count_if(FACTS.c.outcome == "won"),
        "lost": count_if(FACTS.c.outcome == "lost"),
        **{column: count_if(FACTS.c.furthest >= STAGE_INDEX[stage]) for column, stage in FUNNEL},
        **{f"n_{step}": count_if(FACTS.c[STEP_COLUMNS[step]].is_not(None)) for step in STEPS},
        "fc_deadline": count_if(FACTS.c.has_deadline),
        "fc_on_time": count_if(FACTS.c.on_time),
    }
    query = select(*keys, *(cast(sums[c], Integer) for c in COUNT_COLUMNS)).where(
        FACTS.c.group_id == group_id).group_by(*keys)
    conn.execute(insert(table).from_select([k.name for k in keys] + list(COUNT_COLUMNS), query))


def _sum_delays(conn: Connection, group_id: int) -> None:
    parts = []
    for step in STEPS:
        minutes = FACTS.c[STEP_COLUMNS[step]]
        for site, keys in ((literal(ALL_SITES, Integer), ()), (FACTS.c.site_id, (FACTS.c.site_id,))):
            parts.append(
                select(FACTS.c.group_id, FACTS.c.day, site.label("site_id"), literal(step).label("step"),
                       minutes.label("minutes"), func.count().label("n"))
                .where(and_(FACTS.c.group_id == group_id, minutes.is_not(None)))
                .group_by(FACTS.c.group_id, FACTS.c.day, *keys, minutes)
            )
    conn.execute(insert(DELAYS).from_select(["group_id", "day", "site_id", "step", "minutes", "n"],
                                            union_all(*parts)))


def rebuild_group(conn: Connection, group_id: int) -> int:
    """Recompute one group's facts and aggregates; returns the number of leads counted."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {FACTS.name}, {DAILY.name}, {SITE_DAILY.name}, {DELAYS.name} IN EXCLUSIVE MODE")
    for table in (DELAYS, SITE_DAILY, DAILY, FACTS):
        conn.execute(delete(table).where(table.c.group_id == group_id))
    count = _write_facts(conn, _facts(conn, group_id))
    _sum_counts(conn, group_id, DAILY, ("group_id", "day", "site_id", "seller_id", "kind", "source", "reason"))
    _sum_counts(conn, group_id, SITE_DAILY, SITE_KEYS)
    _sum_delays(conn, group_id)
    return count
