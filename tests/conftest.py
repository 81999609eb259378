"""Fixtures: the suite runs on a real database (PostgreSQL or SQLite) and a real Redis.

`ESELLER_TEST_DATABASE_URL` names a PostgreSQL server to run on (a fresh database is created per
test process); unset, the suite runs on an SQLite file. `ESELLER_TEST_REDIS_URL` names a Redis;
unset, the local one on 6379 is used when it answers, else an embedded one.

Data: two demo groups are created once per run ("garage-du-parc" and "autre-groupe"); tests add
their own rows next to them and assert on those, never on global counts. Redis is emptied before
every test.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import phonenumbers
import pytest
import requests
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.extensions import db
from server.tenancy import group_scope

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DEMO_SLUGS = {"a": "garage-du-parc", "b": "autre-groupe"}
SECRET_KEY = "test-secret-key-not-for-production"


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _worker_number() -> int:
    return int(_worker_id().removeprefix("gw") or 0)


def create_postgres_database(base_url: str, name: str) -> str:
    """A new, empty PostgreSQL database next to `base_url`'s; returns its URL."""
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def new_database_url(tmp_dir: Path, label: str) -> str:
    base = os.environ.get("ESELLER_TEST_DATABASE_URL")
    if base:
        return create_postgres_database(base, f"eseller_test_{label}_{_worker_id()}")
    return f"sqlite:///{tmp_dir / f'{label}.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return new_database_url(tmp_path_factory.mktemp("db"), "main")


def _redis_base(tmp_path_factory) -> str:
    base = os.environ.get("ESELLER_TEST_REDIS_URL")
    if not base:
        try:
            Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
            base = "redis://127.0.0.1:6379"
        except RedisError:
            from server import embedded_redis

            base = embedded_redis.ensure(str(tmp_path_factory.mktemp("redis"))).rsplit("/", 1)[0]
    return base.rstrip("/")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """The in-process app's Redis: one database per test process, away from 0 (a developer's own)."""
    return f"{_redis_base(tmp_path_factory)}/{10 + _worker_number()}"


@pytest.fixture(scope="session")
def live_redis_url(redis_url) -> str:
    """The Redis of the live server and worker processes: a database of their own, so that the live
    worker never takes the jobs that in-process tests enqueue and run themselves."""
    return f"{redis_url.rsplit('/', 1)[0]}/{12 + _worker_number()}"


# One Socket.IO channel per test run: pub/sub crosses Redis databases.
SOCKETIO_CHANNEL = f"eseller-test-{os.getpid()}"


def test_config(database_url: str, redis_url: str, **extra) -> dict:
    return {
        "SOCKETIO_CHANNEL": SOCKETIO_CHANNEL,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        **extra,
    }


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    os.environ["ESELLER_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    from flask_migrate import upgrade

    from server.app import create_app

    application = create_app(test_config(database_url, redis_url))
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(scope="session")
def demo(app) -> dict:
    """The two demo groups' credentials, as `eseller demo --json` prints them."""
    from server.demo import ensure_demo_group

    with app.app_context():
        return {
            key: ensure_demo_group(slug=slug, secret_key=SECRET_KEY, mail_domain="eseller.example")
            for key, slug in DEMO_SLUGS.items()
        }


@pytest.fixture(autouse=True)
def _fresh_redis(request):
    """Every test starts with empty queues and rate-limit counters, in-process and live, and with
    Redis trusted again (server/redis_breaker.py) whatever the test before did to it."""
    if "redis_url" in request.fixturenames or "app" in request.fixturenames:
        for name in ("redis_url", "live_redis_url"):
            Redis.from_url(request.getfixturevalue(name)).flushdb()
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions.pop("eseller_redis_breaker", None)
    yield


@pytest.fixture
def app_ctx(app) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def demo_user(demo: dict, group: str, role: str, index: int = 0) -> dict:
    users = [user for user in demo[group]["users"] if user["role"] == role]
    return users[index]


def demo_user_id(app, demo: dict, group: str, role: str, index: int = 0) -> int:
    """The database id of a demo user (see `demo_user`)."""
    from sqlalchemy import select

    from server.models import User

    email = demo_user(demo, group, role, index)["email"]
    with in_group(app, DEMO_SLUGS[group]):
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


@pytest.fixture
def login(app, demo):
    """login("a", "seller") -> a test client signed in as group a's first seller."""

    def _login(group: str, role: str, index: int = 0):
        user = demo_user(demo, group, role, index)
        test_client = app.test_client()
        response = test_client.post("/login", data={"email": user["email"], "password": user["password"]})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        test_client.user = user
        return test_client

    return _login


@pytest.fixture
def token_for(client, demo):
    def _token(group: str, role: str, index: int = 0) -> str:
        user = demo_user(demo, group, role, index)
        response = client.post("/api/v1/auth/token", json={"email": user["email"], "password": user["password"]})
        assert response.status_code == 200, response.json
        return response.json["token"]

    return _token


@contextmanager
def in_group(app, slug: str):
    """App context confined to one group, for arranging and checking data in tests."""
    from sqlalchemy import select

    from server.models import DealerGroup

    with app.app_context():
        group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == slug)).scalar_one()
        with group_scope(group.id):
            yield group
        db.session.remove()


