"""The steering figures as the page, the JSON API and the downloads give them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.cockpit.export import Table
from server.cockpit.filters import CockpitFilters, seller_choices
from server.extensions import db
from server.inbox.service import current_seq
from server.leads.serialize import lead_json
from server.models import Lead, User
from server.steering import board
from server.steering.context import CATEGORY_LABELS, REASON_LABELS
from server.steering.rules import PROGRESS, Schedule
from server.web.labels import INTEREST_LABELS, KIND_LABELS, STAGE_LABELS, label

# The per-seller table's columns (short headings: the table must fit a phone), and the categories
# of each group of the board.
SELLER_COLUMNS = {"open": _l("Total"), "behind": _l("Behind"), "ahead": _l("Ahead"), "hot": _l("Hot")}
GROUPS = {"behind": board.BEHIND, "ahead": (), "hot": board.HOT}
# Loaded with each listed lead: what its row and its JSON show.
LIST_OPTIONS = (selectinload(Lead.contact), selectinload(Lead.site), selectinload(Lead.assignee),
                selectinload(Lead.stock_vehicle), selectinload(Lead.trade_in))
EXPORT_MAX = 20_000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def seller_rows(counts: board.Counts) -> list[dict]:
    """One row per person holding open deals in scope (and one for deals nobody holds), the most
    behind first. `filterable`: the seller filter accepts them (they work at the user's sites)."""
    ids = [seller_id for seller_id in counts.by_seller if seller_id is not None]
    users = {user.id: user for user in db.session.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    choosable = {user.id for user in seller_choices(current_user)}
    rows = [
        {"id": seller_id, "name": users[seller_id].full_name if seller_id in users else None,
         "filterable": seller_id in choosable, "counts": {key: figures[key] for key in board.CATEGORIES}}
        for seller_id, figures in counts.by_seller.items()
    ]
    rows.sort(key=lambda row: (row["id"] is None, -row["counts"]["behind"], -row["counts"]["open"],
                               row["name"] or ""))
    return rows


def counters_json(filters: CockpitFilters, counts: board.Counts, now: datetime) -> dict:
    return {
        "filters": {**filters.args(), "from": filters.date_from.isoformat(), "to": filters.date_to.isoformat()},
        "now": now.isoformat(),
        "totals": counts.totals,
        "by_seller": [
            {"seller": None if row["id"] is None else {"id": str(row["id"]), "name": row["name"]},
             "filterable": row["filterable"], "counts": row["counts"]}
            for row in seller_rows(counts)
        ],
    }


def deal_json(row: board.Row) -> dict:
    return {**lead_json(row.lead), "reasons": row.reasons, "stage_since": _iso(row.lead.stage_changed_at),
            "next_action_due": _iso(row.next_due)}


def lists_beside(category: str) -> list[str]:
    """The lists offered next to a category's: the board's groups, and the parts of its own group."""
    shown = ["open", "behind", "ahead", "hot"]
    for group, parts in GROUPS.items():
        if category == group or category in parts:
            shown[shown.index(group) + 1:shown.index(group) + 1] = parts
    return shown


def drill_links(filters: CockpitFilters) -> dict[str, str]:
    """Each category's list, with the filters in use."""
    return {key: url_for("steering.deals", category=key, **filters.args()) for key in board.CATEGORIES}


def page_config(filters: CockpitFilters, now: datetime) -> dict:
    """What steering.js needs, in the JSON block inbox-live.js reads (the CSP allows no inline script).

    `last_seq` is read before the figures, so an event committed in between is caught up."""
    return {
        "last_seq": current_seq(current_user.group_id),
        "now": now.isoformat(),
        "timezone": current_user.group.timezone,
        "columns": list(SELLER_COLUMNS),
        "urls": {
            "events": url_for("events_api.events"),
            "counters": url_for("steering.api_counters", **filters.args()),
            "drill": {key: url for key, url in drill_links(filters).items() if key in SELLER_COLUMNS},
        },
        "texts": {"nobody": _("Nobody yet"), "empty": _("No open deal matches these filters.")},
    }


def schedule_rows(schedule: Schedule) -> list[tuple[str, list[str]]]:
    """The expected time in each stage, per kind, in words, for the page's explanation."""
    def words(hours: float | None) -> str:
        if hours is None:
            return "—"
        if hours >= 24 and hours % 24 == 0:
            return _("%(n)d d", n=hours // 24)
        return _("%(n)d h", n=round(hours))

    return [(label(STAGE_LABELS, stage), [words(schedule.hours(kind, stage)) for kind in KIND_LABELS])
            for stage in PROGRESS]


def export_table(category: str, rows: Iterable[board.Row], filters: CockpitFilters) -> Table:
    """Every deal of a category; times in the group's zone (spreadsheets have none)."""
    def local(value: datetime | None):
        return value.astimezone(filters.tz).replace(tzinfo=None) if value else None

    table = Table(
        title=str(CATEGORY_LABELS[category]),
        columns=[_("Lead"), _("Received"), _("Customer"), _("Phone"), _("Type"), _("Source"), _("Site"), _("Seller"),
                 _("Stage"), _("In this stage since"), _("Interest"), _("Score"), _("First contact due"),
                 _("First contact"), _("Next action due"), _("Why")],
    )
    for row in rows:
        if len(table.rows) >= EXPORT_MAX:
            raise OverflowError(EXPORT_MAX)
        lead = row.lead
        table.rows.append([
            lead.id, local(lead.received_at), lead.contact.full_name, lead.contact.phone, label(KIND_LABELS, lead.kind),
            lead.source, lead.site.name if lead.site else "", lead.assignee.full_name if lead.assignee else "",
            label(STAGE_LABELS, lead.stage), local(lead.stage_changed_at), label(INTEREST_LABELS, lead.interest),
            lead.score, local(lead.first_contact_due_at), local(lead.first_contact_at), local(row.next_due),
            ", ".join(str(REASON_LABELS[key]) for key in row.reasons),
        ])
    return table
