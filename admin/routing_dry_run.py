"""The dry run (BX4): where would this lead go at this moment, and why — without saving anything.

The answer must be the routing job's answer, so it calls the same `decide()` on a lead built for
the question. That lead and its contact are transient: they are never added to the session, and
`decide()` runs under `no_autoflush` inside a SAVEPOINT that is always rolled back, so that
even a future change to `decide()` that writes something could not leave a row behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.extensions import db
from server.lead_routing.decide import Decision, decide, facts_of, load_rules
from server.lead_routing.fairness import Candidate, eligible, ranking_key
from server.lead_routing.rules import CONDITION_KEYS, LeadFacts, RuleView, condition_holds
from server.models import Contact, DealerGroup, Lead, Site


@dataclass(frozen=True)
class RuleStep:
    """One rule as the dry run tried it: matched, failed on a condition, or never reached."""

    rule: RuleView
    state: str  # matched | failed | not_reached
    key: str | None = None  # the first condition that failed
    wanted: tuple[str, ...] = ()
    value: str = ""


@dataclass
class DryRun:
    decision: Decision
    moment: datetime
    facts: LeadFacts
    mode: str
    steps: list[RuleStep] = field(default_factory=list)
    ranked: list[Candidate] = field(default_factory=list)  # in the order the round-robin takes them
    full: set[int] = field(default_factory=set)  # on duty but at their open-lead limit (or capacity 0)


def transient_lead(group: DealerGroup, *, kind: str, brand: str = "", model: str = "", source: str = "",
                   postal_code: str = "", language: str = "", site: Site | None = None) -> Lead:
    """A lead as intake would build it, for the question only (not added to the session)."""
    contact = Contact(group_id=group.id, postal_code=postal_code, language=language)
    lead = Lead(group_id=group.id, kind=kind, source=source, channel="api", brand=brand or None,
                vehicle={key: value for key, value in (("make", brand), ("model", model)) if value},
                status="new", contact=contact)
    # A relationship to a persistent site does not cascade the lead into the session (no backref).
    lead.site = site
    return lead


def trace(rules: list[RuleView], facts: LeadFacts) -> list[RuleStep]:
    """Each active rule in order, with the condition that ruled it out (the same pure checks)."""
    steps: list[RuleStep] = []
    matched = False
    for rule in rules:
        if matched:
            steps.append(RuleStep(rule, "not_reached"))
            continue
        conditions = rule.conditions or {}
        failing = next((key for key in CONDITION_KEYS
                        if not condition_holds(key, conditions.get(key) or [], facts)), None)
        if failing is None:
            matched = True
            steps.append(RuleStep(rule, "matched"))
        else:
            value = facts.postal_code if failing == "postal_prefix" else getattr(facts, failing)
            steps.append(RuleStep(rule, "failed", failing, tuple(conditions[failing]), value))
    return steps


def simulate(group: DealerGroup, lead: Lead, moment: datetime) -> DryRun:
    session = db.session
    with session.no_autoflush:
        savepoint = session.begin_nested()
        try:
            decision = decide(lead, moment.astimezone(UTC))
            facts = facts_of(lead)
            rules = load_rules()
        finally:
            savepoint.rollback()
    for obj in (lead, lead.contact):
        if obj in session:  # never expected; keeps the request's session clean whatever happens
            session.expunge(obj)
    result = DryRun(decision=decision, moment=moment, facts=facts, mode=group.routing_mode,
                    steps=trace(rules, facts))
    pool = eligible(decision.candidates)
    result.ranked = sorted(pool, key=ranking_key) + [c for c in decision.candidates if c not in pool]
    result.full = {c.user_id for c in decision.candidates if c not in pool}
    return result
