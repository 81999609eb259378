"""The steering counts, kept in Redis until the group's leads or actions change (and 30 s at most).

Counting a big group's open leads takes a few hundred milliseconds (about 3 µs a lead); a
dashboard that every manager keeps open, and that asks again on every event, would pay it on
every view. So the counts of one scope (the user's sites, the filters, the schedule) are kept
with the group's *version*: a number bumped in Redis after every commit that wrote a lead or an
action of the group, before the commit's events go out (so a page that hears an event and asks
again never gets the counts from before it). A kept entry serves only while the version is the
same, and for `STEERING_CACHE_SECONDS` at most, because time alone moves deals behind (a deadline
passes, nothing is written).

Writes that bypass the ORM (a bulk `UPDATE leads`, COPY) do not bump the version: their effect
shows within the same delay. Without Redis, counts are computed on every request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.after_commit import on_commit_of
from server.extensions import get_redis
from server.models import Action, Lead
from server.redis_breaker import breaker, needs_redis
from server.steering.board import Counts

_PENDING = "eseller_steering_groups"
DEFAULT_SECONDS = 30


def _version_key(group_id: int) -> str:
    return f"eseller:steering:version:{group_id}"


def _bump(group_ids: set[int]) -> None:
    redis = get_redis()
    with redis.pipeline(transaction=False) as pipe:
        for group_id in sorted(group_ids):
            pipe.incr(_version_key(group_id))
        pipe.execute()


def _note_writes(session: Session, _flush_context) -> None:
    """after_flush: remember the groups whose leads or actions this transaction writes."""
    groups = {obj.group_id for obj in (*session.new, *session.dirty, *session.deleted)
              if isinstance(obj, Lead | Action) and obj.group_id is not None}
    if not groups:
        return
    pending = session.info.get(_PENDING)
    if pending is None:
        # Registered at the first flush, so it runs before the events pushed by the same commit.
        pending = session.info[_PENDING] = set()
        on_commit_of(session, _bump_pending, session)
    pending |= groups


@needs_redis
def _bump_pending(session: Session) -> None:
    groups = session.info.pop(_PENDING, set())
    if groups:
        _bump(groups)


def _forget(session: Session, _transaction=None) -> None:
    session.info.pop(_PENDING, None)


def _encode(counts: Counts, computed_at: datetime) -> str:
    return json.dumps({
        "totals": counts.totals,
        "by_seller": [[seller_id, row] for seller_id, row in counts.by_seller.items()],
        "earliest": counts.earliest.isoformat() if counts.earliest else None,
        "computed_at": computed_at.isoformat(),
    })


def _decode(raw: bytes) -> tuple[Counts, datetime]:
    data = json.loads(raw)
    earliest = datetime.fromisoformat(data["earliest"]) if data["earliest"] else None
    counts = Counts(data["totals"], {seller_id: row for seller_id, row in data["by_seller"]}, earliest)
    return counts, datetime.fromisoformat(data["computed_at"])


def counts(group_id: int, scope: dict, now: datetime, compute: Callable[[], Counts]) -> tuple[Counts, datetime]:
    """(counts, when they were computed) for this scope: kept ones when still good, else `compute()`."""
    seconds = int(current_app.config.get("STEERING_CACHE_SECONDS", DEFAULT_SECONDS))
    if seconds <= 0:
        return compute(), now
    digest = hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:32]
    entry_key = f"eseller:steering:counts:{group_id}:{digest}"
    if not breaker().usable():
        return compute(), now
    try:
        redis = get_redis()
        # The version is read before counting: a write committed meanwhile makes this entry stale.
        version, raw = redis.mget(_version_key(group_id), entry_key)
        version = (version or b"0").decode()
        if raw is not None:
            stored_version, _, payload = raw.partition(b"|")
            if stored_version.decode() == version:
                return _decode(payload)
    except RedisError as error:
        breaker().trip(error)
        return compute(), now
    result = compute()
    try:
        redis.set(entry_key, f"{version}|{_encode(result, now)}", ex=seconds)
    except RedisError as error:
        breaker().trip(error)
    return result, now


def init_app(app) -> None:
    app.config.setdefault("STEERING_CACHE_SECONDS", DEFAULT_SECONDS)
    if not event.contains(Session, "after_flush", _note_writes):
        event.listen(Session, "after_flush", _note_writes)
        event.listen(Session, "after_soft_rollback", _forget)
