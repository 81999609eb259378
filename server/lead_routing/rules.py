"""Routing rules as pure functions: which rule a lead matches, in order, and why (BX4)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

# Condition keys a rule may use; a missing or empty list matches anything.
CONDITION_KEYS = ("site", "brand", "kind", "source", "postal_prefix", "model", "language")
CONDITION_LABELS = {
    "site": _l("site"), "brand": _l("brand"), "kind": _l("kind"), "source": _l("source"),
    "postal_prefix": _l("postal code"), "model": _l("model"), "language": _l("language"),
}


@dataclass(frozen=True)
class LeadFacts:
    kind: str
    source: str = ""
    brand: str = ""
    model: str = ""
    postal_code: str = ""
    site: str = ""  # site code already named by the lead (form, widget key, stock vehicle)
    language: str = ""


@dataclass(frozen=True)
class RuleView:
    id: int
    name: str
    conditions: dict = field(default_factory=dict)
    site_code: str | None = None
    to_cell: bool = False


def _fold(value: str) -> str:
    return (value or "").strip().casefold()


def condition_holds(key: str, wanted: list[str], facts: LeadFacts) -> bool:
    if not wanted:
        return True
    if key == "postal_prefix":
        return any(facts.postal_code.startswith(prefix.strip()) for prefix in wanted if prefix.strip())
    value = _fold(getattr(facts, key))
    return value != "" and value in {_fold(item) for item in wanted}


def matches(rule: RuleView, facts: LeadFacts) -> bool:
    conditions = rule.conditions or {}
    return all(condition_holds(key, conditions.get(key) or [], facts) for key in CONDITION_KEYS)


def first_match(rules: list[RuleView], facts: LeadFacts) -> RuleView | None:
    """Rules are tried in their order; the first that matches decides."""
    return next((rule for rule in rules if matches(rule, facts)), None)


def describe(rule: RuleView) -> str:
    """'kind = VO, brand = Peugeot/Citroën', in the reader's language — for the dry run and the timeline."""
    parts = [f"{CONDITION_LABELS[key]} = {'/'.join(rule.conditions[key])}"
             for key in CONDITION_KEYS if rule.conditions.get(key)]
    return ", ".join(parts) or str(_l("any lead"))
