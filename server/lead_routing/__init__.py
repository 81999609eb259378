"""Routing leads to sellers on RQ workers: the queues and the worker process.

Work for the queues is enqueued only after the database commit that created it (see
ARCHITECTURE.md); the database stays the truth, Redis carries the work.
"""

from __future__ import annotations

from flask import Flask

from server.lead_routing.queues import get_queue  # noqa: F401 - the package's public entry


def init_app(app: Flask) -> None:
    app.config.setdefault("RQ_WORKER_CLASS", "simple")
