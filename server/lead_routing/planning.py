"""The shared planning (CE5): who is on duty, where, at a given moment.

Weekly shifts in the site's local time, minus absences, plus extra duties. Pure functions over
plain values, so that routing, the dry run and the week view agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ShiftView:
    user_id: int
    site_id: int
    weekday: int  # 0 = Monday
    starts: str  # "09:00", site-local
    ends: str


@dataclass(frozen=True)
class ExceptionView:
    user_id: int
    kind: str  # absence | extra
    starts_at: datetime
    ends_at: datetime
    site_id: int | None = None


def on_shift(shift: ShiftView, moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    return local.weekday() == shift.weekday and shift.starts <= local.strftime("%H:%M") < shift.ends


def absent(user_id: int, moment: datetime, exceptions: list[ExceptionView]) -> bool:
    return any(e.user_id == user_id and e.kind == "absence" and e.starts_at <= moment < e.ends_at for e in exceptions)


def on_duty(
    site_id: int, moment: datetime, tz: ZoneInfo, shifts: list[ShiftView], exceptions: list[ExceptionView]
) -> set[int]:
    """Ids of the users on duty at this site at this moment."""
    present = {s.user_id for s in shifts if s.site_id == site_id and on_shift(s, moment, tz)}
    present |= {
        e.user_id for e in exceptions
        if e.kind == "extra" and e.site_id == site_id and e.starts_at <= moment < e.ends_at
    }
    return {user_id for user_id in present if not absent(user_id, moment, exceptions)}
