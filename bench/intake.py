"""Intake throughput and accept latency: JSON and ADF leads through the real HTTP server.

    python bench/intake.py [--databases postgresql,sqlite] [--leads 3000] [--concurrency 16] [--rate 500]

For each database: a fresh database with the demo group, `eseller serve` (gunicorn, one
process), then (1) a closed loop: `concurrency` clients posting as fast as answers come, for the
maximum sustained rate; (2) an open loop: leads sent at a fixed `rate` for 10 s, latency measured
from each lead's scheduled send time, so a slow server cannot hide its queueing. Every lead is a
new customer. No routing worker runs: this measures the 202, not the routing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

from common import (
    HttpClient,
    env_for,
    free_port,
    fresh_database,
    latency_summary,
    prepare,
    process,
    wait_http,
)

ADF = """<?xml version="1.0" encoding="UTF-8"?>
<?adf version="1.0"?>
<adf><prospect status="new">
<id sequence="1" source="bench-portal">{ext}</id>
<requestdate>2026-12-01T09:12:44+01:00</requestdate>
<vehicle interest="buy" status="used"><year>2022</year><make>Peugeot</make><model>3008</model><stock>VO-1042</stock>
<price type="asking" currency="EUR">24990</price></vehicle>
<customer><contact><name part="first">Camille</name><name part="last">Bench{n}</name>
<email>{email}</email><phone type="cellphone">{phone}</phone>
<address type="home"><postalcode>69003</postalcode><city>Lyon</city></address></contact>
<comments>Toujours disponible ?</comments></customer>
</prospect></adf>"""


def _phone(n: int) -> str:
    return f"06 1{n % 10_000_000:07d}"


def body(fmt: str, n: int) -> tuple[str, bytes, str]:
    email = f"bench-{uuid.uuid4().hex[:12]}@example.fr"
    if fmt == "json":
        lead = {"kind": "VO", "source": "website", "message": "Disponible pour un essai samedi ?",
                "customer": {"first_name": "Camille", "last_name": f"Bench{n}", "email": email, "phone": _phone(n)},
                "vehicle": {"make": "Peugeot", "model": "3008", "stock_ref": "VO-1042"}}
        return "/api/v1/leads", json.dumps(lead).encode(), "application/json"
    document = ADF.format(ext=f"B-{uuid.uuid4().hex[:10]}", n=n, email=email, phone=_phone(n))
    return "/api/v1/leads/adf", document.encode(), "application/xml"


async def closed_loop(port: int, key: str, fmt: str, total: int, concurrency: int, offset: int) -> dict:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    counter = iter(range(offset, offset + total))

    async def client():
        http = HttpClient(port)
        for n in counter:
            path, payload, ctype = body(fmt, n)
            start = time.perf_counter()
            status, _ = await http.request("POST", path, payload, {"Authorization": f"Bearer {key}", "Content-Type": ctype})
            latencies.append(time.perf_counter() - start)
            if status != 202:
                errors[status] = errors.get(status, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"mode": "closed_loop", "format": fmt, "concurrency": concurrency, "leads": total,
            "leads_per_s": round(total / elapsed, 1), **latency_summary(latencies), "errors": errors}


async def open_loop(port: int, key: str, fmt: str, rate: float, seconds: float, offset: int) -> dict:
    """Send at a fixed rate; latency counts from the scheduled time (no coordinated omission)."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors: dict[int, int] = {}
    pool: asyncio.Queue[HttpClient] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(HttpClient(port))
    begin = time.perf_counter() + 0.2

    async def one(n: int):
        scheduled = begin + (n - offset) / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        http = await pool.get()
        try:
            path, payload, ctype = body(fmt, n)
            status, _ = await http.request("POST", path, payload, {"Authorization": f"Bearer {key}", "Content-Type": ctype})
        finally:
            pool.put_nowait(http)
        latencies.append(time.perf_counter() - scheduled)
        if status != 202:
            errors[status] = errors.get(status, 0) + 1

    await asyncio.gather(*(one(n) for n in range(offset, offset + total)))
    elapsed = time.perf_counter() - begin
    return {"mode": "open_loop", "format": fmt, "target_per_s": rate, "leads": total,
            "achieved_per_s": round(total / elapsed, 1), **latency_summary(latencies), "errors": errors}


def run_database(kind: str, args, tmp: Path) -> dict:
    database_url = fresh_database(kind, tmp, "eseller_bench_intake")
    env = env_for(database_url, 14, tmp / f"instance-{kind}",
                  ESELLER_INTAKE_KEY_RATE_LIMIT="100000000 per minute", ESELLER_THREADS=str(args.threads))
    key = prepare(env)["api_key"]
    port = free_port()
    results = {"database": kind, "server": f"eseller serve (gunicorn, 1 process, {args.threads} threads)", "runs": []}
    with process(["serve", "--port", str(port), "--threads", str(args.threads)], env, tmp / f"serve-{kind}.log"):
        wait_http(port)
        asyncio.run(closed_loop(port, key, "json", 300, 8, 0))  # warm-up: connections, caches
        offset = 1000
        for fmt in ("json", "adf"):
            results["runs"].append(asyncio.run(closed_loop(port, key, fmt, args.leads, args.concurrency, offset)))
            offset += args.leads
            results["runs"].append(asyncio.run(open_loop(port, key, fmt, args.rate, args.seconds, offset)))
            offset += int(args.rate * args.seconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = {"benchmark": "intake", "machine_cpus": __import__("os").cpu_count(),
                  "results": [run_database(kind, args, Path(tmp)) for kind in args.databases.split(",")]}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
