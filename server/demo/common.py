"""Helpers shared by the demo builders: seeded randomness, local time, identifiers."""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.models import Site, User

TZ = ZoneInfo("Europe/Paris")
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# French plates (SIV) never use I, O or U.
_PLATE_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IOU")
# Phones printed in the repository's sample feeds: never give them to a demo customer.
_RESERVED_PHONES = {"+33612345678", "+33781224510", "+33645127890"}


def seeded(slug: str, part: str) -> random.Random:
    """One random stream per part, so that changing one builder leaves the others' data alone."""
    return random.Random(f"eseller-demo:{slug}:{part}")


@dataclass
class DemoContext:
    """What the builders share once the group's structure exists."""

    slug: str
    now: datetime
    mail_domain: str
    sites: dict[str, Site] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    sellers: dict[str, list[User]] = field(default_factory=dict)  # site code -> sellers
    by_role: dict[str, list[User]] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.astimezone(TZ).date()

    @property
    def web(self) -> str:
        return f"https://www.{self.slug}.example"


def local_at(day: date, hhmm: str | time) -> datetime:
    """A wall-clock time in Lyon, as an aware UTC datetime."""
    moment = hhmm if isinstance(hhmm, time) else time.fromisoformat(hhmm)
    return datetime.combine(day, moment, tzinfo=TZ).astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def at_minutes(day: date, minutes: int) -> datetime:
    """`minutes` after local midnight of `day` (clamped to the day)."""
    minutes = max(0, min(minutes, 24 * 60 - 1))
    return local_at(day, time(minutes // 60, minutes % 60))


def business_moment(rng: random.Random, day: date, start: int = 9 * 60, end: int = 19 * 60) -> datetime:
    """A moment of `day` between two local times given in minutes after midnight."""
    return at_minutes(day, rng.randint(start, end))


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))


def working_between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """Like `between`, but during working hours (Mon-Sat, 9:00-19:00 in Lyon) when the window has some."""
    for _ in range(12):
        moment = between(rng, start, end)
        local = moment.astimezone(TZ)
        if local.weekday() < 6 and 9 <= local.hour < 19:
            return moment
    return between(rng, start, end)


def ascii_name(text: str) -> str:
    """'Lefèvre' -> 'lefevre', 'Le Gall' -> 'le-gall': for e-mail local parts."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace(" ", "-").replace("'", "")
    return "".join(c for c in plain if c.isalnum() or c == "-")


def plate(rng: random.Random) -> str:
    letters = rng.choices(_PLATE_LETTERS, k=4)
    return f"{letters[0]}{letters[1]}-{rng.randint(1, 999):03d}-{letters[2]}{letters[3]}"


def vin(rng: random.Random, wmi: str) -> str:
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O or Q in a VIN
    return wmi + "".join(rng.choices(alphabet, k=14))


def mobile_phone(rng: random.Random, used: set[str]) -> str:
    """A metropolitan French mobile number in E.164, unique within `used`.

    06 39 and 06 90-97 are overseas mobile blocks (Mayotte, Antilles, Réunion...): not drawn.
    """
    while True:
        if rng.random() < 0.75:
            block = rng.choice([n for n in range(10, 90) if n != 39])
            number = f"+336{block}{rng.randint(0, 999999):06d}"
        else:
            number = f"+337{rng.randint(50, 89)}{rng.randint(0, 999999):06d}"
        if number not in used and number not in _RESERVED_PHONES:
            used.add(number)
            return number
