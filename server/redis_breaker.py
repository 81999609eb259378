"""After Redis fails once, the web process stops waiting on it for a few seconds.

Redis carries work and hints, never the truth: the routing outbox, the events table and the
database hold that. When Redis hangs instead of refusing (a network partition, a frozen server),
every call waits out its timeout, and one intake request makes several after its commit (the
steering cache's version, the routing job, the Socket.IO push): 15 to 19 s a lead, measured by
`bench/redis_hung.py`. Once a call has failed, those side effects are skipped until
`REDIS_COOL_DOWN_SECONDS` have passed; the sweeper re-enqueues the routing from the outbox,
clients catch up with `/api/v1/events?after=`, and the steering cache expires on its own. The
next call after the cool-down tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import current_app

log = logging.getLogger(__name__)


class Breaker:
    def __init__(self, cool_down: float):
        self.cool_down = cool_down
        self._open_until = 0.0
        self._lock = threading.Lock()

    def usable(self) -> bool:
        return time.monotonic() >= self._open_until

    def trip(self, error: Exception) -> None:
        with self._lock:
            first = self.usable()
            self._open_until = time.monotonic() + self.cool_down
        if first:
            log.warning("Redis failed (%s): its side effects are skipped for %s s", error, self.cool_down)


def breaker() -> Breaker:
    """This app's breaker (one per process, like its Redis client)."""
    found = current_app.extensions.get("eseller_redis_breaker")
    if found is None:
        found = Breaker(float(current_app.config.get("REDIS_COOL_DOWN_SECONDS", 5)))
        current_app.extensions["eseller_redis_breaker"] = found
    return found


def needs_redis(side_effect: Callable) -> Callable:
    """Mark an after-commit side effect that only Redis can carry, and that can be caught up."""
    side_effect.needs_redis = True
    return side_effect
