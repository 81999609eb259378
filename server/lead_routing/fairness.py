"""Fair round-robin among the sellers on duty, weighted by capacity (BX4).

Each candidate's load is its leads received today divided by its capacity weight; the lightest
goes first, then whoever was assigned least recently, then the lowest id. Deterministic: the
same inputs always give the same seller, so a retried job or a dry run agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    capacity: int
    open_leads: int
    max_open_leads: int
    assigned_today: int
    last_assigned_at: datetime | None


def eligible(candidates: list[Candidate]) -> list[Candidate]:
    return [c for c in candidates if c.open_leads < c.max_open_leads and c.capacity > 0]


def ranking_key(candidate: Candidate) -> tuple:
    never = candidate.last_assigned_at is None
    return (
        candidate.assigned_today / candidate.capacity,
        0 if never else 1,
        candidate.last_assigned_at.timestamp() if not never else 0.0,
        candidate.user_id,
    )


def pick(candidates: list[Candidate]) -> Candidate | None:
    pool = eligible(candidates)
    return min(pool, key=ranking_key) if pool else None
