"""RQ jobs: route one lead, and the periodic tick (outbox sweeper, response-time clocks).

Jobs take ids, never objects, and re-check the state they find: a job may run twice (a retry, a
sweep racing the first enqueue, two workers), and the second run must change nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from rq import Retry
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from server.extensions import db
from server.lead_routing.assign import assign, notify, site_managers_and_cell
from server.lead_routing.decide import decide
from server.lead_routing.queues import get_queue
from server.models import Lead, LeadEntry, RoutingOutbox, User, utcnow
from server.realtime.events import record_event
from server.redis_breaker import needs_redis
from server.tenancy import all_groups, group_scope

log = logging.getLogger(__name__)
ROUTE_JOB = "server.lead_routing.jobs.route_lead"


@needs_redis  # after a commit; the sweeper enqueues from the outbox what was skipped
def enqueue_routing(lead_id: int, group_id: int) -> None:
    """Called after the commit that wrote the lead; the job id makes a second enqueue harmless."""
    get_queue("routing").enqueue(
        ROUTE_JOB, lead_id, group_id, job_id=f"route-lead-{lead_id}", retry=Retry(max=3, interval=[1, 5, 15]),
        result_ttl=600, failure_ttl=7 * 86400,
    )


def route_lead(lead_id: int, group_id: int) -> str:
    with group_scope(group_id):
        try:
            return _route(lead_id)
        finally:
            db.session.remove()


def _route(lead_id: int) -> str:
    now = utcnow()
    # Claim the outbox row: only one runner sees rowcount 1 (PostgreSQL locks the row until commit,
    # SQLite serialises writers), so a lead is routed once however many jobs race for it.
    claimed = db.session.execute(
        update(RoutingOutbox)
        .where(RoutingOutbox.lead_id == lead_id, RoutingOutbox.processed_at.is_(None))
        .values(processed_at=now, attempts=RoutingOutbox.attempts + 1),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return "already routed"
    # The customer comes with the lead (routing reads the postal code and the language); only the
    # lead's row is locked.
    lead = db.session.execute(
        select(Lead).options(joinedload(Lead.contact, innerjoin=True)).where(Lead.id == lead_id)
        .with_for_update(of=Lead)
    ).scalar_one_or_none()
    if lead is None or lead.assignee_id is not None or lead.status != "new":
        db.session.commit()
        return "nothing to do"
    decision = decide(lead, now)
    if decision.outcome == "seller":
        if decision.site is not None and lead.site_id != decision.site.id:
            lead.site = decision.site
        seller = decision.seller_user or db.session.get(User, decision.seller.user_id)
        assign(lead, seller, now, reason=" ".join(decision.reasons[-1:]))
        result = f"assigned to {seller.id}"
    elif decision.outcome == "cell":
        db.session.add(LeadEntry(lead=lead, at=now, kind="queued", body=" ".join(decision.reasons)))
        result = "waiting for the cell"
    else:
        if decision.site is not None and lead.site_id is None:
            lead.site = decision.site
        text = " ".join(decision.reasons)
        db.session.add(LeadEntry(lead=lead, at=now, kind="unrouted", body=text))
        notify(site_managers_and_cell(lead), lead, "nobody_on_duty", text)
        record_event("lead.updated", lead, roles=("cell", "manager", "admin"), extra={"reason": "nobody_on_duty"})
        result = "nobody on duty"
    db.session.commit()
    return result


def pending_routing(after_id: int = 0, limit: int = 500, older_than_seconds: int = 10) -> list[tuple[int, int, int]]:
    """(outbox id, lead id, group id) of rows nobody routed: Redis was down, or a worker died."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = db.session.execute(all_groups(
        select(RoutingOutbox.id, RoutingOutbox.lead_id, RoutingOutbox.group_id)
        .where(RoutingOutbox.processed_at.is_(None), RoutingOutbox.created_at < cutoff, RoutingOutbox.id > after_id)
        .order_by(RoutingOutbox.id).limit(limit)
    )).all()
    return [(outbox_id, lead_id, group_id) for outbox_id, lead_id, group_id in rows]


def sweep_outbox(max_pages: int = 40) -> int:
    """Re-enqueue the whole backlog, page by page (after a long outage it can be thousands)."""
    swept, after_id = 0, 0
    for _ in range(max_pages):
        page = pending_routing(after_id)
        for outbox_id, lead_id, group_id in page:
            enqueue_routing(lead_id, group_id)
            after_id = outbox_id
        swept += len(page)
        if len(page) < 500:
            break
    if swept:
        log.info("re-enqueued %d unrouted leads", swept)
    return swept


def tick() -> dict:
    """The scheduler's periodic job."""
    from server.actions.service import notify_due_actions
    from server.lead_routing.clocks import check_deadlines
    from server.leads.aging import rescore_aged

    try:
        swept = sweep_outbox()
        clocks = check_deadlines()
        actions_due = notify_due_actions()
        rescored = rescore_aged()
    finally:
        db.session.remove()
    return {"swept": swept, **clocks, "actions_due": actions_due, "rescored": rescored}
