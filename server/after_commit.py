"""Side effects that must wait for the commit: enqueueing jobs, pushing to sockets.

A job enqueued or an event pushed before its rows are committed can run against data that is not
there yet, or that a rollback removes (ARCHITECTURE.md, pitfall 1). Service code registers the side
effect with `on_commit`; it runs once the session's transaction has committed, and is dropped if
the transaction rolls back. A failing side effect is logged, never raised: the commit stands, and
the sweepers catch up from the database. A Redis failure also trips `server.redis_breaker`, and
side effects marked `needs_redis` are skipped while it cools down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.extensions import db
from server.redis_breaker import breaker

log = logging.getLogger(__name__)
_KEY = "eseller_after_commit"


def on_commit(callback: Callable, *args, **kwargs) -> None:
    """Run `callback(*args, **kwargs)` once the current session's transaction commits."""
    on_commit_of(db.session(), callback, *args, **kwargs)


def on_commit_of(session: Session, callback: Callable, *args, **kwargs) -> None:
    session.info.setdefault(_KEY, []).append((callback, args, kwargs))


def _run(session: Session) -> None:
    pending = session.info.pop(_KEY, [])
    for callback, args, kwargs in pending:
        needs_redis = getattr(callback, "needs_redis", False)
        if needs_redis and not breaker().usable():
            continue  # Redis just failed: waiting on it again would only hold the request up
        try:
            callback(*args, **kwargs)
        except RedisError as error:
            breaker().trip(error)
            log.warning("after-commit side effect %s failed: %s", getattr(callback, "__name__", callback), error)
        except Exception:  # noqa: BLE001 - the commit already happened; recovery is the sweepers' job
            log.exception("after-commit side effect %s failed", getattr(callback, "__name__", callback))


def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)


def init_app(app) -> None:
    if not event.contains(Session, "after_commit", _run):
        event.listen(Session, "after_commit", _run)
        event.listen(Session, "after_soft_rollback", lambda session, _tx: _drop(session))
