"""Routing as pure functions: rules, the planning, fair round-robin and opening-hours clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.lead_routing.fairness import Candidate, pick
from server.lead_routing.planning import ExceptionView, ShiftView, on_duty
from server.lead_routing.rules import LeadFacts, RuleView, describe, first_match
from server.lead_routing.sla import add_open_minutes

PARIS = ZoneInfo("Europe/Paris")
RULES = [
    RuleView(1, "VO to the VO centre", {"kind": ["VO"]}, "vo-center"),
    RuleView(2, "Peugeot to Lyon", {"brand": ["Peugeot", "Citroën"]}, "lyon-centre"),
    RuleView(3, "East Lyon", {"postal_prefix": ["691"], "kind": ["VN"]}, "villeurbanne"),
    RuleView(4, "Portals to the cell", {"source": ["lacentrale"]}, None, to_cell=True),
    RuleView(5, "Default", {}, "lyon-centre"),
]


def test_rules_are_tried_in_order_and_the_first_match_decides():
    assert first_match(RULES, LeadFacts(kind="VO", brand="Peugeot")).id == 1
    assert first_match(RULES, LeadFacts(kind="VN", brand="citroën")).id == 2, "case-insensitive"
    assert first_match(RULES, LeadFacts(kind="VN", brand="Renault", postal_code="69100")).id == 3
    assert first_match(RULES, LeadFacts(kind="ATELIER", postal_code="69100", source="lacentrale")).id == 4
    assert first_match(RULES, LeadFacts(kind="ATELIER")).id == 5
    assert first_match(RULES[:3], LeadFacts(kind="ATELIER")) is None


def test_every_condition_must_hold():
    rule = RuleView(9, "Peugeot 3008 from the website", {"brand": ["Peugeot"], "model": ["3008"], "source": ["website"]}, "x")
    assert first_match([rule], LeadFacts(kind="VN", brand="Peugeot", model="3008", source="website"))
    assert not first_match([rule], LeadFacts(kind="VN", brand="Peugeot", model="208", source="website"))
    assert not first_match([rule], LeadFacts(kind="VN", brand="Peugeot", model="3008", source=""))
    assert describe(rule) == "brand = Peugeot, source = website, model = 3008"


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=PARIS).astimezone(UTC)


SHIFTS = [
    ShiftView(1, 10, 1, "09:00", "12:00"), ShiftView(1, 10, 1, "14:00", "19:00"),  # Tuesday
    ShiftView(2, 10, 1, "09:00", "19:00"),
    ShiftView(3, 11, 1, "09:00", "19:00"),  # another site
]


def test_on_duty_follows_shifts_absences_and_extras():
    tuesday_morning = at("2026-12-08", "10:30")
    assert on_duty(10, tuesday_morning, PARIS, SHIFTS, []) == {1, 2}
    assert on_duty(10, at("2026-12-08", "12:30"), PARIS, SHIFTS, []) == {2}
    assert on_duty(10, at("2026-12-09", "10:30"), PARIS, SHIFTS, []) == set(), "Wednesday: no shift"
    sick = ExceptionView(2, "absence", at("2026-12-08", "00:00"), at("2026-12-09", "00:00"))
    assert on_duty(10, tuesday_morning, PARIS, SHIFTS, [sick]) == {1}
    extra = ExceptionView(3, "extra", at("2026-12-08", "10:00"), at("2026-12-08", "11:00"), site_id=10)
    assert on_duty(10, tuesday_morning, PARIS, SHIFTS, [extra]) == {1, 2, 3}
    assert on_duty(10, tuesday_morning, PARIS, SHIFTS, [extra, ExceptionView(3, "absence", extra.starts_at, extra.ends_at)]) == {1, 2}


def candidate(user_id, *, today=0, capacity=1, last=None, open_leads=0, max_open=30):
    return Candidate(user_id, f"S{user_id}", capacity, open_leads, max_open, today, last)


def test_round_robin_is_weighted_fair_and_deterministic():
    now = datetime(2026, 12, 8, 10, tzinfo=UTC)
    assert pick([candidate(1, today=2), candidate(2, today=1)]).user_id == 2
    assert pick([candidate(1, today=2, capacity=2), candidate(2, today=1)]).user_id == 1, "same load per capacity: lowest id"
    assert pick([candidate(1, today=1, last=now), candidate(2, today=1, last=now - timedelta(minutes=5))]).user_id == 2
    assert pick([candidate(2, today=1, last=now), candidate(1, today=1, last=now)]).user_id == 1, "lowest id breaks ties"
    assert pick([candidate(1, open_leads=30), candidate(2, today=9)]).user_id == 2, "cap respected"
    assert pick([candidate(1, open_leads=30)]) is None


def test_round_robin_shares_follow_capacity_over_a_day():
    sellers = {1: 1, 2: 2, 3: 1}
    counts = dict.fromkeys(sellers, 0)
    last: dict[int, datetime | None] = dict.fromkeys(sellers)
    clock = datetime(2026, 12, 8, 9, tzinfo=UTC)
    for minute in range(400):
        moment = clock + timedelta(minutes=minute)
        chosen = pick([candidate(uid, today=counts[uid], capacity=cap, last=last[uid]) for uid, cap in sellers.items()])
        counts[chosen.user_id] += 1
        last[chosen.user_id] = moment
    assert counts == {1: 100, 2: 200, 3: 100}


HOURS = {"mon": [["09:00", "12:00"], ["14:00", "19:00"]], "tue": [["09:00", "12:00"], ["14:00", "19:00"]],
         "sat": [["09:00", "12:00"], ["14:00", "18:00"]]}


def test_deadlines_count_opening_hours_only():
    assert add_open_minutes(HOURS, PARIS, at("2026-12-08", "10:00"), 15) == at("2026-12-08", "10:15")
    assert add_open_minutes(HOURS, PARIS, at("2026-12-08", "11:50"), 15) == at("2026-12-08", "14:05"), "lunch break"
    assert add_open_minutes(HOURS, PARIS, at("2026-12-12", "17:55"), 15) == at("2026-12-14", "09:10"), "Saturday evening -> Monday"
    assert add_open_minutes(HOURS, PARIS, at("2026-12-08", "07:00"), 30) == at("2026-12-08", "09:30"), "before opening"
    assert add_open_minutes({}, PARIS, at("2026-12-08", "23:00"), 15) == at("2026-12-08", "23:15"), "no hours: plain minutes"
