"""Configuration: defaults, then the environment, then explicit overrides.

Nothing here runs at import time beyond constants; `load_config` is called by `create_app`.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    # Flask and extensions
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    MAX_CONTENT_LENGTH = 64 * 1024  # CONTRACT: 413 over 64 KiB
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # a Redis outage must never turn intake into a 500
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = "eseller-rl"

    # eSeller settings (ESELLER_<NAME> in the environment)
    LANGUAGES = ("fr", "en")
    API_TOKEN_TTL = timedelta(days=30)
    LOGIN_RATE_LIMIT = "10 per minute"
    TOKEN_RATE_LIMIT = "10 per minute"
    # Intake: per credential (a portal's API key sends from one address), and per visitor address
    # for the browser widget.
    INTAKE_KEY_RATE_LIMIT = "6000 per minute"
    INTAKE_WIDGET_IP_RATE_LIMIT = "20 per minute"
    SOCKETIO_ASYNC_MODE = "threading"
    # Redis pub/sub ignores database numbers: deployments (or test runs) sharing one Redis server
    # need their own channel, or they would receive each other's events.
    SOCKETIO_CHANNEL = "eseller"
    RQ_QUEUES = ("routing", "default")
    # How often the scheduler sweeps the routing outbox and checks response-time clocks.
    TICK_SECONDS = 10
    # After a Redis call fails, Redis-only side effects are skipped this long (server/redis_breaker.py).
    REDIS_COOL_DOWN_SECONDS = 5
    RUN_SCHEDULER = True  # False: this worker runs jobs only (another one keeps the clocks)
    TESTING_ROUTES = False


def _sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'eseller.db'}"


def _secret_key(instance_path: str) -> str:
    """A generated key kept in the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(app, overrides: dict | None = None) -> None:
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("ESELLER")
    env = os.environ
    overrides = dict(overrides or {})
    database_url = overrides.pop("DATABASE_URL", None) or env.get("DATABASE_URL")
    if database_url and database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url and database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or _sqlite_url(app.instance_path)
    app.config["REDIS_URL"] = overrides.pop("REDIS_URL", None) or env.get("REDIS_URL")
    secret = overrides.pop("SECRET_KEY", None) or env.get("SECRET_KEY")
    app.config["SECRET_KEY"] = secret or _secret_key(app.instance_path)
    app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The web process and the worker write to the same file: WAL lets readers go on while one
        # writes, and the busy timeout makes a writer wait instead of failing at once.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("REDIS_URL"):
        app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "unix://")):
        # A Redis that hangs must not hold a request for long: the limiter then counts in memory.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
