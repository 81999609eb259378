"""Response-time clocks (BX3): first-contact deadlines counted in the site's opening hours.

A used-car lead received on Saturday at 18:55 with 15 minutes to go is due Monday at 09:10, not
at 19:10 when nobody is there. Without opening hours (no site yet), minutes are plain minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.models import DealerGroup, Lead, Site

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SLA_MINUTES = {"VO": 15, "VN": 30, "ATELIER": 60}
DEFAULT_REASSIGN_AFTER_MINUTES = 15
AT_RISK_SHARE = 1 / 3  # the last third of the allowed time


def add_open_minutes(opening_hours: dict, tz: ZoneInfo, start: datetime, minutes: float) -> datetime:
    """`start` plus `minutes` of opening time (plain minutes when the site never opens)."""
    if not any(opening_hours.get(day) for day in WEEKDAYS):
        return start + timedelta(minutes=minutes)
    local = start.astimezone(tz)
    remaining = timedelta(minutes=minutes)
    for offset in range(0, 15):
        day = local.date() + timedelta(days=offset)
        for opens, closes in sorted(opening_hours.get(WEEKDAYS[day.weekday()], [])):
            span_start = datetime.combine(day, time.fromisoformat(opens), tz)
            span_end = datetime.combine(day, time.fromisoformat(closes), tz)
            if span_end <= local:
                continue
            begin = max(span_start, local)
            if begin + remaining <= span_end:
                return (begin + remaining).astimezone(UTC)
            remaining -= span_end - begin
    return start + timedelta(minutes=minutes)


def sla_minutes(group: DealerGroup, kind: str, source: str | None = None) -> int:
    settings = group.settings or {}
    by_source = settings.get("sla_source_minutes", {})
    if source and source in by_source:
        return int(by_source[source])
    return int(settings.get("sla_minutes", {}).get(kind, DEFAULT_SLA_MINUTES[kind]))


def reassign_after_minutes(group: DealerGroup) -> int:
    return int((group.settings or {}).get("reassign_after_minutes", DEFAULT_REASSIGN_AFTER_MINUTES))


def _hours(site: Site | None) -> tuple[dict, ZoneInfo | None]:
    return (site.opening_hours or {}, site.tz) if site is not None else ({}, None)


def first_contact_deadline(group: DealerGroup, kind: str, source: str | None, received_at: datetime,
                           site: Site | None) -> datetime:
    hours, tz = _hours(site)
    return add_open_minutes(hours, tz or group.tz, received_at, sla_minutes(group, kind, source))


def reassignment_deadline(group: DealerGroup, lead: Lead) -> datetime:
    """When an escalated lead still without first contact goes to another seller."""
    hours, tz = _hours(lead.site)
    start = lead.escalated_at or lead.first_contact_due_at or lead.received_at
    return add_open_minutes(hours, tz or group.tz, start, reassign_after_minutes(group))


def clock_state(lead: Lead, now: datetime) -> str:
    """on_time | at_risk | breached | done (first contact made) | closed."""
    if not lead.is_open:
        return "closed"
    if lead.first_contact_at is not None:
        return "done"
    due = lead.first_contact_due_at
    if due is None:
        return "on_time"
    if now >= due:
        return "breached"
    allowed = due - (lead.assigned_at or lead.received_at)
    return "at_risk" if due - now <= allowed * AT_RISK_SHARE else "on_time"
