"""Chaos, end to end: leads posted while routing workers are SIGKILLed and Redis restarts (once
emptied) are all kept, all routed, none assigned twice (bench/chaos.py, small parameters)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT, new_database_url

pytestmark = pytest.mark.slow

LEADS = 150


def test_no_lead_is_lost_or_assigned_twice_through_worker_kills_and_redis_restarts(tmp_path):
    # A database of its own (PostgreSQL when ESELLER_TEST_DATABASE_URL names one, else an SQLite
    # file) and a Redis of its own, started, stopped and emptied by the bench.
    database_url = new_database_url(tmp_path, "chaos")
    command = [sys.executable, str(ROOT / "bench" / "chaos.py"), "--database-url", database_url,
               "--leads", str(LEADS), "--rate", "20", "--kills", "3", "--redis-restarts", "2", "--redis-down", "2",
               "--recovery-timeout", "60", "--logs", str(tmp_path / "logs")]
    # Its own session, so that whatever happens every process it started goes with it.
    bench = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        stdout, stderr = bench.communicate(timeout=115)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bench.pid, signal.SIGKILL)
        bench.wait()
    assert stdout.strip(), stderr[-3000:]
    report = json.loads(stdout)
    summary = {key: report[key] for key in ("leads_posted", "accepted_202", "leads_lost", "leads_assigned_twice",
                                            "leads_never_routed", "recovery_s_after_last_redis_restart",
                                            "worker_kills", "redis_restarts", "worker_exits_on_their_own")}
    assert report["worker_kills"] == 3 and report["redis_restarts"] == 2, summary
    assert report["accepted_202"] == LEADS, summary
    assert report["leads_lost"] == 0, summary
    assert report["leads_assigned_twice"] == 0, summary
    assert report["leads_never_routed"] == 0, summary
    assert bench.returncode == 0, stderr[-3000:]
