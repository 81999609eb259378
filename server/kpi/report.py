"""The KPI page's content as data: cards, and every table (each also a CSV/XLSX download).

One function per table, so that the page, the JSON API and the exports show the same figures.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.cockpit.export import Table
from server.cockpit.filters import CockpitFilters
from server.kpi import queries
from server.kpi.facts import STEPS
from server.web.labels import CLOSE_REASON_LABELS, KIND_LABELS, label

DIMENSION_TITLES = {"source": _l("Source"), "kind": _l("Type"), "site": _l("Site"), "seller": _l("Seller")}
STEP_LABELS = {
    "assigned": _l("Assigned"),
    "displayed": _l("On screen"),
    "acknowledged": _l("Acknowledged"),
    "first_contact": _l("First contact"),
}
FUNNEL_LABELS = (
    ("leads", _l("Leads")), ("contacted", _l("Contacted")), ("appointment", _l("Appointment")),
    ("test_drive", _l("Test drive")), ("offer", _l("Offer")), ("ordered", _l("Order")),
)
TABLES = ("series", "funnel", "by_source", "by_kind", "by_site", "by_seller", "delays",
          "delays_by_source", "delays_by_site", "delays_by_seller", "reasons")


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def value_name(dimension: str, value, names: dict) -> str:
    if dimension == "kind":
        return label(KIND_LABELS, value)
    if dimension in ("site", "seller"):
        return names.get(value) or str(_l("None"))
    return str(value)


def cards(f: CockpitFilters) -> dict:
    """The headline figures: what the bench times as "the KPI cards"."""
    counts = queries.totals(f)
    delays = queries.delays(f, counts)
    first = delays["steps"]["first_contact"]
    return {
        "leads": counts["leads"], "ordered": counts["ordered"], "won": counts["won"], "lost": counts["lost"],
        "conversion": share(counts["ordered"], counts["leads"]),
        "first_contact_p50": first["p50"], "first_contact_p90": first["p90"],
        "on_time_share": delays["on_time_share"], "not_contacted": delays["not_contacted"],
        "counts": counts, "delays": delays,
    }


def series_table(f: CockpitFilters, bucket: str) -> Table:
    points = queries.series(f, bucket)
    title = _l("Leads per week") if bucket == "week" else _l("Leads per day")
    return Table(str(title), [str(_l("Week of")) if bucket == "week" else str(_l("Day")), str(_l("Leads")),
                              str(_l("Orders")), str(_l("Abandoned"))],
                 [[p["start"], p["leads"], p["ordered"], p["lost"]] for p in points])


def funnel_table(counts: dict) -> Table:
    leads = counts["leads"]
    return Table(str(_l("Funnel")), [str(_l("Stage")), str(_l("Leads")), str(_l("Share of leads"))],
                 [[str(text), counts[key], share(counts[key], leads)] for key, text in FUNNEL_LABELS])


def breakdown_table(f: CockpitFilters, dimension: str) -> Table:
    rows = queries.breakdown(f, dimension)
    names = queries.names(dimension)
    total = sum(r["leads"] for r in rows)
    columns = [str(DIMENSION_TITLES[dimension]), str(_l("Leads")), str(_l("Share of volume")),
               *(str(text) for key, text in FUNNEL_LABELS[1:]), str(_l("Conversion")), str(_l("Abandoned"))]
    return Table(str(_l("By %(dimension)s", dimension=str(DIMENSION_TITLES[dimension]).lower())), columns, [
        [value_name(dimension, r["value"], names), r["leads"], share(r["leads"], total),
         *(r[key] for key, _text in FUNNEL_LABELS[1:]), share(r["ordered"], r["leads"]), r["lost"]]
        for r in rows
    ])


def delays_table(delays: dict) -> Table:
    rows = []
    for step in STEPS:
        figures = delays["steps"][step]
        rows.append([str(STEP_LABELS[step]), figures["n"], figures["p50"], figures["p90"]])
    return Table(str(_l("Processing delays")), [
        str(_l("Received to")), str(_l("Leads")), str(_l("Median (opening minutes)")),
        str(_l("90th percentile (opening minutes)"))], rows)


def delays_by_table(f: CockpitFilters, dimension: str) -> Table:
    rows = queries.delays_by(f, dimension)
    names = queries.names(dimension)
    return Table(str(_l("First contact by %(dimension)s", dimension=str(DIMENSION_TITLES[dimension]).lower())), [
        str(DIMENSION_TITLES[dimension]), str(_l("Leads contacted")), str(_l("Median (opening minutes)")),
        str(_l("90th percentile (opening minutes)")), str(_l("Within the deadline"))], [
        [value_name(dimension, r["value"], names), r["n"], r["p50"], r["p90"], r["on_time_share"]] for r in rows
    ])


def reasons_table(f: CockpitFilters) -> Table:
    rows = queries.reasons(f)
    total = sum(r["lost"] for r in rows)
    return Table(str(_l("Abandonment reasons")), [str(_l("Reason")), str(_l("Leads")), str(_l("Share"))],
                 [[label(CLOSE_REASON_LABELS, r["reason"]), r["lost"], share(r["lost"], total)] for r in rows])


def table(f: CockpitFilters, name: str, bucket: str) -> Table:
    """One table by name (TABLES), for the exports."""
    if name == "series":
        return series_table(f, bucket)
    if name == "funnel":
        return funnel_table(queries.totals(f))
    if name == "delays":
        return delays_table(queries.delays(f))
    if name == "reasons":
        return reasons_table(f)
    if name.startswith("delays_by_"):
        return delays_by_table(f, name.removeprefix("delays_by_"))
    return breakdown_table(f, name.removeprefix("by_"))
