"""Stored scores that age: lists sorted on `Lead.score` must see a lead grow stale.

A lead's freshness points drop an hour, a day and a week after it arrived, with or without anyone
writing to it, while the stored score is only recomputed when the lead is written. The
scheduler's tick rescores the open leads that crossed one of those steps since the last tick. The
other moving factor, the first-call deadline, needs nothing here: escalation writes the lead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select

from server.extensions import db, get_redis
from server.leads.score import FRESHNESS, compute
from server.models import DealerGroup, Lead, utcnow
from server.models.lead import OPEN_STATUSES
from server.tenancy import group_scope

log = logging.getLogger(__name__)

WATERMARK = "eseller:score:aged-until"
# After a long stop the catch-up goes this far back at most: past the last step (7 days).
LOOKBACK = timedelta(days=8)
BATCH = 500


def _crossed(since: datetime, now: datetime):
    """Open leads for which a freshness step fell in (since, now]."""
    steps = [and_(Lead.received_at > since - limit, Lead.received_at <= now - limit) for limit, _points in FRESHNESS]
    return and_(Lead.status.in_(OPEN_STATUSES), or_(*steps))


def rescore_aged(now: datetime | None = None) -> int:
    """Store the score of every lead that aged a step since the last call; returns how many changed."""
    now = now or utcnow()
    redis = get_redis()
    stored = redis.get(WATERMARK)
    since = now - LOOKBACK
    if stored is not None:
        since = max(since, datetime.fromtimestamp(float(stored), UTC))
    if since >= now:
        return 0
    crossed = _crossed(since, now)
    # Group by group: within one, the steps are ranges of the open leads' (group, received) index;
    # across all of them, the same question would read every open lead at every tick.
    group_ids = list(db.session.execute(select(DealerGroup.id).order_by(DealerGroup.id)).scalars())
    db.session.rollback()
    changed, failed = 0, False
    for group_id in group_ids:
        with group_scope(group_id):
            try:
                changed += _rescore_group(crossed, now)
            except Exception:  # one group's failure must not hold back the others
                db.session.rollback()
                failed = True
                log.exception("rescoring aged leads failed for group %s", group_id)
    if not failed:  # otherwise the next tick goes over the same stretch again (rescoring is idempotent)
        redis.set(WATERMARK, now.timestamp())
    return changed


def _rescore_group(crossed, now: datetime) -> int:
    changed, after = 0, 0
    while True:
        # A lead someone is writing right now is skipped: that write stores a fresh score anyway.
        leads = list(db.session.execute(
            select(Lead).where(crossed, Lead.id > after).order_by(Lead.id).limit(BATCH)
            .with_for_update(skip_locked=True)
        ).scalars())
        for lead in leads:
            value = compute(lead, now, explain=False).value
            if lead.score != value:
                lead.score = value
                changed += 1
        db.session.commit()
        if len(leads) < BATCH:
            return changed
        after = leads[-1].id
