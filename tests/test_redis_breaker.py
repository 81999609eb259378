"""A Redis that hangs must not hold intake up.

Before the breaker each lead took 15 to 19 s to answer when Redis accepted connections but never
answered a command: the steering cache's version, the routing job and the Socket.IO push each
waited out their timeouts after the commit. Now the first failure trips the breaker, those
Redis-only side effects are skipped for the cool-down, and every lead is in the database with its
routing row, for the sweeper.

The app runs in a child process: Flask-SocketIO's server is one per process, and the suite's own
app must keep its working Redis. The hung server runs in that child too: it accepts connections
and never answers, as a frozen Redis or a partitioned network does. A client whose call timed out
drops its connection, so the connections it accepted say how many calls each request tried.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Lead, RoutingOutbox
from tests.conftest import ROOT, SECRET_KEY, in_group

pytestmark = pytest.mark.slow

SCRIPT = r"""
import json, os, socket, sys, threading, time

connections, lock = [0], threading.Lock()

def hang(conn):  # read whatever comes, answer nothing
    while conn.recv(65536):
        pass

def accept():
    while True:
        conn, _ = listener.accept()
        with lock:
            connections[0] += 1
        threading.Thread(target=hang, args=(conn,), daemon=True).start()

listener = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=accept, daemon=True).start()
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"

from server.app import create_app
from server.redis_breaker import breaker

app = create_app()
client = app.test_client()
steps = []
for step in sys.argv[2:]:
    if step == "cool-down":
        time.sleep(app.config["REDIS_COOL_DOWN_SECONDS"] + 0.3)
        continue
    lead = {"kind": "VO", "customer": {"last_name": "Redis figé", "email": step}}
    response = client.post("/api/v1/leads", json=lead, headers={"Authorization": "Bearer " + sys.argv[1]})
    with app.app_context():
        usable = breaker().usable()
    with lock:
        tried = connections[0]
    steps.append({"status": response.status_code, "id": (response.json or {}).get("id"), "usable": usable,
                  "connections": tried})
print(json.dumps(steps))
"""


def test_a_hung_redis_trips_the_breaker_and_loses_no_lead(app, demo, database_url, tmp_path):
    emails = [f"fige.{uuid.uuid4().hex[:8]}@example.fr" for _ in range(3)]
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
           "ESELLER_INSTANCE_PATH": str(tmp_path), "ESELLER_REDIS_COOL_DOWN_SECONDS": "1",
           # The rate limiter has its own fallback to memory (Flask-Limiter's); kept out of the count.
           "ESELLER_RATELIMIT_STORAGE_URI": "memory://"}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, demo["a"]["api_key"], emails[0], emails[1], "cool-down",
                             emails[2]], env=env, cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second, third = json.loads(result.stdout.strip().splitlines()[-1])
    assert [step["status"] for step in (first, second, third)] == [202, 202, 202]

    # The first lead's commit tried the steering version, which hung until its timeout: the
    # routing job and the Socket.IO push (whose client has no timeout) were not even tried.
    assert first["usable"] is False and first["connections"] == 1
    # During the cool-down, nothing waits on Redis at all.
    assert second["usable"] is False and second["connections"] == 1
    # After it, the next commit tries once again, and trips again.
    assert third["usable"] is False and third["connections"] == 2

    with in_group(app, "garage-du-parc"):
        for step, email in zip((first, second, third), emails, strict=True):
            lead = db.session.get(Lead, int(step["id"]))
            assert lead.contact.email == email
            outbox = db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead.id)).scalar_one()
            assert outbox.processed_at is None, "it waits for the sweeper"
