"""Intake while Redis hangs: what a lead costs when Redis accepts connections and never answers.

    python bench/redis_hung.py [--database postgresql|sqlite] [--leads 40] [--unguarded 2]

A fresh database with the demo group (prepared against the working Redis), then, in a child
process each, the app against a server that accepts connections and never answers (a frozen
Redis, a partitioned network): `--leads` leads posted one after the other through the Flask test
client with the breaker as configured (`REDIS_COOL_DOWN_SECONDS`, 5 s), and `--unguarded` leads
with the breaker off (cool-down 0), as before it existed. Each lead is timed from request to full
response. Prints one JSON object: the latencies of both runs and whether every lead is in the
database.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, env_for, fresh_database, in_process_app, latency_summary, prepare


def hung_redis() -> str:
    """A server that accepts connections and never answers; its redis:// URL."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def hang(conn):
        while conn.recv(65536):
            pass

    def accept():
        while True:
            threading.Thread(target=hang, args=(listener.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def child(env: dict, api_key: str, leads: int, cool_down: float) -> dict:
    """Post `leads` leads against a hung Redis in this process; their latencies and ids."""
    env = {**env, "REDIS_URL": hung_redis(), "ESELLER_REDIS_COOL_DOWN_SECONDS": str(cool_down)}
    app, db, _group_id = in_process_app(env)  # the rate limiter on the hung Redis too, as in production
    client = app.test_client()
    seconds, ids = [], []
    for n in range(leads):
        lead = {"kind": "VO", "customer": {"last_name": f"Figé {n}", "email": f"fige-{n}-{time.time_ns()}@bench.example"}}
        start = time.perf_counter()
        response = client.post("/api/v1/leads", json=lead, headers={"Authorization": f"Bearer {api_key}"})
        seconds.append(time.perf_counter() - start)
        if response.status_code != 202:
            raise RuntimeError(f"lead {n}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        ids.append(int(response.json["id"]))
    from sqlalchemy import func, select

    from server.models import Lead
    from server.tenancy import all_groups

    with app.app_context():
        stored = db.session.execute(all_groups(select(func.count()).select_from(Lead).where(Lead.id.in_(ids)))).scalar()
    return {"seconds": seconds, "stored": stored}


def run_child(env: dict, api_key: str, leads: int, cool_down: float) -> dict:
    args = [sys.executable, __file__, "--child", json.dumps({"env": env, "api_key": api_key, "leads": leads,
                                                              "cool_down": cool_down})]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True, timeout=leads * 60 + 120)
    return json.loads(result.stdout.strip().splitlines()[-1])


def summary(run: dict, leads: int, cool_down: float) -> dict:
    return {"cool_down_s": cool_down, "leads": leads, "every_lead_stored": run["stored"] == leads,
            "first_lead_ms": round(run["seconds"][0] * 1000, 1), "latency": latency_summary(run["seconds"]),
            "latency_after_the_first": latency_summary(run["seconds"][1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--leads", type=int, default=40)
    parser.add_argument("--unguarded", type=int, default=2, help="leads posted with the breaker off")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task = json.loads(args.child)
        print(json.dumps(child(task["env"], task["api_key"], task["leads"], task["cool_down"])))
        return
    tmp = Path(tempfile.mkdtemp(prefix="eseller-bench-hung-"))
    env = env_for(fresh_database(args.database, tmp, "eseller_bench_hung"), 9, tmp / "instance")
    api_key = prepare(env)["api_key"]
    guarded = run_child(env, api_key, args.leads, 5)
    unguarded = run_child(env, api_key, args.unguarded, 0) if args.unguarded else None
    print(json.dumps({
        "bench": "redis_hung", "database": args.database,
        "with_breaker": summary(guarded, args.leads, 5),
        "without_breaker": summary(unguarded, args.unguarded, 0) if unguarded else None,
    }, indent=2))


if __name__ == "__main__":
    main()
