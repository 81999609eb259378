"""What one lead adds to the KPIs: the definitions, in one place.

- **Day**: the local date (group's time zone) the lead was received; every figure of a period is
  about the leads *received* in it (a cohort), whatever happened to them since.
- **Site, seller, kind, source**: the lead's current ones (a reassigned lead counts for the seller
  who holds it now).
- **Funnel**: the furthest stage the lead ever reached, from its current stage, every stage change
  of its timeline (from and to) and the stage it had when closed; a won lead reached "order". A lead
  counts at every stage up to that one, also when it was abandoned or moved back later. Stages
  count in `STAGES` order, so a lead at "presentation" counts as having had its appointment.
- **Outcome**: won or lost as it stands (a reopened lead is open again); a lost lead's reason is
  its close reason ("other" when none was given).
- **Delays**: whole minutes of the site's opening hours (plain minutes without a site or hours)
  from reception to the lead's current assignment, display on the seller's screen,
  acknowledgement and first contact, rounded down; a milestone stamped before reception counts 0.
- **Within the deadline**: of the leads with a first contact and a deadline, those contacted at or
  before their deadline (`first_contact_due_at`, itself counted in opening hours).
- **Percentiles**: nearest rank: the p-th percentile of N values is the smallest value v such
  that at least ceil(p * N / 100) values are <= v.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from server.lead_routing.sla import open_minutes_between
from server.models.lead import OPEN_STATUSES, STAGES

STEPS = ("assigned", "displayed", "acknowledged", "first_contact")
STEP_COLUMNS = {step: f"d_{step}" for step in STEPS}
# Funnel columns of KpiDaily and the stage each one needs.
FUNNEL = (("contacted", "contacted"), ("appointment", "appointment"), ("test_drive", "test_drive"),
          ("offer", "offer"), ("ordered", "order"))
STAGE_INDEX = {stage: index for index, stage in enumerate(STAGES) if stage != "abandoned"}
ORDER_INDEX = STAGE_INDEX["order"]
FACT_KEYS = ("day", "site_id", "seller_id", "kind", "source", "reason")
COUNT_COLUMNS = ("leads", "contacted", "appointment", "test_drive", "offer", "ordered", "won", "lost",
                 "n_assigned", "n_displayed", "n_acknowledged", "n_first_contact", "fc_deadline", "fc_on_time")


def stage_index(stage: str | None) -> int:
    """Funnel position of a stage name (0 for "new", for "abandoned" and for anything unknown)."""
    return STAGE_INDEX.get(stage or "", 0)


def stages_in_entry(kind: str, data: Mapping | None) -> list[str]:
    """The stages a timeline entry shows the lead was at."""
    data = data or {}
    if kind == "stage":
        return [data.get("from"), data.get("to")]
    if kind == "closed":
        return [data.get("stage_before")] + (["order"] if data.get("outcome") == "order" else [])
    return []


def lead_fact(lead: Mapping, group_tz: ZoneInfo, site_hours: dict | None, site_tz: ZoneInfo | None,
              seen_stages: Iterable[str | None] = ()) -> dict:
    """The fact row of a lead, from its column values (`lead` maps column names to values)."""
    received: datetime = lead["received_at"]
    furthest = max([stage_index(lead["stage"]), *(stage_index(s) for s in seen_stages)])
    status = lead["status"]
    if status == "won":
        furthest = max(furthest, ORDER_INDEX)
    outcome = "open" if status in OPEN_STATUSES else ("won" if status == "won" else "lost")
    tz = site_tz or group_tz
    fact = {
        "lead_id": lead["id"],
        "group_id": lead["group_id"],
        "day": received.astimezone(group_tz).date(),
        "site_id": lead["site_id"] or 0,
        "seller_id": lead["assignee_id"] or 0,
        "kind": lead["kind"],
        "source": lead["source"],
        "reason": (lead["close_reason"] or "other") if outcome == "lost" else "",
        "furthest": furthest,
        "outcome": outcome,
    }
    for step in STEPS:
        at = lead[f"{step}_at"]
        fact[STEP_COLUMNS[step]] = None if at is None else open_minutes_between(site_hours, tz, received, at)
    contact, due = lead["first_contact_at"], lead["first_contact_due_at"]
    fact["has_deadline"] = contact is not None and due is not None
    fact["on_time"] = fact["has_deadline"] and contact <= due
    return fact


def daily_counts(fact: Mapping) -> dict[str, int]:
    """The fact's contribution to its KpiDaily row."""
    furthest = fact["furthest"]
    counts = {"leads": 1, "won": int(fact["outcome"] == "won"), "lost": int(fact["outcome"] == "lost")}
    for column, stage in FUNNEL:
        counts[column] = int(furthest >= STAGE_INDEX[stage])
    for step in STEPS:
        counts[f"n_{step}"] = int(fact[STEP_COLUMNS[step]] is not None)
    counts["fc_deadline"] = int(bool(fact["has_deadline"]))
    counts["fc_on_time"] = int(bool(fact["on_time"]))
    return counts


def daily_key(fact: Mapping) -> tuple:
    return tuple(fact[k] for k in FACT_KEYS)


def delay_entries(fact: Mapping, all_sites: int) -> list[tuple[date, int, str, int]]:
    """The fact's (day, site, step, minutes) histogram cells: its own site's and the group's."""
    cells = []
    for step in STEPS:
        minutes = fact[STEP_COLUMNS[step]]
        if minutes is None:
            continue
        cells.append((fact["day"], all_sites, step, minutes))
        cells.append((fact["day"], fact["site_id"], step, minutes))
    return cells


def nearest_rank(histogram: Iterable[tuple[int, int]], percents: Iterable[int]) -> list[int | None]:
    """Percentiles (whole percents) of the values described by (value, count) pairs, by nearest rank.

    Integer arithmetic: 0.9 * 10 in floating point is 9.000000000000002, whose ceiling is 10.
    """
    pairs = sorted((v, n) for v, n in histogram if n > 0)
    total = sum(n for _, n in pairs)
    out: list[int | None] = []
    for percent in percents:
        if total == 0:
            out.append(None)
            continue
        rank = max(1, -(-percent * total // 100))
        seen = 0
        for value, n in pairs:
            seen += n
            if seen >= rank:
                out.append(value)
                break
    return out
