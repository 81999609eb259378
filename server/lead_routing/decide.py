"""Where a lead goes now, and why: one function for the routing job and the admin's dry run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from server.extensions import db
from server.lead_routing.fairness import Candidate, eligible, pick
from server.lead_routing.planning import ExceptionView, ShiftView, on_duty
from server.lead_routing.rules import LeadFacts, RuleView, describe, first_match
from server.models import DealerGroup, Lead, PlanningException, RoutingRule, Shift, Site, User
from server.models.lead import OPEN_STATUSES


@dataclass
class Decision:
    outcome: str  # seller | cell | nobody
    site: Site | None = None
    seller: Candidate | None = None
    rule: RuleView | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # The chosen seller's row, as loaded with the candidates (saves the job loading it again).
    seller_user: User | None = field(default=None, repr=False, compare=False)


def facts_of(lead: Lead) -> LeadFacts:
    vehicle = lead.vehicle or {}
    return LeadFacts(
        kind=lead.kind,
        source=lead.source or "",
        brand=lead.brand or vehicle.get("make") or "",
        model=vehicle.get("model") or (lead.stock_vehicle.model if lead.stock_vehicle else ""),
        postal_code=lead.contact.postal_code or "",
        site=lead.site.code if lead.site else "",
        language=lead.contact.language or "",
    )


def load_rules() -> list[RuleView]:
    return _rules_and_sites()[0]


def _rules_and_sites() -> tuple[list[RuleView], dict[str, Site]]:
    """The active rules in order, and the sites they name, in one query (no lazy load per rule)."""
    rows = db.session.execute(
        select(RoutingRule.id, RoutingRule.name, RoutingRule.conditions, RoutingRule.to_cell, Site)
        .outerjoin(Site, RoutingRule.site_id == Site.id)
        .where(RoutingRule.active).order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    rules = [RuleView(rule_id, name, conditions or {}, site.code if site else None, to_cell)
             for rule_id, name, conditions, to_cell, site in rows]
    return rules, {site.code: site for *_rest, site in rows if site is not None}


def load_planning(site_id: int, moment: datetime | None = None,
                  tz: ZoneInfo | None = None) -> tuple[list[ShiftView], list[ExceptionView]]:
    """The site's weekly shifts and the group's exceptions; all of them (the week view), or with
    `moment` (and the site's `tz`) only those that can matter then: the shifts of that weekday and
    the exceptions covering that moment, which is all `on_duty` looks at."""
    shifts = select(Shift.user_id, Shift.site_id, Shift.weekday, Shift.starts, Shift.ends).where(
        Shift.site_id == site_id)
    exceptions = select(PlanningException.user_id, PlanningException.kind, PlanningException.starts_at,
                        PlanningException.ends_at, PlanningException.site_id)
    if moment is not None:
        exceptions = exceptions.where(PlanningException.starts_at <= moment, PlanningException.ends_at > moment)
        if tz is not None:
            shifts = shifts.where(Shift.weekday == moment.astimezone(tz).weekday())
    return ([ShiftView(*row) for row in db.session.execute(shifts)],
            [ExceptionView(*row) for row in db.session.execute(exceptions)])


def load_candidates(site: Site, now: datetime, exclude: set[int] = frozenset()) -> list[Candidate]:
    """The site's active sellers on duty now, with their load."""
    return _candidates(site, now, exclude)[0]


def _candidates(site: Site, now: datetime, exclude: set[int] = frozenset()) -> tuple[list[Candidate], dict[int, User]]:
    """The candidates, and their User rows (the routing job assigns to one without loading it again).

    One query for the sellers and their load: open leads, leads assigned today (site time) and
    the last assignment in 30 days, counted together over the sellers' leads."""
    tz = site.tz
    shifts, exceptions = load_planning(site.id, now, tz)
    present = on_duty(site.id, now, tz, shifts, exceptions) - set(exclude)
    if not present:
        return [], {}
    start_of_day = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    recent = now - timedelta(days=30)
    load = (
        select(
            Lead.assignee_id.label("user_id"),
            func.count().filter(Lead.status.in_(OPEN_STATUSES)).label("open_leads"),
            func.count().filter(Lead.assigned_at >= start_of_day).label("today"),
            func.max(Lead.assigned_at).filter(Lead.assigned_at >= recent).label("last"),
        )
        # Every row the three figures count, and no other: a seller's closed history can be years
        # long. Both sides of the OR have their index, so the database reads only these rows.
        .where(Lead.assignee_id.in_(present), or_(Lead.status.in_(OPEN_STATUSES), Lead.assigned_at >= recent))
        .group_by(Lead.assignee_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, load.c.open_leads, load.c.today, load.c.last)
        .outerjoin(load, load.c.user_id == User.id)
        .where(User.id.in_(present), User.role == "seller", User.active).order_by(User.id)
    ).all()
    candidates = [Candidate(s.id, s.full_name, s.capacity, open_leads or 0, s.max_open_leads, today or 0, last)
                  for s, open_leads, today, last in rows]
    return candidates, {s.id: s for s, *_rest in rows}


def decide(lead: Lead, now: datetime, *, exclude: set[int] = frozenset()) -> Decision:
    group = db.session.get(DealerGroup, lead.group_id)
    decision = Decision(outcome="nobody")
    if group.routing_mode == "cell_first" and lead.assignee_id is None and not exclude:
        decision.outcome = "cell"
        decision.reasons.append(_("The group routes every new lead to the lead cell first."))
        return decision
    facts = facts_of(lead)
    rules, rule_sites = _rules_and_sites()
    rule = first_match(rules, facts)
    decision.rule = rule
    site_code = facts.site or None
    if rule is not None:
        decision.reasons.append(_("Rule “%(name)s” matches (%(conditions)s).", name=rule.name,
                                  conditions=describe(rule)))
        if rule.to_cell:
            decision.outcome = "cell"
            decision.reasons.append(_("This rule sends the lead to the lead cell."))
            return decision
        site_code = rule.site_code or site_code
    else:
        decision.reasons.append(_("No routing rule matches this lead."))
    site = _site(site_code, lead, rule_sites)
    decision.site = site
    if site is None:
        decision.reasons.append(_("No site could be chosen: the lead cell and the managers must assign it."))
        return decision
    decision.candidates, users = _candidates(site, now, exclude)
    if not decision.candidates:
        decision.reasons.append(_("Nobody is on duty at %(site)s now.", site=site.name))
        return decision
    chosen = pick(decision.candidates)
    if chosen is None:
        decision.reasons.append(_("Every seller on duty at %(site)s has reached their open-lead limit.",
                                  site=site.name))
        return decision
    decision.outcome = "seller"
    decision.seller = chosen
    decision.seller_user = users.get(chosen.user_id)
    decision.reasons.append(_(
        "%(count)d seller(s) on duty at %(site)s; %(name)s has the lightest load for their capacity "
        "(%(today)d lead(s) today, capacity %(capacity)d).",
        count=len(eligible(decision.candidates)), site=site.name, name=chosen.name,
        today=chosen.assigned_today, capacity=chosen.capacity,
    ))
    return decision


def _site(code: str | None, lead: Lead, rule_sites: dict[str, Site]) -> Site | None:
    """The site named by the rule or the lead, from the rows already loaded when possible."""
    if not code:
        return None
    if code in rule_sites:
        return rule_sites[code]
    if lead.site is not None and lead.site.code == code:
        return lead.site
    return db.session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
