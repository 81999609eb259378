"""What "on schedule" means for a deal: the expected time in each stage, per kind, and what a top score is.

The defaults are the rhythm of a typical French dealership; a group changes any of them in its
settings document (`DealerGroup.settings["steering"]`), for instance

    {"steering": {"stage_hours": {"VO": {"contacted": 24}}, "top_score": 85}}

Only the values given are replaced; anything missing or unusable keeps its default, so that a typo
in one figure never empties the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from server.models.lead import LEAD_KINDS

# The stages a deal moves through, in order; "abandoned" has no schedule (the deal is being lost).
PROGRESS = ("new", "contacted", "appointment", "presentation", "test_drive", "offer", "order")

DAY = 24
# Hours a deal may stay in each stage before it is behind. Used cars sell within days (the car is
# unique and on every portal at once), so VO is the tightest; new cars wait on financing and the
# factory; a workshop request is a booking, so only its first steps are quick.
DEFAULT_STAGE_HOURS: dict[str, dict[str, float]] = {
    "VN": {"new": 1 * DAY, "contacted": 3 * DAY, "appointment": 7 * DAY, "presentation": 3 * DAY,
           "test_drive": 3 * DAY, "offer": 7 * DAY, "order": 14 * DAY},
    "VO": {"new": 4, "contacted": 2 * DAY, "appointment": 3 * DAY, "presentation": 2 * DAY,
           "test_drive": 2 * DAY, "offer": 3 * DAY, "order": 7 * DAY},
    "ATELIER": {"new": 8, "contacted": 1 * DAY, "appointment": 7 * DAY, "presentation": 1 * DAY,
                "test_drive": 1 * DAY, "offer": 2 * DAY, "order": 3 * DAY},
}
# A score from this value up is a "top score" hot deal (the lead score runs from 0 to 100).
DEFAULT_TOP_SCORE = 80
# A deal is ahead only from this stage on: reaching "contacted" early is the first-contact clock's
# business (minutes), not a sign that the deal itself is moving fast.
AHEAD_FROM = "appointment"


@dataclass(frozen=True)
class Schedule:
    stage_hours: Mapping[str, Mapping[str, float]]
    top_score: int

    def hours(self, kind: str, stage: str) -> float | None:
        return self.stage_hours.get(kind, {}).get(stage)

    def hours_before(self, kind: str, stage: str) -> float:
        """The time a deal is expected to take to reach `stage` from its arrival."""
        expected = self.stage_hours.get(kind, {})
        return sum(expected.get(s, 0) for s in PROGRESS[: PROGRESS.index(stage)])

    def ahead_stages(self) -> tuple[str, ...]:
        return PROGRESS[PROGRESS.index(AHEAD_FROM):]


def _positive(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value <= 24 * 366 else None


def schedule_for(settings: Mapping | None) -> Schedule:
    """The defaults, with the group's own figures where it gave usable ones."""
    own = (settings or {}).get("steering")
    own = own if isinstance(own, Mapping) else {}
    given = own.get("stage_hours")
    given = given if isinstance(given, Mapping) else {}
    hours: dict[str, dict[str, float]] = {}
    for kind in LEAD_KINDS:
        stages = dict(DEFAULT_STAGE_HOURS[kind])
        overrides = given.get(kind)
        if isinstance(overrides, Mapping):
            for stage in PROGRESS:
                value = _positive(overrides.get(stage))
                if value is not None:
                    stages[stage] = value
        hours[kind] = stages
    top = own.get("top_score")
    top_score = top if isinstance(top, int) and not isinstance(top, bool) and 0 <= top <= 100 else DEFAULT_TOP_SCORE
    return Schedule(hours, top_score)
