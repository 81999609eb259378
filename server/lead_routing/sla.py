"""Response-time clocks (BX3): first-contact deadlines counted in the site's opening hours.

A used-car lead received on Saturday at 18:55 with 15 minutes to go is due Monday at 09:10, not
at 19:10 when nobody is there. Without opening hours (no site yet), minutes are plain minutes.
The reporting side (server/kpi) measures delays with the inverse, `open_minutes_between`, on the
same opening-hours document (weekday -> [["HH:MM", "HH:MM"], ...] in the site's time zone).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.models import DealerGroup, Lead, Site

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SLA_MINUTES = {"VO": 15, "VN": 30, "ATELIER": 60}
DEFAULT_REASSIGN_AFTER_MINUTES = 15
AT_RISK_SHARE = 1 / 3  # the last third of the allowed time


def _day_spans(opening_hours: dict, day, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, time.fromisoformat(opens), tz), datetime.combine(day, time.fromisoformat(closes), tz))
        for opens, closes in sorted(opening_hours.get(WEEKDAYS[day.weekday()], []))
    ]


def add_open_minutes(opening_hours: dict, tz: ZoneInfo, start: datetime, minutes: float) -> datetime:
    """`start` plus `minutes` of opening time (plain minutes when the site never opens)."""
    if not any(opening_hours.get(day) for day in WEEKDAYS):
        return start + timedelta(minutes=minutes)
    local = start.astimezone(tz)
    remaining = timedelta(minutes=minutes)
    for offset in range(0, 15):
        for span_start, span_end in _day_spans(opening_hours, local.date() + timedelta(days=offset), tz):
            if span_end <= local:
                continue
            begin = max(span_start, local)
            if begin + remaining <= span_end:
                return (begin + remaining).astimezone(UTC)
            remaining -= span_end - begin
    return start + timedelta(minutes=minutes)


# Beyond this many days the full weeks in between are counted as whole weeks.
_WEEK_SHORTCUT_DAYS = 15


def _open_seconds(opening_hours: dict, tz: ZoneInfo, start: datetime, end: datetime) -> float:
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = local_start.date()
    while day <= local_end.date():
        for span_start, span_end in _day_spans(opening_hours, day, tz):
            begin, finish = max(span_start, local_start), min(span_end, local_end)
            if finish > begin:
                total += (finish - begin).total_seconds()
        day += timedelta(days=1)
    return total


def open_minutes_between(opening_hours: dict | None, tz: ZoneInfo, start: datetime, end: datetime) -> int:
    """Whole opening minutes (rounded down) from `start` to `end`; 0 when `end` is not after `start`."""
    if end <= start:
        return 0
    hours = opening_hours or {}
    if not any(hours.get(day) for day in WEEKDAYS):
        return int((end - start).total_seconds() // 60)
    days = (end - start).days
    if days <= _WEEK_SHORTCUT_DAYS:
        return int(_open_seconds(hours, tz, start, end) // 60)
    # A week of opening hours is the same every week (in local time), so a long delay costs a few
    # days' arithmetic: the first and last stretches day by day, the weeks between as multiples.
    # Wall-clock arithmetic (aware datetimes in the same zone add in local time): every local week
    # has the same opening spans, whatever the daylight-saving changes in between.
    weeks = (days - 2 * 7) // 7
    start = start.astimezone(tz)
    head_end = start + timedelta(days=7)
    tail_start = head_end + timedelta(weeks=weeks)
    week_seconds = _open_seconds(hours, tz, head_end, head_end + timedelta(days=7))
    seconds = (_open_seconds(hours, tz, start, head_end) + weeks * week_seconds
               + _open_seconds(hours, tz, tail_start, end))
    return int(seconds // 60)


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
