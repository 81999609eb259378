"""What the inboxes show: the seller's open leads, the cell's waiting leads, who can take a lead.

Pure reads: nothing here writes. Acknowledging, logging calls and assigning stay in
`server.leads.api`, so that the inbox and the mobile app go through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.lead_routing.decide import load_candidates
from server.lead_routing.sla import AT_RISK_SHARE, clock_state
from server.models import Action, GroupCounter, Lead, Site, User
from server.models.lead import OPEN_STATUSES

# The most cards a page renders; the rest is counted ("and N more"), never silently dropped.
PAGE_SIZE = 100
_CARD_OPTIONS = (selectinload(Lead.contact), selectinload(Lead.site), selectinload(Lead.assignee),
                 selectinload(Lead.stock_vehicle))


def current_seq(group_id: int) -> int:
    """The group's last event number: the page is rendered as of this point of the event log."""
    seq = db.session.execute(select(GroupCounter.event_seq).where(GroupCounter.group_id == group_id)).scalar()
    return int(seq or 0)


def seller_leads_query(user: User):
    """The seller's inbox: open leads in their hands (not the ones they entered for others)."""
    return select(Lead).where(Lead.assignee_id == user.id, Lead.status.in_(OPEN_STATUSES))


def waiting_leads_query():
    """The cell's inbox: leads nobody holds yet (the group is set by the tenancy layer)."""
    return select(Lead).where(Lead.status == "new", Lead.assignee_id.is_(None))


def _page(query, order) -> tuple[list[Lead], int]:
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    leads = list(db.session.execute(query.order_by(*order).options(*_CARD_OPTIONS).limit(PAGE_SIZE)).scalars())
    return leads, int(total or 0)


def seller_inbox(user: User) -> tuple[list[Lead], int]:
    # Not yet acknowledged first (they are what the seller must act on), then newest first.
    return _page(seller_leads_query(user), (Lead.acknowledged_at.is_not(None), Lead.received_at.desc(), Lead.id.desc()))


def cell_inbox() -> tuple[list[Lead], int]:
    # Newest first: a lead that just came in is the one still worth a call within minutes, and a
    # live insert lands at the top, where the eye already is.
    return _page(waiting_leads_query(), (Lead.received_at.desc(), Lead.id.desc()))


def in_seller_inbox(user: User, lead: Lead) -> bool:
    return lead.assignee_id == user.id and lead.is_open


def is_waiting(lead: Lead) -> bool:
    return lead.status == "new" and lead.assignee_id is None


def seller_actions(user: User, now: datetime) -> tuple[int, list[Action]]:
    """(overdue count, actions due by the end of the local day) of the seller."""
    actions = select(Action).where(Action.user_id == user.id, Action.done_at.is_(None))
    overdue = db.session.scalar(select(func.count()).select_from(actions.where(Action.due_at < now).subquery()))
    end_of_day = now.astimezone(user.group.tz).replace(hour=23, minute=59, second=59)
    today = list(db.session.execute(
        actions.where(Action.due_at <= end_of_day).order_by(Action.due_at).options(selectinload(Action.lead)).limit(20)
    ).scalars())
    return int(overdue or 0), today


@dataclass(frozen=True)
class Clock:
    """The first-contact clock of one lead, as the card shows it and the browser keeps it ticking."""

    state: str  # on_time | at_risk | breached | done | closed
    due_at: datetime | None
    started_at: datetime


def clock_of(lead: Lead, now: datetime) -> Clock:
    return Clock(clock_state(lead, now), lead.first_contact_due_at, lead.assigned_at or lead.received_at)


def clock_settings() -> dict:
    """What the browser needs to judge a clock the way `clock_state` does."""
    return {"at_risk_share": AT_RISK_SHARE}


# ---- Who can take a lead (CE5, MG1): the sellers of a site, on duty or not, with their load ----

def assignable_sites(user: User) -> list[Site]:
    """Sites a user may hand leads out at: a manager their own, the cell and admins every site."""
    if user.role == "manager":
        return list(user.sites)
    return list(db.session.execute(select(Site).order_by(Site.code)).scalars())


@dataclass
class SellerLoad:
    user: User
    sites: list[Site]
    on_duty: bool
    open_leads: int
    leads_today: int

    @property
    def at_limit(self) -> bool:
        return self.open_leads >= self.user.max_open_leads

    def as_json(self) -> dict:
        return {
            "id": str(self.user.id),
            "name": self.user.full_name,
            "sites": [site.code for site in self.sites],
            "on_duty": self.on_duty,
            "open_leads": self.open_leads,
            "leads_today": self.leads_today,
            "capacity": self.user.capacity,
            "max_open_leads": self.user.max_open_leads,
            "at_limit": self.at_limit,
        }


def _counts(ids: list[int], since: datetime) -> tuple[dict[int, int], dict[int, int]]:
    """Open leads and leads assigned since `since`, per seller (the same measures as routing)."""
    if not ids:
        return {}, {}
    open_counts = dict(db.session.execute(
        select(Lead.assignee_id, func.count()).where(Lead.assignee_id.in_(ids), Lead.status.in_(OPEN_STATUSES))
        .group_by(Lead.assignee_id)
    ).all())
    today = dict(db.session.execute(
        select(Lead.assignee_id, func.count()).where(Lead.assignee_id.in_(ids), Lead.assigned_at >= since)
        .group_by(Lead.assignee_id)
    ).all())
    return open_counts, today


def seller_board(sites: list[Site], now: datetime) -> list[SellerLoad]:
    """Every active seller of these sites: on duty now (from the shared planning) or not.

    Routing's own `load_candidates` says who is on duty and their load, so that the person
    transferring by hand sees exactly what the routing job would weigh.
    """
    site_ids = {site.id for site in sites}
    sellers = [u for u in db.session.execute(
        select(User).where(User.role == "seller", User.active).options(selectinload(User.sites))
        .order_by(User.last_name, User.first_name, User.id)
    ).scalars() if u.site_ids & site_ids]
    duty: dict[int, tuple[int, int]] = {}
    for site in sites:
        for candidate in load_candidates(site, now):
            duty[candidate.user_id] = (candidate.open_leads, candidate.assigned_today)
    tz = sites[0].tz if sites else None
    start_of_day = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0) if tz else now - timedelta(days=1)
    off_ids = [seller.id for seller in sellers if seller.id not in duty]
    open_counts, today = _counts(off_ids, start_of_day)
    board = []
    for seller in sellers:
        opened, assigned_today = duty.get(seller.id) or (open_counts.get(seller.id, 0), today.get(seller.id, 0))
        board.append(SellerLoad(seller, [s for s in seller.sites if s.id in site_ids], seller.id in duty,
                                opened, assigned_today))
    # On duty first, then the lightest load for their capacity: the order routing would pick in.
    board.sort(key=lambda s: (not s.on_duty, s.at_limit, s.leads_today / max(s.user.capacity, 1), s.open_leads))
    return board
