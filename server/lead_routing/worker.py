"""The `eseller worker` process: RQ queues plus RQ's scheduler for delayed jobs.

The default is RQ's SimpleWorker, which runs jobs in the worker process itself: jobs here are
short database transactions, and forking for each one costs more than the job. `--fork` keeps
RQ's forking Worker (a crashed job cannot take the worker down); the forked child drops the
inherited connection pool so that no PostgreSQL connection is shared across the fork.
"""

from __future__ import annotations

from flask import Flask
from rq import SimpleWorker, Worker

from server.extensions import db, get_redis


class ForkingWorker(Worker):
    def setup_work_horse_signals(self) -> None:
        super().setup_work_horse_signals()
        db.engine.dispose(close=False)


def run_worker(app: Flask, *, burst: bool = False, fork: bool = False, name: str | None = None) -> bool:
    with app.app_context():
        worker_class = ForkingWorker if fork else SimpleWorker
        worker = worker_class(list(app.config["RQ_QUEUES"]), connection=get_redis(), name=name)
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
