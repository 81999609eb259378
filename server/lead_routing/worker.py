"""The `eseller worker` process: RQ queues, RQ's scheduler, and the periodic tick.

The default is RQ's SimpleWorker, which runs jobs in the worker process itself: jobs here are
short database transactions, and forking for each one costs more than the job. `--fork` keeps
RQ's forking Worker (a crashed job cannot take the worker down); the forked child drops the
inherited connection pool so that no PostgreSQL connection is shared across the fork.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker

from server.extensions import db, get_redis
from server.lead_routing.queues import get_queue

log = logging.getLogger(__name__)
TICK_JOB = "server.lead_routing.jobs.tick"


class _QuickToStop:
    """RQ listens for commands on a pub/sub thread that sleeps 60 s between polls, and redis-py 8
    waits for that thread when the worker stops: poll every second so a worker exits at once."""

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )


class InProcessWorker(_QuickToStop, SimpleWorker):
    pass


class ForkingWorker(_QuickToStop, Worker):
    def setup_work_horse_signals(self) -> None:
        super().setup_work_horse_signals()
        db.engine.dispose(close=False)


def enqueue_tick(app: Flask, now: float | None = None) -> bool:
    """Enqueue the periodic tick once per interval across every worker of the deployment."""
    interval = app.config["TICK_SECONDS"]
    bucket = int((now or time.time()) // interval)
    redis = get_redis()
    if not redis.set(f"eseller:tick:{bucket}", 1, nx=True, ex=interval * 4):
        return False
    get_queue("default").enqueue(TICK_JOB, job_id=f"tick-{bucket}", result_ttl=interval * 10, failure_ttl=3600)
    return True


def _ticker(app: Flask, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.is_set():
            try:
                enqueue_tick(app)
            except RedisError as exc:
                log.warning("tick not enqueued, Redis unavailable: %s", exc)
            stop.wait(app.config["TICK_SECONDS"] / 2)


def run_worker(app: Flask, *, burst: bool = False, fork: bool = False, name: str | None = None) -> bool:
    stop = threading.Event()
    if not burst and app.config["RUN_SCHEDULER"]:
        threading.Thread(target=_ticker, args=(app, stop), name="eseller-ticker", daemon=True).start()
    try:
        with app.app_context():
            worker_class = ForkingWorker if fork else InProcessWorker
            worker = worker_class(list(app.config["RQ_QUEUES"]), connection=get_redis(), name=name)
            return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()
