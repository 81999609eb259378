"""What the steering pages and API read from a request: filters, category, cursor; and their words.

The filters are the cockpit's (`server.cockpit.filters`) with one addition: the period defaults to
"all", every open deal whenever it arrived. A dashboard of where deals stand must not hide the
oldest ones, which are the likeliest to be stuck; choosing a period narrows it to the deals
received in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select
from werkzeug.datastructures import MultiDict

from server.api.errors import ApiError
from server.cockpit.filters import PERIOD_LABELS, CockpitFilters, filters_for_api, filters_for_page
from server.models import Lead
from server.steering import board
from server.steering.rules import Schedule, schedule_for

ROLES = ("manager", "admin")
FEATURE = "MG2"
ALL_TIME = "all"
PERIODS = {ALL_TIME: _l("All open deals"), **PERIOD_LABELS}

CATEGORY_LABELS = {
    "open": _l("Open deals"),
    "behind": _l("Behind schedule"),
    "stage_overdue": _l("Too long in their stage"),
    "action_overdue": _l("Next action overdue"),
    "contact_breached": _l("First-contact deadline missed"),
    "no_action": _l("No next action"),
    "ahead": _l("Ahead of schedule"),
    "hot": _l("Hot deals"),
    "hot_interest": _l("Hot interest"),
    "top_score": _l("Top score"),
    "offer_out": _l("Offer out"),
    "test_drive_done": _l("Test drive done"),
}
# The short words on a lead's row, for each category it is in.
REASON_LABELS = {
    "stage_overdue": _l("Stage overdue"),
    "action_overdue": _l("Action overdue"),
    "contact_breached": _l("Not contacted in time"),
    "no_action": _l("Nothing planned"),
    "ahead": _l("Ahead"),
    "hot_interest": _l("Hot"),
    "top_score": _l("Top score"),
    "offer_out": _l("Offer out"),
    "test_drive_done": _l("Test drive done"),
}
LATE_REASONS = frozenset(board.BEHIND)


def _all_time(args: Mapping[str, str]) -> tuple[bool, MultiDict]:
    raw = (args.get("period") or "").strip()
    rest = MultiDict(args)
    if raw == ALL_TIME or (not raw and not (args.get("from") or "").strip() and not (args.get("to") or "").strip()):
        rest.pop("period", None)
        rest.pop("from", None)
        rest.pop("to", None)
        return True, rest
    return False, rest


def filters_from(args: Mapping[str, str], *, page: bool) -> tuple[CockpitFilters, dict[str, list[str]]]:
    """The request's filters (and, for a page, the errors to show; the API raises a 422 instead)."""
    all_time, rest = _all_time(args)
    if page:
        filters, errors = filters_for_page(rest, current_user)
    else:
        filters, errors = filters_for_api(rest, current_user), {}
    if all_time:
        filters = filters.with_(period=ALL_TIME, date_from=filters.today, date_to=filters.today)
    return filters, errors


def with_earliest(filters: CockpitFilters, earliest: date | None) -> CockpitFilters:
    """For "all": the period shown runs from the oldest open deal in scope to today."""
    if filters.period != ALL_TIME or earliest is None:
        return filters
    return filters.with_(date_from=min(earliest, filters.today))


def leads_in_scope(filters: CockpitFilters) -> Select:
    """The leads the user may see, narrowed by the filters (by reception date, unless "all")."""
    return filters.leads(current_user, at=None if filters.period == ALL_TIME else Lead.received_at)


def kpi_link_args(filters: CockpitFilters) -> dict[str, str]:
    """The same filters for the KPI page, which has no "all" period (it then shows its default)."""
    return filters.args(period=None) if filters.period == ALL_TIME else filters.args()


def schedule() -> Schedule:
    return schedule_for(g.group.settings)


def category_or_404(category: str) -> str:
    if category not in board.CATEGORIES:
        raise ApiError(404, "No such category.", fields={
            "category": [f"Must be one of: {', '.join(board.CATEGORIES)}."]})
    return category


def paging_args(args: Mapping[str, str]) -> tuple[str | None, int]:
    """(cursor, page size) from the request; a 422 naming the field when either is not usable."""
    fields: dict[str, list[str]] = {}
    cursor = (args.get("cursor") or "").strip() or None
    if cursor is not None:
        try:
            board.decode_cursor(cursor)
        except board.CursorError:
            fields["cursor"] = ["Not a cursor given by this list; start again from the first page."]
    raw = (args.get("limit") or "").strip()
    limit = board.PAGE_SIZE
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= board.MAX_PAGE_SIZE:
            fields["limit"] = [f"A whole number from 1 to {board.MAX_PAGE_SIZE}."]
        else:
            limit = int(raw)
    if fields:
        raise ApiError(422, "Invalid paging.", fields=fields)
    return cursor, limit
