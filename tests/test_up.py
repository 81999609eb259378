"""`eseller up` on an empty instance: no database or Redis configured, the product comes up."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow


def test_up_runs_everything_on_embedded_defaults(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env["ESELLER_INSTANCE_PATH"] = str(tmp_path / "instance")
    log_path = tmp_path / "up.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "server.cli", "up", "--port", str(port),
                                    "--smtp-port", str(free_port())],
                                   env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            output = _wait_for(log_path, "Press Ctrl+C to stop.", process)
            assert f"http://localhost:{port}/" in output
            email = re.search(r"seller\s+(\S+@\S+)", output).group(1)
            password = re.search(r"password '([^']+)'", output).group(1)
            base = f"http://127.0.0.1:{port}"
            _wait_http(base + "/healthz")
            health = requests.get(base + "/healthz", timeout=5)
            assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
            session = requests.Session()
            page = session.get(base + "/login", timeout=5).text
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            signed_in = session.post(base + "/login", data={"email": email, "password": password, "csrf_token": csrf},
                                     timeout=10)
            assert signed_in.url.endswith("/home")
            assert "Mes leads" in signed_in.text
            instance = Path(env["ESELLER_INSTANCE_PATH"])
            assert (instance / "eseller.db").exists()
            assert (instance / "redis.url").exists()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    assert not (Path(env["ESELLER_INSTANCE_PATH"]) / "redis.url").exists(), "the embedded Redis was stopped"


def _wait_for(path: Path, marker: str, process, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text()
        if marker in text:
            return text
        assert process.poll() is None, text[-3000:]
        time.sleep(0.2)
    raise AssertionError(path.read_text()[-3000:])


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")
