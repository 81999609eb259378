"""GET /healthz per CONTRACT: 200 when the database and Redis answer, 503 naming what is down."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from redis import Redis

from tests.conftest import ROOT, free_port


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_redis_down_is_named(app, client):
    dead = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    saved = app.extensions.get("eseller_redis", None)
    app.extensions["eseller_redis"] = dead
    try:
        response = client.get("/healthz")
    finally:
        if saved is None:
            app.extensions.pop("eseller_redis")
        else:
            app.extensions["eseller_redis"] = saved
    assert response.status_code == 503
    assert response.json["database"] == "ok"
    assert response.json["redis"].startswith("down")


def test_database_down_is_named(tmp_path, redis_url):
    """A server whose database is gone: checked in its own process, with its own app."""
    script = (
        "import json; from server.app import create_app; "
        "app = create_app(); r = app.test_client().get('/healthz'); "
        "print(json.dumps({'status': r.status_code, 'body': r.json}))"
    )
    env = {**os.environ, "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none",
           "REDIS_URL": redis_url, "SECRET_KEY": "x", "ESELLER_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-1500:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["database"].startswith("down")
    assert answer["body"]["redis"] == "ok"
