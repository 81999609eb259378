"""Speed to lead: from the POST of a lead to `lead.assigned` on the assigned seller's sockets,
and routing decisions per second.

    python bench/speed_to_lead.py [--database postgresql|sqlite] [--sockets 500] [--rate 100] [--seconds 60]
                                  [--workers 2] [--threads 700] [--decisions 2000] [--fork-decisions 400]

A fresh database with the demo group; every demo seller gets an `extra` duty covering the run at
each of their sites (and no open-lead cap), so every lead routes to a known seller whatever the
time. Real processes: `eseller serve --threads N` (gunicorn gthread; in threading mode each
WebSocket holds a thread) and `--workers` long-running `eseller worker` processes.

1. Speed to lead: `--sockets` Socket.IO connections spread over the demo's sellers (several per
   seller, as phone + desktop; tokens from POST /api/v1/auth/token), then new leads posted through
   the HTTP intake in an open loop at `--rate` per second for `--seconds`. For each lead: the time
   from its POST being sent to the first `lead.assigned` for it arriving on a socket of the
   assigned seller (matched by lead id). Also reported from the lead's scheduled send time (no
   coordinated omission when the load generator falls behind) and the fan-out delivered.
2. Routing decisions per second: with no worker running, `--decisions` leads are posted (their
   jobs wait in Redis), then 1 (then 2) `eseller worker --burst` drain the queue; the rate is taken
   over the window between the first and the last routing claim (`routing_outbox.processed_at`),
   the wall time including process start-up is reported too. The same with `--fork` (RQ's forking
   worker) on `--fork-decisions` leads.
3. Profile: one burst worker under cProfile on `--profile-leads` queued leads; where the time of a
   routing job goes (per-job milliseconds of the main steps, SQL statements per job, top self time).

Prints one JSON object. The socket client is a minimal Engine.IO 4 / Socket.IO 5 client on
aiohttp's WebSocket (pip install -e '.[bench]'), cheap enough for hundreds of sockets in one loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import (
    ROOT,
    app_call,
    env_for,
    free_port,
    fresh_database,
    get_token,
    latency_summary,
    post_leads,
    prepare,
    spawn,
    stop,
    wait_http,
    wait_workers,
)

TARGETS = {"p50_ms": 30, "p99_ms": 150, "decisions_per_s_2_workers": 500}
REDIS_DB = 15


class SellerSocket:
    """One Socket.IO connection of a seller, over the WebSocket transport only."""

    def __init__(self, port: int, token: str, user_id: int, arrivals: dict, counts: dict, assigned_at: dict):
        self.port, self.token, self.user_id = port, token, str(user_id)
        self.arrivals, self.counts, self.assigned_at = arrivals, counts, assigned_at
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def connect(self, session) -> None:
        self.ws = await session.ws_connect(f"http://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket",
                                           autoping=True, max_msg_size=0)
        opening = await self.ws.receive(timeout=30)
        if not str(opening.data).startswith("0"):
            raise RuntimeError(f"unexpected Engine.IO opening {opening.data!r}")
        await self.ws.send_str("40" + json.dumps({"token": self.token}))
        while True:
            answer = str((await self.ws.receive(timeout=30)).data)
            if answer == "2":
                await self.ws.send_str("3")
            elif answer.startswith("40"):
                break
            else:
                raise RuntimeError(f"Socket.IO connection refused: {answer[:200]}")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = message.data
            if not isinstance(data, str):
                continue
            if data == "2":  # Engine.IO ping from the server
                await self.ws.send_str("3")
            elif data.startswith("42"):
                arrived = time.perf_counter()
                name, payload = json.loads(data[2:])[:2]
                if name != "lead.assigned":
                    continue
                lead = payload.get("lead") or {}
                if (lead.get("assignee") or {}).get("id") != self.user_id:
                    continue
                lead_id = lead.get("id")
                self.counts[lead_id] = self.counts.get(lead_id, 0) + 1
                if lead_id not in self.arrivals:
                    self.arrivals[lead_id] = arrived
                    self.assigned_at[lead_id] = lead.get("assigned_at")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def speed_phase(port: int, key: str, tokens: list[tuple[int, str]], args) -> dict:
    import aiohttp

    arrivals: dict[str, float] = {}
    counts: dict[str, int] = {}
    assigned_at: dict[str, str] = {}
    sockets_per_user: dict[str, int] = {}
    sockets = []
    for index in range(args.sockets):
        user_id, token = tokens[index % len(tokens)]
        sockets.append(SellerSocket(port, token, user_id, arrivals, counts, assigned_at))
        sockets_per_user[str(user_id)] = sockets_per_user.get(str(user_id), 0) + 1
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        started = time.perf_counter()
        for batch in range(0, len(sockets), 25):
            await asyncio.gather(*(s.connect(session) for s in sockets[batch:batch + 25]))
        connect_s = time.perf_counter() - started
        # Warm-up, not counted: connections, caches, the workers' first queries.
        warm = await post_leads(port, key, 30, 20, "warm")
        await _wait_for(warm["ids"], arrivals, 30)
        run = await post_leads(port, key, int(args.rate * args.seconds), args.rate, "lead", offset=1000)
        await _wait_for(run["ids"], arrivals, args.drain_timeout)
    finally:
        for sock in sockets:
            await sock.close()
        await session.close()
    ids = run["ids"]
    seen = [i for i in ids if i in arrivals]
    # Where the time goes, from the routing decision's own clock (`assigned_at`, taken when the
    # worker starts on the lead; same machine, so the same wall clock): POST -> worker picks the
    # lead up (intake, commit, enqueue, dequeue), then -> socket (decide, commit, emit, Redis,
    # server fan-out, WebSocket).
    to_epoch = time.time() - time.perf_counter()
    picked = {i: datetime.fromisoformat(assigned_at[i]).timestamp() - to_epoch for i in seen if assigned_at.get(i)}
    return {
        "ids": ids, "counts": {i: counts.get(i, 0) for i in ids}, "sockets_per_user": sockets_per_user,
        "result": {
            "sockets": len(sockets),
            "sellers": len(sockets_per_user),
            "connect_s": round(connect_s, 2),
            "posted": int(args.rate * args.seconds),
            "accepted_202": run["statuses"].get(202, 0),
            "statuses": run["statuses"],
            "achieved_rate_per_s": round(len(ids) / run["elapsed_s"], 1) if run["elapsed_s"] else None,
            "accept_latency": run["accept"],
            "speed_to_lead": latency_summary([arrivals[i] - run["sent"][i] for i in seen]),
            "speed_to_lead_from_schedule": latency_summary([arrivals[i] - run["scheduled"][i] for i in seen]),
            "post_to_worker": latency_summary([picked[i] - run["sent"][i] for i in picked]),
            "worker_to_socket": latency_summary([arrivals[i] - picked[i] for i in picked]),
            "arrived": len(seen),
            "never_arrived": len(ids) - len(seen),
        },
    }


async def _wait_for(ids: list[str], arrivals: dict, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(i not in arrivals for i in ids):
        await asyncio.sleep(0.05)


def queue_length(env: dict) -> int:
    from redis import Redis
    from rq import Queue

    return Queue("routing", connection=Redis.from_url(env["REDIS_URL"])).count


def decisions_run(port: int, key: str, env: dict, tmp: Path, count: int, workers: int, fork: bool,
                  tag: str) -> dict:
    """Queue `count` leads with no worker running, then drain them with `workers` burst workers."""
    posted = asyncio.run(post_leads(port, key, count, None, tag, connections=16))
    queued = queue_length(env)
    start = time.perf_counter()
    procs = [spawn(["worker", "--burst", *(["--fork"] if fork else [])], env, tmp / f"{tag}-{n}.log")
             for n in range(workers)]
    wait_drained(env, start + max(120, count))
    wall = time.perf_counter() - start
    cpu = sum(wait_cpu(proc, grace=5) for proc in procs)
    state = app_call(env, "routing_state", {"lead_ids": posted["ids"]})
    window = (state["last_processed_at"] or 0) - (state["first_processed_at"] or 0)
    idle_cpu = startup_cpu(env, tmp) * workers
    return {
        "worker": "RQ Worker (fork per job)" if fork else "SimpleWorker (in-process)",
        "workers": workers,
        "leads": len(posted["ids"]),
        "queued_jobs": queued,
        "assigned": state["assigned"],
        "decisions_per_s": round((len(posted["ids"]) - 1) / window, 1) if window > 0 else None,
        "drain_s_with_startup": round(wall, 2),
        "per_s_with_startup": round(len(posted["ids"]) / wall, 1),
        # CPU of the worker processes (and their forks) less an idle burst worker's start-up: less
        # sensitive to a busy machine than the rates. PostgreSQL's and Redis's CPU are not in it.
        "worker_cpu_ms_per_decision": round(max(0.0, cpu - idle_cpu) * 1000 / max(1, len(posted["ids"])), 2),
    }


def wait_drained(env: dict, deadline: float) -> None:
    """Until no routing job is queued or running (polled every 20 ms)."""
    from redis import Redis
    from rq import Queue

    queue = Queue("routing", connection=Redis.from_url(env["REDIS_URL"]))
    while queue.count or queue.started_job_registry.count:
        if time.perf_counter() > deadline:
            raise RuntimeError("the routing queue did not drain")
        time.sleep(0.02)


def wait_cpu(proc: subprocess.Popen, grace: float | None = None) -> float:
    """Wait for a child; its user + system CPU seconds, with those of its own children (forks).

    With `grace`, a child still there after that many seconds is killed: an RQ 2.12 worker on
    redis-py 8 may sit up to 60 s in its exit, joining its pub/sub thread (see README)."""
    deadline = None if grace is None else time.monotonic() + grace
    while True:
        pid, status, usage = os.wait4(proc.pid, 0 if deadline is None else os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            deadline = None
        else:
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


_STARTUP_CPU: list[float] = []


def startup_cpu(env: dict, tmp: Path) -> float:
    """CPU seconds of a burst worker that finds nothing to do (imports, app, connections), once."""
    if not _STARTUP_CPU:
        _STARTUP_CPU.append(wait_cpu(spawn(["worker", "--burst"], env, tmp / "idle-worker.log")))
    return _STARTUP_CPU[0]


# (file suffix, function) -> label, for the per-job profile.
PROFILE_STEPS = {
    ("rq/worker/base.py", "dequeue_job_and_maintain_ttl"): "rq: dequeue",
    ("rq/worker/worker_classes.py", "execute_job"): "rq: execute_job (the job and RQ's bookkeeping)",
    ("server/lead_routing/jobs.py", "route_lead"): "route_lead (the job itself)",
    ("server/lead_routing/decide.py", "decide"): "  decide",
    ("server/lead_routing/decide.py", "_rules_and_sites"): "    rules (and their sites)",
    ("server/lead_routing/decide.py", "load_rules"): "    rules",
    ("server/lead_routing/decide.py", "_candidates"): "    candidates (planning + sellers and load)",
    ("server/lead_routing/decide.py", "load_candidates"): "    candidates",
    ("server/lead_routing/decide.py", "load_planning"): "      planning",
    ("server/lead_routing/assign.py", "assign"): "  assign",
    ("sqlalchemy/orm/session.py", "commit"): "  commit (flush, events, COMMIT)",
    ("server/realtime/events.py", "_number_events"): "    events: numbering + payload",
    ("server/realtime/events.py", "push"): "    push (Socket.IO emit via Redis)",
}
SQL_CALL = ("sqlalchemy/engine/base.py", "_execute_context")
# cProfile with a CPU clock: on a busy machine, waiting for the CPU or for PostgreSQL would
# otherwise dominate every figure. Waits for PostgreSQL and Redis show as round trips instead.
PROFILED_WORKER = """
import cProfile, sys, time
from server.cli import main
out = sys.argv[1]
sys.argv = ["eseller", "worker", "--burst"]
profile = cProfile.Profile(time.process_time)
try:
    profile.runcall(main)
