"""With Redis down, intake still answers 202 and the lead waits in the database for routing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from server.extensions import db
from server.models import Lead, RoutingOutbox
from tests.conftest import ROOT, SECRET_KEY, free_port, in_group

SCRIPT = """
import json, sys
from server.app import create_app
app = create_app()
lead = {"kind": "VN", "customer": {"last_name": "Sans Redis", "email": sys.argv[2]}}
response = app.test_client().post("/api/v1/leads", json=lead, headers={"Authorization": "Bearer " + sys.argv[1]})
print(json.dumps({"status": response.status_code, "body": response.json}))
"""


def test_intake_without_redis_keeps_the_lead(app, demo, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
           "SECRET_KEY": SECRET_KEY, "ESELLER_INSTANCE_PATH": str(tmp_path)}
    email = "sans.redis@example.fr"
    result = subprocess.run([sys.executable, "-c", SCRIPT, demo["a"]["api_key"], email], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 202, answer
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, int(answer["body"]["id"]))
        assert lead.contact.email == email
        outbox = db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead.id)).scalar_one()
        assert outbox.processed_at is None, "the lead waits for routing"
