"""/cockpit: the steering dashboard (MG2), the deals behind each figure, their downloads, and the JSON.

Managers see their sites, admins the whole group. The figures are read from the database (and kept
until the group's leads or actions change, 30 s at most: `cache.py`); the page asks again on every
event it hears, and never takes a figure from an event.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from server.api.errors import ApiError
from server.auth.access import feature_required, roles_required
from server.cockpit.export import EXPORT_FORMATS, export_response
from server.cockpit.filters import form_context
from server.extensions import db
from server.kpi.queries import sources
from server.models import utcnow
from server.steering import board, cache, figures
from server.steering.context import (
    ALL_TIME,
    CATEGORY_LABELS,
    FEATURE,
    LATE_REASONS,
    PERIODS,
    REASON_LABELS,
    ROLES,
    category_or_404,
    filters_from,
    kpi_link_args,
    leads_in_scope,
    paging_args,
    schedule,
    with_earliest,
)

bp = Blueprint("steering", __name__)


def _counted(filters, now):
    """(counts, the filters with the period they cover, when the counts were taken)."""
    plan = schedule()
    scope = {"filters": filters.args(), "today": filters.today, "schedule": [plan.stage_hours, plan.top_score],
             "sites": None if filters.allowed_site_ids is None else sorted(filters.allowed_site_ids)}
    counts, taken_at = cache.counts(current_user.group_id, scope, now,
                                    lambda: board.count(db.session, leads_in_scope(filters), plan, now))
    earliest = counts.earliest.astimezone(filters.tz).date() if counts.earliest else None
    return counts, with_earliest(filters, earliest), taken_at


def _page_context(filters, errors, counts) -> dict:
    context = form_context(filters, current_user, errors, sources(filters))
    # "All open deals" is this page's default period: only another one counts as a filter in use.
    context.update(periods=PERIODS, filters_in_use=bool(
        filters.site_id or filters.seller_id or filters.kind or filters.source or filters.period != ALL_TIME))
    return {**context, "totals": counts.totals, "labels": CATEGORY_LABELS, "tab_args": kpi_link_args(filters),
            "steering_args": filters.args()}


@bp.route("/cockpit")
@roles_required(*ROLES)
@feature_required(FEATURE)
def dashboard():
    filters, errors = filters_from(request.args, page=True)
    now = utcnow()
    counts, filters, taken_at = _counted(filters, now)
    plan = schedule()
    return render_template(
        "steering/dashboard.html", now=taken_at, groups=figures.GROUPS, sellers=figures.seller_rows(counts),
        columns=list(figures.SELLER_COLUMNS), column_labels=figures.SELLER_COLUMNS,
        drill=figures.drill_links(filters), schedule=plan, schedule_rows=figures.schedule_rows(plan),
        config=figures.page_config(filters, taken_at), filter_action=url_for("steering.dashboard"),
        **_page_context(filters, errors, counts),
    )


@bp.route("/cockpit/deals/<category>")
@roles_required(*ROLES)
@feature_required(FEATURE)
def deals(category: str):
    if category not in board.CATEGORIES:
        abort(404)
    filters, errors = filters_from(request.args, page=True)
    try:
        cursor, limit = paging_args(request.args)
    except ApiError:
        abort(400)
    now = utcnow()
    counts, filters, _taken_at = _counted(filters, now)
    page = board.list_page(db.session, leads_in_scope(filters), category, schedule(), now, cursor, limit,
                           figures.LIST_OPTIONS)
    exports = {fmt: url_for("steering.export", category=category, format=fmt, **filters.args())
               for fmt in EXPORT_FORMATS}
    size = {"limit": limit} if limit != board.PAGE_SIZE else {}
    next_url = url_for("steering.deals", category=category, cursor=page.next_cursor, **size, **filters.args()) \
        if page.next_cursor else None
    first_url = url_for("steering.deals", category=category, **size, **filters.args()) if cursor else None
    return render_template(
        "steering/deals.html", category=category, lists=figures.lists_beside(category), page=page, now=now,
        exports=exports, next_url=next_url, first_url=first_url, drill=figures.drill_links(filters),
        reason_labels=REASON_LABELS, late_reasons=LATE_REASONS,
        filter_action=url_for("steering.deals", category=category), **_page_context(filters, errors, counts),
    )


@bp.route("/cockpit/deals/<category>/export")
@roles_required(*ROLES)
@feature_required(FEATURE)
def export(category: str):
    category_or_404(category)
    fmt = request.args.get("format", "")
    if fmt not in EXPORT_FORMATS:
        raise ApiError(422, _("Invalid export."), fields={
            "format": [_("Must be one of: %(choices)s.", choices=", ".join(EXPORT_FORMATS))]})
    filters, _errors = filters_from(request.args, page=False)
    rows = board.iterate(db.session, leads_in_scope(filters), category, schedule(), utcnow(),
                         options=figures.LIST_OPTIONS)
    try:
        table = figures.export_table(category, rows, filters)
    except OverflowError:
        raise ApiError(422, _("More than %(n)d deals: narrow the filters to download them.", n=figures.EXPORT_MAX),
                       fields={"category": [_("Too many deals to download at once.")]}) from None
    return export_response(table, fmt, f"steering-{category}-{filters.today.isoformat()}")


@bp.route("/api/v1/steering/counters")
@roles_required(*ROLES)
@feature_required(FEATURE)
def api_counters():
    """Every figure of the dashboard, in total and per seller, as the database has them now."""
    filters, _errors = filters_from(request.args, page=False)
    counts, filters, taken_at = _counted(filters, utcnow())
    return jsonify(figures.counters_json(filters, counts, taken_at))


@bp.route("/api/v1/steering/deals/<category>")
@roles_required(*ROLES)
@feature_required(FEATURE)
def api_deals(category: str):
    """The deals behind a figure, a page at a time: pass `next_cursor` back as `cursor`."""
    category_or_404(category)
    cursor, limit = paging_args(request.args)
    filters, _errors = filters_from(request.args, page=False)
    page = board.list_page(db.session, leads_in_scope(filters), category, schedule(), utcnow(), cursor, limit,
                           figures.LIST_OPTIONS)
    return jsonify({"category": category, "deals": [figures.deal_json(row) for row in page.rows],
                    "next_cursor": page.next_cursor})