except SystemExit:
    pass
profile.dump_stats(out)
"""


def profile_run(port: int, key: str, env: dict, tmp: Path, count: int) -> dict:
    posted = asyncio.run(post_leads(port, key, count, None, "profile", connections=16))
    out = tmp / "worker.prof"
    with open(tmp / "profile-worker.log", "wb") as log:
        subprocess.run([sys.executable, "-c", PROFILED_WORKER, str(out)], env=env, cwd=ROOT, stdout=log,
                       stderr=subprocess.STDOUT, timeout=max(300, count), check=True)
    jobs = len(posted["ids"])
    stats = pstats.Stats(str(out)).stats
    steps: dict[str, float] = {}
    sql_calls = 0
    for (filename, _line, name), (_cc, ncalls, _tottime, cumtime, _callers) in stats.items():
        path = filename.replace(os.sep, "/")
        for (suffix, function), label in PROFILE_STEPS.items():
            if name == function and path.endswith(suffix):
                # max, not sum: Session.commit and SessionTransaction.commit nest, for one
                steps[label] = max(steps.get(label, 0.0), cumtime)
        if name == SQL_CALL[1] and path.endswith(SQL_CALL[0]):
            sql_calls += ncalls
    top_self = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    return {
        "jobs": jobs,
        "clock": "CPU time of the worker process (cProfile with time.process_time)",
        "cpu_ms_per_job": {label: round(steps[label] * 1000 / jobs, 2)
                           for label in PROFILE_STEPS.values() if label in steps},
        "sql_statements_per_job": round(sql_calls / jobs, 1),
        "top_self_cpu": [f"{_short(f)}:{n} {round(tt * 1000 / jobs, 2)} ms/job"
                         for (f, _l, n), (_c, _n, tt, _ct, _cl) in top_self],
        "note": "cProfile's own overhead inflates every figure: read the shares, not the absolute values",
    }


def _short(filename: str) -> str:
    parts = filename.replace(os.sep, "/").split("/")
    return "/".join(parts[-2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--tokens-per-seller", type=int, default=2, help="devices per seller (phone, desktop)")
    parser.add_argument("--rate", type=float, default=100, help="leads per second (open loop)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="routing workers during the speed-to-lead run")
    parser.add_argument("--threads", type=int, default=700, help="server threads (each WebSocket holds one)")
    parser.add_argument("--drain-timeout", type=float, default=30, help="seconds to wait for the last events")
    parser.add_argument("--decisions", type=int, default=2000, help="leads queued for each SimpleWorker run; 0 skips")
    parser.add_argument("--fork-decisions", type=int, default=400, help="leads queued for each forking run; 0 skips")
    parser.add_argument("--profile-leads", type=int, default=500, help="leads for the profiled worker; 0 skips")
    parser.add_argument("--logs", default=None, help="keep the processes' logs (and the profile) in this folder")
    args = parser.parse_args()

    report: dict = {"benchmark": "speed_to_lead", "database": args.database, "machine_cpus": os.cpu_count(),
                    "load_average_at_start": list(os.getloadavg()), "parameters": vars(args), "targets": TARGETS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.logs or tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        env = env_for(fresh_database(args.database, tmp, "eseller_bench_speed"), REDIS_DB, tmp / "instance",
                      ESELLER_TOKEN_RATE_LIMIT="100000 per minute", ESELLER_LOGIN_RATE_LIMIT="100000 per minute",
                      ESELLER_INTAKE_KEY_RATE_LIMIT="100000000 per minute",
                      # No clocks or sweeper: the demo's old leads would be escalated and push
                      # events of their own; this measures the routing of new leads.
                      ESELLER_RUN_SCHEDULER="false")
        info = prepare(env)
        sellers = app_call(env, "on_duty", {"hours": 6})
        port = free_port()
        procs: list[subprocess.Popen] = []
        try:
            server = spawn(["serve", "--port", str(port), "--threads", str(args.threads)], env, tmp / "serve.log")
            procs.append(server)
            workers = [spawn(["worker"], env, tmp / f"worker-{n}.log") for n in range(args.workers)]
            procs += workers
            wait_http(port)
            wait_workers(env, args.workers)
            key = info["api_key"]
            passwords = {u["email"]: u["password"] for u in info["users"]}
            tokens = [(s["id"], get_token(port, s["email"], passwords[s["email"]]))
                      for _ in range(args.tokens_per_seller) for s in sellers]
            speed = asyncio.run(speed_phase(port, key, tokens, args))
            state = app_call(env, "routing_state", {"lead_ids": speed["ids"]})
            result = speed["result"]
            result["assigned"] = state["assigned"]
            result["missing_in_db"] = state["missing"]
            expected = sum(speed["sockets_per_user"].get(str(a), 0) for a in state["assignees"].values())
            result["socket_deliveries"] = {"expected": expected, "received": sum(speed["counts"].values())}
            result["workers"] = args.workers
            result["server_threads"] = args.threads
            report["speed_to_lead"] = result

            for worker in workers:
                stop(worker)
            runs = []
            if args.decisions:
                runs += [decisions_run(port, key, env, tmp, args.decisions, n, False, f"simple{n}") for n in (1, 2)]
            if args.fork_decisions:
                runs += [decisions_run(port, key, env, tmp, args.fork_decisions, n, True, f"fork{n}") for n in (1, 2)]
            report["routing_decisions"] = runs
            if args.profile_leads:
                report["profile"] = profile_run(port, key, env, tmp, args.profile_leads)
        finally:
            for proc in reversed(procs):
                stop(proc)
    report["verdict"] = verdict(report)
    print(json.dumps(report, indent=2))


def verdict(report: dict) -> dict:
    out = {}
    speed = report.get("speed_to_lead", {}).get("speed_to_lead", {})
    if speed.get("count"):
        out["p50_ms<=30"] = speed["p50_ms"] <= TARGETS["p50_ms"]
        out["p99_ms<=150"] = speed["p99_ms"] <= TARGETS["p99_ms"]
    out["never_arrived==0"] = report.get("speed_to_lead", {}).get("never_arrived") == 0
    two = [r for r in report.get("routing_decisions", []) if r["workers"] == 2 and r["worker"].startswith("Simple")]
    if two and two[0]["decisions_per_s"]:
        out["decisions_per_s_2_workers>=500"] = two[0]["decisions_per_s"] >= TARGETS["decisions_per_s_2_workers"]
    return out


if __name__ == "__main__":
    main()
