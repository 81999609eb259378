"""The cockpit's filters: site, seller, kind, source and period, read once from the request.

Every cockpit page and API reads the same arguments:

    site=<site id>  seller=<user id>  kind=VN|VO|ATELIER  source=<text>
    period=today|7d|30d|90d|this_month|last_month|this_year|custom  from=YYYY-MM-DD  to=YYYY-MM-DD

Dates are days of the group's time zone; `to` is included. Giving `from` or `to` means a custom
period. What a user may see is part of the result: a manager is confined to their sites (asking
for another site is an error, not an empty answer), an admin to the whole group (the group itself
is enforced by `server.tenancy`). On the API a bad value is a 422 naming the field
(`filters_for_api`); a page shows the error next to the field and falls back to the default for
that field (`filters_for_page`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, false, or_, select

from server.api.errors import ApiError
from server.extensions import db
from server.leads.visibility import visible_leads
from server.models import Lead, Site, User, user_sites, utcnow
from server.models.lead import LEAD_KINDS

PERIODS = ("today", "7d", "30d", "90d", "this_month", "last_month", "this_year", "custom")
PERIOD_LABELS = {
    "today": _l("Today"),
    "7d": _l("Last 7 days"),
    "30d": _l("Last 30 days"),
    "90d": _l("Last 90 days"),
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "this_year": _l("This year"),
    "custom": _l("Custom dates"),
}
DEFAULT_PERIOD = "30d"
# Longest custom period: a few years of figures is what a manager compares; beyond, the time series
# would have thousands of points.
MAX_DAYS = 3 * 366
# Users who hold leads, and so can be picked as "seller".
SELLER_ROLES = ("seller", "manager")
_SOURCE_RE = re.compile(r"^[\w.\- ]{1,64}$")
# The argument names, in the order a link repeats them.
ARG_NAMES = ("period", "from", "to", "site", "seller", "kind", "source")


class FilterError(ValueError):
    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("invalid filters")
        self.fields = fields


@dataclass(frozen=True)
class CockpitFilters:
    period: str
    date_from: date
    date_to: date  # included
    tz: ZoneInfo
    site_id: int | None = None
    seller_id: int | None = None
    kind: str | None = None
    source: str | None = None
    # The sites the user may see; None: the whole group.
    allowed_site_ids: frozenset[int] | None = None
    today: date = field(default_factory=lambda: utcnow().date())

    @property
    def start(self) -> datetime:
        """First instant of the period, UTC."""
        return datetime.combine(self.date_from, time(0), self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """First instant after the period, UTC."""
        return datetime.combine(self.date_to + timedelta(days=1), time(0), self.tz).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def site_scope(self) -> frozenset[int] | None:
        """The sites the figures cover; None: every site of the group, and leads without a site."""
        if self.site_id is not None:
            return frozenset({self.site_id})
        return self.allowed_site_ids

    def conditions(self, *, site=None, seller=None, kind=None, source=None, at=None, day=None) -> list[ColumnElement]:
        """WHERE conditions on any table that has these columns (leads, or an aggregate by day).

        `at` is a timestamp column compared with the period's instants; `day` a date column of
        the group's local days.
        """
        out: list[ColumnElement] = []
        scope = self.site_scope
        if site is not None and scope is not None:
            out.append(site.in_(sorted(scope)) if scope else false())
        if seller is not None and self.seller_id is not None:
            out.append(seller == self.seller_id)
        if kind is not None and self.kind is not None:
            out.append(kind == self.kind)
        if source is not None and self.source is not None:
            out.append(source == self.source)
        if at is not None:
            out += [at >= self.start, at < self.end]
        if day is not None:
            out += [day >= self.date_from, day <= self.date_to]
        return out

    def apply(self, query: Select, at=Lead.received_at) -> Select:
        """Narrow a `select(Lead)` (for instance `visible_leads(user)`) to these filters."""
        return query.where(*self.conditions(site=Lead.site_id, seller=Lead.assignee_id, kind=Lead.kind,
                                            source=Lead.source, at=at))

    def leads(self, user: User, at=Lead.received_at) -> Select:
        return self.apply(visible_leads(user), at=at)

    def args(self, **overrides) -> dict[str, str]:
        """The filters as query arguments, for links (drill-down, exports) that keep them."""
        values = {
            "period": self.period,
            "from": self.date_from.isoformat() if self.period == "custom" else None,
            "to": self.date_to.isoformat() if self.period == "custom" else None,
            "site": self.site_id, "seller": self.seller_id, "kind": self.kind, "source": self.source,
        }
        values.update(overrides)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def with_(self, **changes) -> CockpitFilters:
        return replace(self, **changes)


def period_dates(period: str, today: date) -> tuple[date, date]:
    if period == "today":
        return today, today
    if period in ("7d", "30d", "90d"):
        return today - timedelta(days=int(period[:-1]) - 1), today
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if period == "this_year":
        return today.replace(month=1, day=1), today
    raise ValueError(period)


def allowed_sites(user: User) -> frozenset[int] | None:
    return None if user.role in ("admin", "cell") else frozenset(user.site_ids)


def _group_tz(user: User) -> ZoneInfo:
    group = g.get("group") or user.group
    return group.tz


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _parse(args: Mapping[str, str], user: User, now: datetime | None) -> tuple[CockpitFilters, dict]:
    errors: dict[str, list[str]] = {}
    tz = _group_tz(user)
    today = (now or utcnow()).astimezone(tz).date()
    allowed = allowed_sites(user)
    values: dict = {"tz": tz, "today": today, "allowed_site_ids": allowed}

    raw_site = (args.get("site") or "").strip()
    if raw_site:
        site_id = _int(raw_site)
        if site_id is None or not _site_visible(site_id, allowed):
            errors["site"] = [str(_l("Unknown site, or not one of yours."))]
        else:
            values["site_id"] = site_id

    raw_seller = (args.get("seller") or "").strip()
    if raw_seller:
        seller_id = _int(raw_seller)
        if seller_id is None or seller_id not in {u.id for u in seller_choices(user)}:
            errors["seller"] = [str(_l("Unknown seller, or not one of your sites."))]
        else:
            values["seller_id"] = seller_id

    kind = (args.get("kind") or "").strip()
    if kind:
        if kind not in LEAD_KINDS:
            errors["kind"] = [str(_l("Must be one of: %(choices)s.", choices=", ".join(LEAD_KINDS)))]
        else:
            values["kind"] = kind

    source = (args.get("source") or "").strip()
    if source:
        if not _SOURCE_RE.match(source):
            errors["source"] = [str(_l("Not a valid source name."))]
        else:
            values["source"] = source

    period = (args.get("period") or "").strip()
    raw_from, raw_to = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if not period:
        period = "custom" if (raw_from or raw_to) else DEFAULT_PERIOD
    if period not in PERIODS:
        errors["period"] = [str(_l("Must be one of: %(choices)s.", choices=", ".join(PERIODS)))]
        period = DEFAULT_PERIOD
    if period == "custom":
        custom = _custom_dates(raw_from, raw_to, today, errors)
        if custom is None:
            period = DEFAULT_PERIOD
        else:
            values["date_from"], values["date_to"] = custom
    if period != "custom":
        values["date_from"], values["date_to"] = period_dates(period, today)
    values["period"] = period
    return CockpitFilters(**values), errors


def _custom_dates(raw_from: str, raw_to: str, today: date, errors: dict) -> tuple[date, date] | None:
    parsed: dict[str, date] = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if not raw:
            continue
        try:
            parsed[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = [str(_l("Not a date (YYYY-MM-DD)."))]
    if "from" in errors or "to" in errors:
        return None
    date_to = parsed.get("to", today)
    date_from = parsed.get("from", date_to - timedelta(days=29))
    if date_from > date_to:
        errors["to"] = [str(_l("The end date is before the start date."))]
        return None
    if (date_to - date_from).days + 1 > MAX_DAYS:
        errors["from"] = [str(_l("A period covers at most %(days)d days.", days=MAX_DAYS))]
        return None
    return date_from, date_to


def _site_visible(site_id: int, allowed: frozenset[int] | None) -> bool:
    if allowed is not None:
        return site_id in allowed
    # The tenancy layer confines the lookup to the user's group: another group's site is unknown.
    return db.session.execute(select(Site.id).where(Site.id == site_id)).scalar_one_or_none() is not None


def parse_filters(args: Mapping[str, str], user: User, now: datetime | None = None) -> CockpitFilters:
    """The filters, or FilterError naming every bad field."""
    filters, errors = _parse(args, user, now)
    if errors:
        raise FilterError(errors)
    return filters


def filters_for_api(args: Mapping[str, str], user: User, now: datetime | None = None) -> CockpitFilters:
    try:
        return parse_filters(args, user, now)
    except FilterError as exc:
        raise ApiError(422, "Invalid filters.", fields=exc.fields) from exc


def filters_for_page(args: Mapping[str, str], user: User,
                     now: datetime | None = None) -> tuple[CockpitFilters, dict[str, list[str]]]:
    """The filters with the bad fields left at their defaults, and the errors to show."""
    return _parse(args, user, now)


def site_choices(user: User) -> list[Site]:
    allowed = allowed_sites(user)
    query = select(Site).order_by(Site.code)
    if allowed is not None:
        query = query.where(Site.id.in_(sorted(allowed)) if allowed else false())
    return list(db.session.execute(query).scalars())


def seller_choices(user: User) -> list[User]:
    """People who hold leads, in the user's sites (all of the group's for an admin)."""
    query = select(User).where(User.role.in_(SELLER_ROLES)).order_by(User.last_name, User.first_name, User.id)
    allowed = allowed_sites(user)
    if allowed is not None:
        in_sites = select(user_sites.c.user_id).where(user_sites.c.site_id.in_(sorted(allowed)) if allowed
                                                       else false())
        query = query.where(or_(User.id.in_(in_sites), User.id == user.id))
    return list(db.session.execute(query).scalars())


def form_context(filters: CockpitFilters, user: User, errors: dict | None = None,
                 sources: list[str] | None = None) -> dict:
    """What the shared filter form (templates/cockpit/_filters.html) needs."""
    return {
        "filters": filters, "filter_errors": errors or {}, "periods": PERIOD_LABELS,
        "filters_in_use": bool(filters.site_id or filters.seller_id or filters.kind or filters.source
                               or filters.period != DEFAULT_PERIOD),
        "site_choices": site_choices(user), "seller_choices": seller_choices(user),
        "kinds": LEAD_KINDS, "sources": sorted(set(sources or []) | ({filters.source} if filters.source else set())),
    }