def fresh_phone(prefix: str = "06") -> tuple[str, str]:
    """A French mobile number no test has used and the numbering plan knows: (as typed, E.164).

    Random digits alone are not enough: 06 39 and 06 9x do not exist, and intake refuses them.
    """
    while True:
        national = f"{prefix}{random.randint(10, 89):02d}{random.randint(0, 999999):06d}"
        number = phonenumbers.parse(national, "FR")
        if phonenumbers.is_valid_number(number):
            spaced = " ".join(national[i:i + 2] for i in range(0, 10, 2))
            return spaced, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def process_env(database_url: str, redis_url: str, instance: Path) -> dict:
    """Environment for an `eseller` process of the test run (server, worker, mailbox)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "ESELLER_SESSION_COOKIE_SECURE": "false",
        "ESELLER_REMEMBER_COOKIE_SECURE": "false",
        "ESELLER_INSTANCE_PATH": str(instance),
        "ESELLER_SOCKETIO_CHANNEL": SOCKETIO_CHANNEL,
    }


@contextmanager
def eseller_process(args: list[str], env: dict, log_path: Path) -> Iterator[subprocess.Popen]:
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "server.cli", *args], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def live_server(app, demo, database_url, live_redis_url, tmp_path_factory) -> Iterator[str]:
    """The real server (`eseller serve`, gunicorn) on the test database; yields its base URL."""
    port = free_port()
    env = process_env(database_url, live_redis_url, tmp_path_factory.mktemp("live-instance"))
    log_path = tmp_path_factory.mktemp("logs") / "server.log"
    with eseller_process(["serve", "--port", str(port), "--threads", "32"], env, log_path):
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/healthz")
        yield base


@pytest.fixture(scope="session")
def live_worker(app, demo, database_url, live_redis_url, tmp_path_factory) -> Iterator[subprocess.Popen]:
    """A real `eseller worker` process routing the leads the live server receives."""
    env = process_env(database_url, live_redis_url, tmp_path_factory.mktemp("worker-instance"))
    # The clocks would escalate the demo's late leads while other tests read them; they are
    # tested with frozen time in-process instead.
    env["ESELLER_RUN_SCHEDULER"] = "false"
    with eseller_process(["worker"], env, tmp_path_factory.mktemp("logs") / "worker.log") as process:
        yield process


CHROMIUM = os.environ.get("ESELLER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in_page(page, base: str, user: dict) -> None:
    """Sign in through the real (French) login page, as a person would."""
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(user["email"])
    page.get_by_label("Mot de passe").fill(user["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/login" not in url)


def signed_in_page(browser, base: str, user: dict, viewport: dict, *, console_errors: bool = False):
    """A new browser context at `viewport` (a phone's touch and pixel density at PHONE), signed in
    as `user`: (context, page, problems). `problems` collects the page's uncaught errors, and its
    console errors too when asked."""
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, locale="fr-FR", is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    if console_errors:
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    sign_in_page(page, base, user)
    return context, page, problems


def artifact_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
