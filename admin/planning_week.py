"""The week of the shared planning (CE5) as plain values: who works when, day by day.

A day's duty is the weekly shifts plus extra duties, minus absences — the same rules as
`server.lead_routing.planning.on_duty`, over the same `ShiftView` / `ExceptionView` values, but
as spans of a day rather than a yes/no at one instant. Times are wall-clock minutes of the site's
day (0-1440), so a day with a DST change still reads as the clock on the wall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.lead_routing.planning import ExceptionView, ShiftView

DAY_MINUTES = 24 * 60
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

Interval = tuple[int, int]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(value: str | None, today: date) -> date:
    """'2026-W50' -> Monday 7 December 2026; anything else -> this week's Monday."""
    match = _WEEK.match(value or "")
    if match:
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    return monday_of(today)


def week_code(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def to_minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def to_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def clip(starts_at: datetime, ends_at: datetime, day: date, tz: ZoneInfo) -> Interval | None:
    """The part of [starts_at, ends_at) that falls on `day` (site-local), as wall-clock minutes."""
    day_start, next_start = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    if ends_at <= day_start or starts_at >= next_start:
        return None
    begin = 0 if starts_at <= day_start else _wall(starts_at.astimezone(tz))
    end = DAY_MINUTES if ends_at >= next_start else _wall(ends_at.astimezone(tz))
    return (begin, end) if begin < end else None


def _wall(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def subtract(intervals: list[Interval], cuts: list[Interval]) -> list[Interval]:
    result = merge(intervals)
    for cut_begin, cut_end in merge(cuts):
        pieces: list[Interval] = []
        for begin, end in result:
            if cut_end <= begin or cut_begin >= end:
                pieces.append((begin, end))
                continue
            if begin < cut_begin:
                pieces.append((begin, cut_begin))
            if cut_end < end:
                pieces.append((cut_end, end))
        result = pieces
    return result


@dataclass(frozen=True)
class Span:
    begin: int
    end: int
    kind: str  # shift | extra | absence
    note: str = ""
    now: bool = False  # the current moment falls in it

    @property
    def starts(self) -> str:
        return to_hhmm(self.begin)

    @property
    def ends(self) -> str:
        return to_hhmm(self.end)

    @property
    def all_day(self) -> bool:
        # Absences are often typed as 00:00-23:59: that is the whole day too.
        return self.begin == 0 and self.end >= DAY_MINUTES - 1

    @property
    def minutes(self) -> int:
        return self.end - self.begin


@dataclass
class Day:
    day: date
    today: bool = False
    duty: list[Span] = field(default_factory=list)
    absences: list[Span] = field(default_factory=list)

    @property
    def off(self) -> bool:
        return not self.duty and not self.absences


@dataclass
class PersonWeek:
    user_id: int
    days: list[Day]
    on_duty_now: bool = False

    @property
    def duty_minutes(self) -> int:
        return sum(span.minutes for day in self.days for span in day.duty)


def person_days(user_id: int, site_id: int, monday: date, tz: ZoneInfo, shifts: list[ShiftView],
                exceptions: list[tuple[ExceptionView, str]], now: datetime, on_duty_now: bool) -> PersonWeek:
    """Seven days of one person at one site; each exception comes with its note."""
    local_now = now.astimezone(tz)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        worked = [(to_minutes(s.starts), to_minutes(s.ends)) for s in shifts
                  if s.user_id == user_id and s.site_id == site_id and s.weekday == day.weekday()]
        extras, absences = [], []
        for exc, note in exceptions:
            if exc.user_id != user_id or (exc.kind == "extra" and exc.site_id != site_id):
                continue
            part = clip(exc.starts_at, exc.ends_at, day, tz)
            if part is not None:
                (absences if exc.kind == "absence" else extras).append((part, note))
        cuts = [part for part, _note in absences]
        now_minute = _wall(local_now) if day == local_now.date() and on_duty_now else None

        def span(interval: Interval, kind: str, note: str = "", now_minute=now_minute) -> Span:
            live = now_minute is not None and kind != "absence" and interval[0] <= now_minute < interval[1]
            return Span(interval[0], interval[1], kind, note, live)

        duty = [span(i, "shift") for i in subtract(worked, cuts)]
        duty += [span(i, "extra") for i in subtract(subtract([p for p, _n in extras], worked), cuts)]
        days.append(Day(
            day=day,
            today=day == local_now.date(),
            duty=sorted(duty, key=lambda s: s.begin),
            absences=[span(part, "absence", note) for part, note in sorted(absences)],
        ))
    return PersonWeek(user_id=user_id, days=days, on_duty_now=on_duty_now)
