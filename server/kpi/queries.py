"""Reading the KPIs for a set of cockpit filters, from the aggregates.

Counts (volume, funnel, outcomes, reasons, milestones) are sums over `kpi_site_daily` when the
filters are only a period and sites, over `kpi_daily` otherwise (and for breakdowns). Delay
percentiles add up the `kpi_delays` histogram when the filters are only a period and sites (the
cards' case, a manager's default); a seller, kind or source filter, and the breakdown of delays by
site, seller or source, read the per-lead facts instead (one narrow indexed row per lead of the
period). Both give the same numbers (`server.kpi.facts` defines them); the facts are only slower.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, Integer, cast, func, select

from server.cockpit.filters import CockpitFilters
from server.extensions import db, get_redis
from server.kpi.facts import COUNT_COLUMNS, STEP_COLUMNS, STEPS, nearest_rank
from server.kpi.models import ALL_SITES, KpiDaily, KpiDelay, KpiLeadFact, KpiSiteDaily
from server.models import Site, User
from server.redis_breaker import breaker
from server.tenancy import current_group_id

PERCENTS = (50, 90)
DIMENSIONS = {"source": "source", "kind": "kind", "site": "site_id", "seller": "seller_id"}
BUCKETS = ("day", "week")
# Longer periods are drawn by week: a daily chart of months is a comb nobody reads.
DAILY_UP_TO_DAYS = 62


def _narrow(f: CockpitFilters) -> bool:
    """Only a period and sites: the small per-site sums (and the site histogram) answer."""
    return f.seller_id is None and f.kind is None and f.source is None


def _table(f: CockpitFilters):
    return KpiSiteDaily if _narrow(f) else KpiDaily


def _daily_conditions(f: CockpitFilters, table=None) -> list[ColumnElement]:
    table = table or _table(f)
    return f.conditions(site=table.site_id, seller=getattr(table, "seller_id", None), kind=getattr(table, "kind", None),
                        source=getattr(table, "source", None), day=table.day)


def _fact_conditions(f: CockpitFilters) -> list[ColumnElement]:
    return f.conditions(site=KpiLeadFact.site_id, seller=KpiLeadFact.seller_id, kind=KpiLeadFact.kind,
                        source=KpiLeadFact.source, day=KpiLeadFact.day)


def _sums(table=KpiDaily):
    return [func.coalesce(func.sum(getattr(table, c)), 0).label(c) for c in COUNT_COLUMNS]


def totals(f: CockpitFilters) -> dict[str, int]:
    table = _table(f)
    row = db.session.execute(select(*_sums(table)).select_from(table).where(*_daily_conditions(f))).one()
    return {c: int(row._mapping[c]) for c in COUNT_COLUMNS}


def series(f: CockpitFilters, bucket: str) -> list[dict]:
    """Leads received and, of them, orders, per day or per week (Monday), every bucket present."""
    table = _table(f)
    rows = db.session.execute(
        select(table.day, func.sum(table.leads), func.sum(table.ordered), func.sum(table.lost))
        .where(*_daily_conditions(f)).group_by(table.day)
    ).all()
    by_day = {day: (int(n), int(o), int(lost)) for day, n, o, lost in rows}

    def start(day: date) -> date:
        return day - timedelta(days=day.weekday()) if bucket == "week" else day

    points: dict[date, list[int]] = {}
    day = f.date_from
    while day <= f.date_to:
        point = points.setdefault(start(day), [0, 0, 0])
        for i, n in enumerate(by_day.get(day, (0, 0, 0))):
            point[i] += n
        day += timedelta(days=1)
    return [{"start": s, "leads": v[0], "ordered": v[1], "lost": v[2]} for s, v in sorted(points.items())]


def default_bucket(f: CockpitFilters) -> str:
    return "day" if f.days <= DAILY_UP_TO_DAYS else "week"


def names(dimension: str) -> dict:
    """Display names of a dimension's values (sites and sellers; others are their own name)."""
    if dimension == "site":
        return {0: None, **{s.id: s.name for s in db.session.execute(select(Site)).scalars()}}
    if dimension == "seller":
        return {0: None, **{u.id: u.full_name for u in db.session.execute(select(User)).scalars()}}
    return {}


def breakdown(f: CockpitFilters, dimension: str) -> list[dict]:
    """Counts per value of one dimension, largest volume first."""
    table = KpiSiteDaily if dimension == "site" and _narrow(f) else KpiDaily
    column = getattr(table, DIMENSIONS[dimension])
    rows = db.session.execute(select(column, *_sums(table)).where(*_daily_conditions(f, table)).group_by(column)).all()
    out = [{"value": row[0], **{c: int(row._mapping[c]) for c in COUNT_COLUMNS}} for row in rows]
    out = [r for r in out if r["leads"]]
    out.sort(key=lambda r: (-r["leads"], str(r["value"])))
    return out


