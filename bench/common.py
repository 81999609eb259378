"""Shared by the benchmarks: a fresh database, the demo group, real `eseller` processes, a light
HTTP client, and percentiles. Every benchmark prints one JSON object on stdout."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("ESELLER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("ESELLER_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
SECRET = "bench-secret"
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(max(ms), 2) if ms else None}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(kind: str, tmp: Path, name: str) -> str:
    if kind == "sqlite":
        path = tmp / f"{name}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from tests.conftest import create_postgres_database

    return create_postgres_database(PG_BASE, name)


def env_for(database_url: str, redis_db: int, instance: Path, **extra: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": f"{REDIS_BASE}/{redis_db}", "SECRET_KEY": SECRET,
            "ESELLER_INSTANCE_PATH": str(instance), "ESELLER_SESSION_COOKIE_SECURE": "false", **extra}


def eseller(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True, **kwargs)


def in_process_app(env: dict):
    """The app on the bench's database, in this process (for loading rows and timing requests
    through the test client): (app, db, the demo group's id)."""
    os.environ.update(env)
    from sqlalchemy import select

    from server.app import create_app
    from server.extensions import db
    from server.models import DealerGroup
    from server.tenancy import all_groups

    app = create_app({"TESTING": True})
    with app.app_context():
        group_id = db.session.execute(all_groups(
            select(DealerGroup.id).where(DealerGroup.slug == "garage-du-parc"))).scalar_one()
        db.session.remove()
    return app, db, group_id


def first_emails(db, roles: tuple[str, ...]) -> dict[str, str]:
    """The e-mail of the first user of each role, in the current group."""
    from sqlalchemy import select

    from server.models import User

    return {role: db.session.execute(select(User.email).where(User.role == role).order_by(User.id)
                                     .limit(1)).scalar_one() for role in roles}


def prepare(env: dict) -> dict:
    """Migrate and create the demo group; returns `eseller demo --json`."""
    from redis import Redis

    Redis.from_url(env["REDIS_URL"]).flushdb()
    eseller(["db", "upgrade"], env)
    return json.loads(eseller(["demo", "--json"], env).stdout)


@contextmanager
def process(args: list[str], env: dict, log: Path):
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def wait_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class HttpClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: cheap enough that the load
    generator does not steal the server's CPU on a small machine."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        close = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        payload = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return status, payload


# --- Shared by speed_to_lead.py and chaos.py ------------------------------------------------------
# The bench process never imports the application: what must run inside it (arranging the
# planning, reading the outcome) runs in a short child process with the bench's environment.

BENCH = Path(__file__).resolve().parent
DEMO_SLUG = "garage-du-parc"


def app_call(env: dict, function: str, payload=None, timeout: float = 300):
    """`common.<function>(payload)` in an app context scoped to the demo group, in a child process
    with `env` (DATABASE_URL, REDIS_URL...); returns what it returned (JSON-able)."""
    proc = subprocess.run([sys.executable, str(BENCH / "common.py"), "app-call", function],
                          input=json.dumps(payload), env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{function} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _app_call_main(function: str) -> None:
    from sqlalchemy import select

    from server.app import create_app
    from server.extensions import db
    from server.models import DealerGroup
    from server.tenancy import all_groups, group_scope

    payload = json.loads(sys.stdin.read() or "null")
    app = create_app()
    with app.app_context():
        group_id = db.session.execute(
            all_groups(select(DealerGroup.id).where(DealerGroup.slug == DEMO_SLUG))).scalar_one()
        with group_scope(group_id):
            result = globals()[function](payload)
        db.session.remove()
    print(json.dumps(result, default=str))


def on_duty(payload: dict) -> list[dict]:
    """Every active seller of the demo group gets an `extra` duty at each of their sites covering
    the next `hours` (and the last one), and an open-lead cap out of the way: whatever the time of
    day, every routed lead lands on a known seller. Returns the sellers: id, e-mail, site codes."""
    from datetime import timedelta

    from sqlalchemy import select

    from server.extensions import db
    from server.models import PlanningException, User, utcnow

    now = utcnow()
    sellers = db.session.execute(
        select(User).where(User.role == "seller", User.active).order_by(User.id)).scalars().all()
    for seller in sellers:
        seller.max_open_leads = 10_000_000
        for site in seller.sites:
            db.session.add(PlanningException(user_id=seller.id, kind="extra", site_id=site.id,
                                             starts_at=now - timedelta(hours=1),
                                             ends_at=now + timedelta(hours=payload.get("hours", 6)),
                                             note="bench"))
    db.session.commit()
    return [{"id": s.id, "email": s.email, "sites": [site.code for site in s.sites]} for s in sellers]


def routing_state(payload: dict) -> dict:
    """What the database says about these leads (ids as the intake answered them)."""
    from sqlalchemy import func, select

    from server.extensions import db
    from server.models import Event, Lead, LeadEntry, RoutingOutbox

    ids = sorted({int(i) for i in payload["lead_ids"]})
    found: dict[int, tuple] = {}
    entries: dict[int, int] = {}
    events: dict[int, int] = {}
    outbox: dict[int, object] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for lead_id, status, assignee_id, assigned_at in db.session.execute(
                select(Lead.id, Lead.status, Lead.assignee_id, Lead.assigned_at).where(Lead.id.in_(chunk))):
            found[lead_id] = (status, assignee_id, assigned_at)
        entries.update(db.session.execute(
            select(LeadEntry.lead_id, func.count()).where(LeadEntry.lead_id.in_(chunk), LeadEntry.kind == "assigned")
            .group_by(LeadEntry.lead_id)).all())
        events.update(db.session.execute(
            select(Event.lead_id, func.count()).where(Event.lead_id.in_(chunk), Event.type == "lead.assigned")
            .group_by(Event.lead_id)).all())
        outbox.update(db.session.execute(
            select(RoutingOutbox.lead_id, RoutingOutbox.processed_at).where(RoutingOutbox.lead_id.in_(chunk))).all())
    missing = [i for i in ids if i not in found]
    unassigned = [i for i, (_, assignee, _) in found.items() if assignee is None]
    processed = sorted(at for at in outbox.values() if at is not None)
    return {
        "leads": len(ids),
        "found": len(found),
        "missing": len(missing),
        "missing_ids": missing[:20],
        "assigned": len(found) - len(unassigned),
        "unassigned": len(unassigned),
        "unassigned_ids": sorted(unassigned)[:20],
        "assigned_entries_more_than_once": sum(1 for n in entries.values() if n > 1),
        "assigned_events_more_than_once": sum(1 for n in events.values() if n > 1),
        "outbox_unprocessed": sum(1 for at in outbox.values() if at is None),
        "first_processed_at": processed[0].timestamp() if processed else None,
        "last_processed_at": processed[-1].timestamp() if processed else None,
        "assignees": {str(i): a for i, (_, a, _) in found.items() if a is not None},
    }


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate a child we started (warm shutdown), kill it if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def spawn(args: list[str], env: dict, log: Path, *, prefix: list[str] | None = None) -> subprocess.Popen:
    """An `eseller` process (or `prefix + ['-m', 'server.cli', ...]`, e.g. under cProfile); logs to `log`."""
    out = open(log, "ab")  # noqa: SIM115 - the child keeps it; closed when the object is collected
    return subprocess.Popen([sys.executable, *(prefix or []), "-m", "server.cli", *args], env=env, cwd=ROOT,
                            stdout=out, stderr=subprocess.STDOUT)


_CUSTOMERS = itertools.count(1)


def new_lead(n: int, tag: str) -> bytes:
    """A JSON lead from a new customer (unique e-mail and phone), spread over the demo's three
    sites by the demo routing rules: VO -> Centre VO, VN Peugeot -> Lyon Centre, VN Renault ->
    Villeurbanne."""
    kind, make = (("VO", "Peugeot"), ("VN", "Peugeot"), ("VN", "Renault"))[n % 3]
    unique = next(_CUSTOMERS)  # 07 9x is outside the demo's numbers; one per lead of the run
    lead = {"kind": kind, "source": "website", "message": "Disponible pour un essai samedi ?",
            "customer": {"first_name": "Camille", "last_name": f"Bench{n}",
                         "email": f"{tag}-{n}-{unique}@bench.example", "phone": f"07 9{unique % 10_000_000:07d}"},
            "vehicle": {"make": make, "model": "3008" if make == "Peugeot" else "Clio"}}
    return json.dumps(lead).encode()


async def post_leads(port: int, key: str, count: int, rate: float | None, tag: str, *, offset: int = 0,
                     connections: int = 64, live: dict | None = None) -> dict:
    """Post `count` new leads through the HTTP intake: open loop at `rate` per second (latency
    counted from each lead's scheduled time), or as fast as `connections` clients go when `rate`
    is None. Each lead has an Idempotency-Key, and is sent again on a broken connection (as a
    portal would). Returns {"ids": [acknowledged ids], "statuses": {code: n}, "sent": {id: t},
    "scheduled": {id: t}, "requests": [(sent, seconds, status)], "accept": latency_summary,
    "elapsed_s"}; times are time.perf_counter(). `live`, if given, gets {id: sent} as answers come."""
    # LIFO: the connections used last go first, so few stay idle past the server's keep-alive.
    pool: asyncio.LifoQueue[HttpClient] = asyncio.LifoQueue()
    for _ in range(connections):
        pool.put_nowait(HttpClient(port))
    statuses: dict[int, int] = {}
    ids: list[str] = []
    sent: dict[str, float] = {}
    scheduled_at: dict[str, float] = {}
    accept: list[float] = []
    requests: list[tuple[float, float, int]] = []  # (sent, seconds to the answer, status)
    run = f"{tag}-{time.time_ns()}"
    begin = time.perf_counter() + 0.05

    async def one(n: int) -> None:
        scheduled = begin + n / rate if rate else None
        if scheduled is not None:
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        payload = new_lead(offset + n, tag)
        # A portal's retry: same body, same Idempotency-Key, so a retry never makes a second lead.
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                   "Idempotency-Key": f"{run}-{n}"}
        start = None
        status, body = 0, b""
        for attempt in range(3):
            http = await pool.get()
            try:
                start = start or time.perf_counter()
                status, body = await http.request("POST", "/api/v1/leads", payload, headers)
                break
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                # The server closed an idle keep-alive connection, or the request broke: new connection.
                if http.writer is not None:
                    http.writer.close()
                http.writer = None
                status, body = 0, b""
                await asyncio.sleep(0.05 * attempt)
            finally:
                pool.put_nowait(http)
        done = time.perf_counter()
        accept.append(done - (scheduled or start))
        requests.append((start, done - start, status))
        statuses[status] = statuses.get(status, 0) + 1
        if status == 202:
            lead_id = json.loads(body)["id"]
            ids.append(lead_id)
            sent[lead_id] = start
            scheduled_at[lead_id] = scheduled or start
            if live is not None:
                live[lead_id] = start

    if rate:
        await asyncio.gather(*(one(n) for n in range(count)))
    else:
        counter = iter(range(count))

        async def client() -> None:
            for n in counter:
                await one(n)

        await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - begin
    for _ in range(connections):
        http = pool.get_nowait()
        if http.writer is not None:
            http.writer.close()
    return {"ids": ids, "statuses": statuses, "sent": sent, "scheduled": scheduled_at, "requests": requests,
            "accept": latency_summary(accept), "elapsed_s": round(elapsed, 2)}


def get_token(port: int, email: str, password: str) -> str:
    """A bearer token from POST /api/v1/auth/token (what the phone app does)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/v1/auth/token", json.dumps({"email": email, "password": password}),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"token for {email}: {response.status} {body[:200]!r}")
    return json.loads(body)["token"]


def wait_workers(env: dict, count: int, timeout: float = 60) -> None:
    """Until `count` RQ workers are registered on the bench's Redis."""
    from redis import Redis
    from rq import Worker

    redis = Redis.from_url(env["REDIS_URL"])
    deadline = time.monotonic() + timeout
    while Worker.count(connection=redis) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} workers registered after {timeout} s")
        time.sleep(0.1)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "app-call":
    _app_call_main(sys.argv[2])
