"""The seller's workspace on a big group: page timings with 100,000 leads and 50,000 actions.

    python bench/workspace.py [--database postgresql|sqlite] [--leads 100000] [--actions 50000] [--runs 50]

A fresh database with the demo group, then a bulk load (COPY on PostgreSQL) of leads over the
past `--days`, their customers and timelines, actions and a stock; then each page of the seller's
workspace is fetched `--runs` times through the Flask test client, signed in as a demo user, and
timed from request to full response (SQL, Python and templates). Prints one JSON object: per page
p50/p95/p99, the SQL statements one request runs, and whether p95 is under the target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

from common import (
    env_for,
    first_emails,
    fresh_database,
    in_process_app,
    latency_summary,
    on_duty,
    percentile,
    prepare,
)
from workspace_data import populate

TARGET_MS = 150


def sign_in(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": "eseller-demo", "csrf_token": token.group(1) if token else ""}
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")
    return client


def scenario(db, seller_id: int) -> dict:
    """What the pages are asked for: the seller's biggest share, one of their leads, real filters."""
    from sqlalchemy import func, select

    from server.models import Action, Contact, Lead, LeadEntry, Site, utcnow
    from server.models.lead import OPEN_STATUSES

    sites = {s.code: s.id for s in db.session.execute(select(Site)).scalars()}
    lead_id, entries = db.session.execute(
        select(Lead.id, func.count(LeadEntry.id)).join(LeadEntry, LeadEntry.lead_id == Lead.id)
        .where(Lead.assignee_id == seller_id, Lead.status == "in_progress")
        .group_by(Lead.id).order_by(func.count(LeadEntry.id).desc(), Lead.id).limit(1)).one()
    phone = db.session.scalar(select(Contact.phone).join(Lead, Lead.contact_id == Contact.id)
                              .where(Lead.assignee_id == seller_id).order_by(Lead.id.desc()).limit(1))
    now = utcnow()
    mine = select(func.count()).select_from(Lead).where(Lead.assignee_id == seller_id)
    todo = select(func.count()).select_from(Action).where(Action.user_id == seller_id, Action.done_at.is_(None))
    share = {
        "seller_leads": db.session.scalar(mine),
        "seller_open_leads": db.session.scalar(mine.where(Lead.status.in_(OPEN_STATUSES))),
        "seller_open_actions": db.session.scalar(todo),
        "seller_overdue_actions": db.session.scalar(todo.where(Action.due_at < now)),
        "lead_page_entries": entries,
    }
    national = "0" + phone.removeprefix("+33")
    return {"sites": sites, "lead_id": lead_id, "phone": " ".join(national[i:i + 2] for i in range(0, 10, 2)),
            "share": share}


def pages(s: dict) -> list[tuple[str, str, str]]:
    """(name, who, url): `who` is a demo role whose first user asks."""
    vo, lyon = s["sites"]["vo-center"], s["sites"]["lyon-centre"]
    return [
        ("inbox", "seller", "/home"),
        ("actions_all", "seller", "/actions"),
        ("actions_overdue", "seller", "/actions?filter=overdue"),
        ("actions_today", "seller", "/actions?filter=today"),
        ("actions_week", "seller", "/actions?filter=week"),
        ("actions_by_interest", "seller", "/actions?filter=all&sort=interest"),
        ("agenda_week", "seller", "/actions/agenda?view=week"),
        ("agenda_day", "seller", "/actions/agenda?view=day"),
        ("stock", "seller", "/stock"),
        ("stock_make", "seller", "/stock?kind=VO&make=Peugeot"),
        ("stock_make_model", "seller", "/stock?make=Renault&model=Clio"),
        ("stock_price_fuel", "seller", "/stock?min_price=10000&max_price=20000&fuel=diesel"),
        ("stock_site_arrivals", "seller", f"/stock?site_id={vo}&sort=arrival"),
        ("stock_all_filters", "seller", f"/stock?kind=VN&make=peugeot&model=30&max_price=45000&fuel=hybrid&site_id={lyon}"),
        ("stock_page_5", "seller", "/stock?status=all&page=5"),
        ("customers_name", "seller", "/customers?q=martin"),
        ("customers_phone", "seller", f"/customers?q={s['phone']}"),
        ("customers_name_cell", "cell", "/customers?q=martin"),
        ("customers_email_cell", "cell", "/customers?q=gmail"),
        ("lead_page", "seller", f"/leads/{s['lead_id']}"),
        ("cell_inbox", "cell", "/home"),
        ("sellers_board", "cell", "/api/v1/sellers?site=lyon-centre"),
        ("manager_home", "manager", "/home"),
    ]


def measure(engine, clients: dict, plan: list, runs: int, warmup: int) -> dict:
    from sqlalchemy import event

    sql = {"count": 0, "seconds": 0.0}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_start"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        sql["count"] += 1
        sql["seconds"] += time.perf_counter() - conn.info.pop("bench_start", time.perf_counter())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    results = {}
    for name, who, url in plan:
        client = clients[who]
        for _ in range(warmup):
            client.get(url)
        seconds, statements, sql_ms, cpu_ms, status, size = [], 0, [], [], 0, 0
        for _ in range(runs):
            sql.update(count=0, seconds=0.0)
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = response.get_data()
            seconds.append(time.perf_counter() - start)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            status, size, statements = response.status_code, len(body), sql["count"]
            sql_ms.append(sql["seconds"] * 1000)
        summary = latency_summary(seconds)
        results[name] = {"url": url, "as": who, "status": status, "bytes": size, **summary,
                         "sql_statements": statements, "sql_p50_ms": round(percentile(sql_ms, 50), 2),
                         "app_cpu_p50_ms": round(percentile(cpu_ms, 50), 2),
                         "meets_target": status == 200 and summary["p95_ms"] < TARGET_MS}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=50_000)
    parser.add_argument("--stock", type=int, default=3_000)
    parser.add_argument("--days", type=int, default=1095, help="how far back the leads go")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = fresh_database(args.database, Path(tmp), "eseller_bench_workspace")
        env = env_for(database_url, 13, Path(tmp) / "instance")
        prepare(env)
        from sqlalchemy import select

        from server.models import User
        from server.tenancy import group_scope

        app, db, group_id = in_process_app(env)
        with app.app_context():
            with group_scope(group_id):
                data = populate(args, db)
                on_duty({"hours": 6})  # every seller on duty: the sellers' board weighs them all
                if db.engine.dialect.name == "postgresql":
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does after a load
                emails = first_emails(db, ("seller", "cell", "manager"))
                seller_id = db.session.execute(select(User.id).where(User.email == emails["seller"])).scalar_one()
                plan_data = scenario(db, seller_id)
            db.session.remove()
            engine = db.engine
        # Requests outside any app context, as in a server: each gets its own context and session.
        clients = {role: sign_in(app, email) for role, email in emails.items()}
        # Anything else running shows in every figure: say how busy the machine was.
        load_average = [round(x, 2) for x in os.getloadavg()]
        results = measure(engine, clients, pages(plan_data), args.runs, args.warmup)
        load_average += [round(x, 2) for x in os.getloadavg()]
        engine.dispose()
        report = {
            "benchmark": "workspace", "database": args.database, "machine_cpus": os.cpu_count(),
            "load_average_1_5_15_min_before_and_after": load_average, "runs": args.runs,
            "target_ms": TARGET_MS, **data, "seller": emails["seller"], **plan_data["share"], "pages": results,
            "verdict": {"all_pages_meet_target": all(r["meets_target"] for r in results.values()),
                        "missed": sorted(name for name, r in results.items() if not r["meets_target"])},
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