def reasons(f: CockpitFilters) -> list[dict]:
    table = _table(f)
    rows = db.session.execute(
        select(table.reason, func.sum(table.lost)).where(*_daily_conditions(f), table.reason != "")
        .group_by(table.reason)
    ).all()
    out = [{"reason": reason, "lost": int(n)} for reason, n in rows if n]
    out.sort(key=lambda r: (-r["lost"], r["reason"]))
    return out


SOURCES_CACHE_SECONDS = 300


def sources(f: CockpitFilters) -> list[str]:
    """Sources seen in the period (for the filter's choices), whatever the other filters.

    A DISTINCT over a big group's daily rows takes about 0.1 s for a long period, on every view
    of the cockpit: the list is kept in Redis for a few minutes (a brand-new source joins the
    choices within that delay). Without Redis it is read every time."""
    scope = f.with_(source=None, kind=None, seller_id=None)
    sites = "all" if scope.site_scope is None else ",".join(map(str, sorted(scope.site_scope)))
    # The group is part of the key: one group's sources are never another's choices.
    key = f"eseller:kpi:sources:{current_group_id()}:{sites}:{scope.date_from}:{scope.date_to}"
    redis = get_redis() if breaker().usable() else None
    try:
        if redis is not None and (kept := redis.get(key)) is not None:
            return json.loads(kept)
    except RedisError as error:
        breaker().trip(error)
        redis = None
    found = sorted(db.session.execute(
        select(KpiDaily.source).where(*_daily_conditions(scope, KpiDaily)).distinct()).scalars())
    if redis is not None:
        try:
            redis.set(key, json.dumps(found), ex=SOURCES_CACHE_SECONDS)
        except RedisError as error:
            breaker().trip(error)
    return found


def delay_histograms(f: CockpitFilters) -> dict[str, list[tuple[int, int]]]:
    """(minutes, count) pairs per milestone."""
    out: dict[str, list[tuple[int, int]]] = {step: [] for step in STEPS}
    if _narrow(f):
        scope = f.site_scope
        site = KpiDelay.site_id == ALL_SITES if scope is None else KpiDelay.site_id.in_(sorted(scope))
        rows = db.session.execute(
            select(KpiDelay.step, KpiDelay.minutes, func.sum(KpiDelay.n))
            .where(site, KpiDelay.day >= f.date_from, KpiDelay.day <= f.date_to)
            .group_by(KpiDelay.step, KpiDelay.minutes)
        ).all()
        for step, minutes, n in rows:
            out[step].append((minutes, int(n)))
        return out
    for step in STEPS:
        column = getattr(KpiLeadFact, STEP_COLUMNS[step])
        rows = db.session.execute(
            select(column, func.count()).where(*_fact_conditions(f), column.is_not(None)).group_by(column)
        ).all()
        out[step] = [(minutes, int(n)) for minutes, n in rows]
    return out


def delays(f: CockpitFilters, counts: dict[str, int] | None = None) -> dict:
    """Per milestone: how many leads reached it, median and 90th percentile in opening minutes;
    and the first contacts made by their deadline."""
    counts = counts if counts is not None else totals(f)
    histograms = delay_histograms(f)
    steps = {}
    for step in STEPS:
        p50, p90 = nearest_rank(histograms[step], PERCENTS)
        steps[step] = {"n": sum(n for _, n in histograms[step]), "p50": p50, "p90": p90}
    deadline, on_time = counts["fc_deadline"], counts["fc_on_time"]
    return {"steps": steps, "with_deadline": deadline, "on_time": on_time,
            "on_time_share": on_time / deadline if deadline else None,
            "not_contacted": counts["leads"] - counts["n_first_contact"]}


def delays_by(f: CockpitFilters, dimension: str) -> list[dict]:
    """First contact per value of a dimension: leads contacted, median, 90th percentile, on time."""
    column = getattr(KpiLeadFact, DIMENSIONS[dimension])
    minutes = KpiLeadFact.d_first_contact
    rows = db.session.execute(
        select(column, minutes, func.count(), func.sum(cast(KpiLeadFact.has_deadline, Integer)),
               func.sum(cast(KpiLeadFact.on_time, Integer)))
        .where(*_fact_conditions(f), minutes.is_not(None)).group_by(column, minutes)
    ).all()
    grouped: dict = defaultdict(lambda: {"hist": [], "deadline": 0, "on_time": 0})
    for value, m, n, deadline, on_time in rows:
        entry = grouped[value]
        entry["hist"].append((m, int(n)))
        entry["deadline"] += int(deadline or 0)
        entry["on_time"] += int(on_time or 0)
    out = []
    for value, entry in grouped.items():
        p50, p90 = nearest_rank(entry["hist"], PERCENTS)
        out.append({"value": value, "n": sum(n for _, n in entry["hist"]), "p50": p50, "p90": p90,
                    "with_deadline": entry["deadline"], "on_time": entry["on_time"],
                    "on_time_share": entry["on_time"] / entry["deadline"] if entry["deadline"] else None})
    out.sort(key=lambda r: (-r["n"], str(r["value"])))
    return out
