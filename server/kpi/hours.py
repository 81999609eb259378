"""Opening-hours time between two instants: the inverse of `sla.add_open_minutes`.

The deadline side (`server.lead_routing.sla`) adds opening minutes to an instant; the reporting
side measures how many opening minutes passed between two. Both read the same opening-hours
document (`Site.opening_hours`, weekday -> [["HH:MM", "HH:MM"], ...] in the site's time zone) and
both fall back to plain time when a site never opens.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.lead_routing.sla import WEEKDAYS

# Beyond this many days the full weeks in between are counted as whole weeks.
_WEEK_SHORTCUT_DAYS = 15


def _spans(opening_hours: dict, day, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, time.fromisoformat(opens), tz), datetime.combine(day, time.fromisoformat(closes), tz))
        for opens, closes in sorted(opening_hours.get(WEEKDAYS[day.weekday()], []))
    ]


def _open_seconds(opening_hours: dict, tz: ZoneInfo, start: datetime, end: datetime) -> float:
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = local_start.date()
    last = local_end.date()
    while day <= last:
        for span_start, span_end in _spans(opening_hours, day, tz):
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
