"""/cockpit/kpi: the lead KPIs page (MG3, BX5), its downloads, and the same figures as JSON."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_date, format_percent
from flask_babel import gettext as _
from flask_login import current_user

from server.api.errors import ApiError
from server.auth.access import feature_required, roles_required
from server.cockpit.export import EXPORT_FORMATS, export_response
from server.cockpit.filters import CockpitFilters, filters_for_api, filters_for_page, form_context
from server.kpi import charts, queries, report
from server.kpi.facts import STEPS

bp = Blueprint("kpi", __name__)

ROLES = ("manager", "admin")
SELLER_BARS = 12


def _bucket(f: CockpitFilters, errors: dict | None) -> str:
    bucket = request.args.get("bucket", "").strip()
    if not bucket:
        return queries.default_bucket(f)
    if bucket not in queries.BUCKETS:
        message = _("Must be one of: %(choices)s.", choices=", ".join(queries.BUCKETS))
        if errors is None:
            raise ApiError(422, _("Invalid filters."), fields={"bucket": [message]})
        errors["bucket"] = [message]
        return queries.default_bucket(f)
    return bucket


def _pct(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0%")


@bp.app_template_filter("kpi_cell")
def kpi_cell(value) -> str:
    """A table cell: shares as percents, dates in the reader's format, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return _pct(value)
    if isinstance(value, date):
        return format_date(value, "short")
    return str(value)


@bp.app_template_filter("kpi_minutes")
def kpi_minutes(value: int | None) -> str:
    if value is None:
        return "—"
    if value < 60:
        return _("%(n)d min", n=value)
    hours, minutes = divmod(value, 60)
    return _("%(h)d h %(m)02d", h=hours, m=minutes)


def _charts(f: CockpitFilters, bucket: str, series, funnel, by_seller) -> dict:
    fmt = "d MMM" if bucket == "day" else "'S'w"
    points = [(format_date(p[0], fmt), p[1], p[2]) for p in series.rows]
    total = sum(p[1] for p in points)
    peak = max(points, key=lambda p: p[1], default=None)
    series_desc = _("%(total)d leads from %(start)s to %(end)s.", total=total, start=format_date(f.date_from),
                    end=format_date(f.date_to))
    if peak and peak[1]:
        series_desc += " " + _("Busiest: %(label)s with %(n)d.", label=peak[0], n=peak[1])
    funnel_rows = [(row[0], row[1], f"{row[1]} · {_pct(row[2])}") for row in funnel.rows]
    funnel_desc = "; ".join(f"{r[0]}: {r[2]}" for r in funnel_rows)
    sellers = [(row[0], row[1], _("%(leads)d · %(orders)d orders", leads=row[1], orders=row[7])) for row in by_seller.rows[:SELLER_BARS]]
    seller_desc = "; ".join(f"{r[0]}: {r[2]}" for r in sellers) or _("No lead in this period.")
    return {
        "series": charts.time_series("chart-series", series.title, series_desc, points,
                                     (_("Leads"), _("Orders"))),
        "funnel": charts.bars("chart-funnel", _("Funnel"), funnel_desc, funnel_rows, "chart-funnel"),
        "sellers": charts.bars("chart-sellers", _("Leads by seller"), seller_desc, sellers),
    }


@bp.route("/cockpit/kpi")
@roles_required(*ROLES)
@feature_required("MG3")
def overview():
    f, errors = filters_for_page(request.args, current_user)
    bucket = _bucket(f, errors)
    cards = report.cards(f)
    tables = {
        "series": report.series_table(f, bucket),
        "funnel": report.funnel_table(cards["counts"]),
        **{f"by_{d}": report.breakdown_table(f, d) for d in ("source", "kind", "site", "seller")},
        "delays": report.delays_table(cards["delays"]),
        **{f"delays_by_{d}": report.delays_by_table(f, d) for d in ("source", "site", "seller")},
        "reasons": report.reasons_table(f),
    }
    exports = {name: {fmt: url_for("kpi.export", table=name, format=fmt, **f.args(bucket=bucket))
                      for fmt in EXPORT_FORMATS} for name in tables}
    return render_template(
        "kpi/overview.html", cards=cards, tables=tables, exports=exports, bucket=bucket, pct=_pct,
        charts=_charts(f, bucket, tables["series"], tables["funnel"], tables["by_seller"]),
        filter_action=url_for("kpi.overview"), buckets=queries.BUCKETS, steps=STEPS,
        **form_context(f, current_user, errors, queries.sources(f)),
    )


@bp.route("/cockpit/kpi/export")
@roles_required(*ROLES)
@feature_required("MG3")
def export():
    name, fmt = request.args.get("table", ""), request.args.get("format", "")
    fields = {}
    if name not in report.TABLES:
        fields["table"] = [_("Must be one of: %(choices)s.", choices=", ".join(report.TABLES))]
    if fmt not in EXPORT_FORMATS:
        fields["format"] = [_("Must be one of: %(choices)s.", choices=", ".join(EXPORT_FORMATS))]
    if fields:
        raise ApiError(422, _("Invalid export."), fields=fields)
    f = filters_for_api(request.args, current_user)
    bucket = _bucket(f, None)
    return export_response(report.table(f, name, bucket), fmt,
                           f"kpi-{name}-{f.date_from.isoformat()}-{f.date_to.isoformat()}")


def _json_table(table) -> dict:
    return {"title": table.title, "columns": list(table.columns),
            "rows": [[v.isoformat() if hasattr(v, "isoformat") else v for v in row] for row in table.rows]}


@bp.route("/api/v1/kpi")
@roles_required(*ROLES)
@feature_required("MG3")
def api_overview():
    """Every figure of the page as JSON: cards, then the tables by name (`?only=cards` for the cards)."""
    f = filters_for_api(request.args, current_user)
    bucket = _bucket(f, None)
    cards = report.cards(f)
    body = {
        "filters": {**f.args(), "from": f.date_from.isoformat(), "to": f.date_to.isoformat(), "bucket": bucket},
        "cards": {k: v for k, v in cards.items() if k != "delays"} | {
            "delays": {step: cards["delays"]["steps"][step] for step in STEPS},
            "with_deadline": cards["delays"]["with_deadline"], "on_time": cards["delays"]["on_time"]},
    }
    only = request.args.get("only", "")
    if only not in ("", "cards"):
        raise ApiError(422, _("Invalid filters."), fields={"only": [_("Must be one of: %(choices)s.",
                                                                       choices="cards")]})
    if only != "cards":
        body["tables"] = {name: _json_table(report.table(f, name, bucket)) for name in report.TABLES}
    return body
