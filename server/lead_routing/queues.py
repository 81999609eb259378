from __future__ import annotations

from flask import current_app
from rq import Queue

from server.extensions import get_redis


def get_queue(name: str = "routing") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())
