"""The manager's cockpit on a million leads: KPI cards from the aggregates against the raw rows.

    python bench/kpi.py [--leads 1000000] [--days 730] [--runs 40]

A fresh PostgreSQL database (`eseller_bench_kpi`) with the demo group, grown to 12 sites and 60
sellers; then a bulk load by COPY of `--leads` leads over the past `--days` with their customers
and timelines (assignment, stage changes, closing), which bypasses the ORM and so the KPI hooks,
as a data migration would; then `eseller kpi rebuild` and `VACUUM ANALYZE`. Each request is sent
`--runs` times through the Flask test client signed in (request to full response: SQL, Python,
JSON), and the same cards are computed naively with GROUP BY over the raw rows. Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import env_for, eseller, first_emails, fresh_database, in_process_app, latency_summary, prepare
from workspace import sign_in
from workspace_data import load

TARGETS_MS = {"cards": 50, "dashboard": 50, "ad_hoc": 500, "list": 150}
SEED = "eseller-bench-kpi"
SOURCES = {"website": 30, "lacentrale": 14, "leboncoin": 12, "autoscout24": 6, "peugeot.fr": 8, "renault.fr": 8,
           "phone": 10, "showroom": 7, "call_center": 3, "salon": 2}
KINDS = {"VN": 40, "VO": 45, "ATELIER": 15}
PATH = ("contacted", "appointment", "presentation", "test_drive", "offer")
REASONS = ("bought_elsewhere", "postponed", "unreachable", "financing_refused", "other")
HOURS = {d: [["09:00", "12:00"], ["14:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [["09:00", "12:00"], ["14:00", "18:00"]]}
CHUNK = 50_000


def grow_group(db, sites_wanted: int, sellers_per_site: int) -> tuple[dict[int, list[int]], list[int]]:
    """More sites and sellers for the demo group; returns sellers by site and all site ids."""
    from sqlalchemy import select

    from server.models import Site, User

    sites = list(db.session.execute(select(Site).order_by(Site.id)).scalars())
    for i in range(len(sites), sites_wanted):
        site = Site(code=f"bench-{i:02d}", name=f"Concession {i:02d}", brands=["Peugeot"], opening_hours=HOURS)
        db.session.add(site)
        sites.append(site)
    db.session.flush()
    by_site: dict[int, list[int]] = {}
    for site in sites:
        have = [u for u in db.session.execute(select(User).where(User.role == "seller")).scalars()
                if site.id in u.site_ids]
        for j in range(len(have), sellers_per_site):
            user = User(email=f"bench-seller-{site.id}-{j}@bench.example", first_name="Vendeur",
                        last_name=f"{site.code}-{j}", password_hash="-", role="seller")
            user.sites = [site]
            db.session.add(user)
            have.append(user)
        db.session.flush()
        by_site[site.id] = [u.id for u in have]
    db.session.commit()
    return by_site, [s.id for s in sites]


def _weighted(rng: random.Random, table: dict) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def generate(rng, group_id, now, days, count, sellers, site_ids, next_ids):
    """Yields (contacts, leads, entries) chunks of plain rows."""
    lead_id, entry_id, contact_id = next_ids["leads"], next_ids["lead_entries"], next_ids["contacts"]
    contacts_total = max(count * 6 // 10, 1)
    for begin in range(0, count, CHUNK):
        contacts, leads, entries = [], [], []
        for n in range(begin, min(begin + CHUNK, count)):
            if n < contacts_total:
                contact_id += 1
                contacts.append({"id": contact_id, "group_id": group_id, "first_name": "Client", "last_name": f"N{n}",
                                 "phone": f"+3378{n:07d}", "email": f"client{n}@bench.example"})
                contact = contact_id
            else:
                contact = next_ids["contacts"] + rng.randrange(1, contacts_total + 1)
            lead_id += 1
            received = now - timedelta(seconds=rng.random() * days * 86400)
            site = rng.choice(site_ids) if rng.random() > 0.02 else None
            kind = _weighted(rng, KINDS)
            row = {"id": lead_id, "group_id": group_id, "kind": kind, "source": _weighted(rng, SOURCES),
                   "channel": "api", "contact_id": contact, "site_id": site, "received_at": received,
                   "status": "new", "stage": "new", "stage_changed_at": received, "updated_at": received}
            moment = received
            if site is not None and rng.random() > 0.03:
                row["assignee_id"] = rng.choice(sellers[site])
                moment = row["assigned_at"] = moment + timedelta(seconds=rng.expovariate(1 / 90))
                row["first_contact_due_at"] = received + timedelta(minutes={"VO": 15, "VN": 30, "ATELIER": 60}[kind])
                row["status"] = "assigned"
                entry_id += 1
                entries.append({"id": entry_id, "group_id": group_id, "lead_id": lead_id, "at": moment,
                                "kind": "assigned", "data": {"to": row["assignee_id"]}})
                if rng.random() > 0.05:
                    moment = row["displayed_at"] = moment + timedelta(seconds=rng.expovariate(1 / 120))
                    if rng.random() > 0.1:
                        moment = row["acknowledged_at"] = moment + timedelta(seconds=rng.expovariate(1 / 400))
                        row["status"] = "in_progress"
                if rng.random() > 0.15:
                    moment = row["first_contact_at"] = moment + timedelta(seconds=rng.expovariate(1 / 2400))
            if row.get("first_contact_at"):
                reached = rng.choices(range(len(PATH)), weights=(35, 25, 10, 15, 15))[0]
                previous = "new"
                for stage in PATH[:reached + 1]:
                    moment += timedelta(hours=rng.expovariate(1 / 30))
                    entry_id += 1
                    entries.append({"id": entry_id, "group_id": group_id, "lead_id": lead_id, "at": moment,
                                    "kind": "stage", "data": {"from": previous, "to": stage}})
                    previous = stage
                row["stage"], row["stage_changed_at"] = previous, moment
                age_days = (now - received).days
                if age_days > 3 and rng.random() < 0.85:
                    moment += timedelta(days=rng.expovariate(1 / 6))
                    won = rng.random() < (0.08 + 0.08 * reached)
                    reason = None if won else rng.choice(REASONS)
                    row.update(status="won" if won else "lost", stage="order" if won else "abandoned",
                               close_reason=reason, closed_at=moment, stage_changed_at=moment)
                    entry_id += 1
                    entries.append({"id": entry_id, "group_id": group_id, "lead_id": lead_id, "at": moment,
                                    "kind": "closed", "data": {"outcome": "order" if won else "abandoned",
                                                               "reason": reason, "stage_before": previous}})
            leads.append(row)
        yield contacts, leads, entries


def populate(db, args, group_id) -> dict:
    from sqlalchemy import func, select

    from server.models import Contact, Lead, LeadEntry

    sellers, site_ids = grow_group(db, 12, 5)
    tables = {"contacts": Contact, "leads": Lead, "lead_entries": LeadEntry}
    next_ids = {name: db.session.scalar(select(func.coalesce(func.max(m.id), 0))) for name, m in tables.items()}
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    counts = dict.fromkeys(tables, 0)
    seconds = dict.fromkeys(tables, 0.0)
    started = time.perf_counter()
    conn = db.session.connection()
    for chunk in generate(rng, group_id, now, args.days, args.leads, sellers, site_ids, next_ids):
        for name, rows in zip(tables, chunk, strict=True):
            if rows:
                seconds[name] += load(conn, tables[name].__table__, rows)
                counts[name] += len(rows)
    db.session.commit()
    return {"rows": counts, "sites": len(site_ids), "sellers": sum(len(v) for v in sellers.values()),
            "load_s": round(time.perf_counter() - started, 1), "copy_s": {k: round(v, 1) for k, v in seconds.items()}}


def timed(client, url: str, runs: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        client.get(url)
    seconds, status = [], None
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        seconds.append(time.perf_counter() - start)
        status = response.status_code
    return {"url": url, "status": status, **latency_summary(seconds)}


def timed_call(function, runs: int, warmup: int = 2) -> dict:
    for _ in range(warmup):
        function()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return latency_summary(seconds)


NAIVE_CARDS = """
WITH timeline AS (
  SELECT lead_id, max(CASE coalesce(data->>'to', data->>'stage_before')
    WHEN 'contacted' THEN 1 WHEN 'appointment' THEN 2 WHEN 'presentation' THEN 3 WHEN 'test_drive' THEN 4
    WHEN 'offer' THEN 5 WHEN 'order' THEN 6 ELSE 0 END) AS furthest
  FROM lead_entries WHERE group_id = :g AND kind IN ('stage', 'closed') GROUP BY lead_id)
SELECT count(*) AS leads,
  count(*) FILTER (WHERE l.status = 'won') AS won, count(*) FILTER (WHERE l.status = 'lost') AS lost,
  count(*) FILTER (WHERE greatest(coalesce(t.furthest, 0), CASE WHEN l.status = 'won' THEN 6 ELSE 0 END) >= 1) AS contacted,
  count(*) FILTER (WHERE greatest(coalesce(t.furthest, 0), CASE WHEN l.status = 'won' THEN 6 ELSE 0 END) >= 6) AS ordered,
  count(*) FILTER (WHERE l.first_contact_at <= l.first_contact_due_at) AS on_time,
  percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY l.first_contact_at - l.received_at) AS first_contact
FROM leads l LEFT JOIN timeline t ON t.lead_id = l.id
WHERE l.group_id = :g AND l.received_at >= :start AND l.received_at < :end
"""


def measure(app, db, args, group_id: int, emails: dict) -> dict:
    from sqlalchemy import func, select, text

    from server.cockpit.filters import parse_filters
    from server.models import Lead, Site, User
    from server.tenancy import group_scope

    clients = {role: sign_in(app, email) for role, email in emails.items()}
    with app.app_context(), group_scope(group_id):
        admin = db.session.execute(select(User).where(User.email == emails["admin"])).scalar_one()
        site = db.session.execute(select(Site.id).order_by(Site.id)).scalars().first()
        seller = db.session.execute(select(Lead.assignee_id).where(Lead.site_id == site, Lead.assignee_id.is_not(None))
                                    .limit(1)).scalar_one()
        f = parse_filters({}, admin)
        start, end = f.start, f.end
    r = args.runs
    out = {
        "cards_30d_admin": timed(clients["admin"], "/api/v1/kpi?only=cards", r),
        "cards_30d_site_manager": timed(clients["manager"], "/api/v1/kpi?only=cards", r),
        "cards_365d_admin": timed(clients["admin"], "/api/v1/kpi?only=cards&period=custom&from="
                                  f"{(f.date_to - timedelta(days=364)).isoformat()}&to={f.date_to.isoformat()}", r),
        "kpi_page_30d_admin": timed(clients["admin"], "/cockpit/kpi", max(r // 4, 5)),
        "ad_hoc_kpi_cards_seller_kind_source_90d": timed(
            clients["admin"], f"/api/v1/kpi?only=cards&period=90d&seller={seller}&kind=VO&source=website", r),
        "ad_hoc_kpi_cards_site_kind_365d": timed(
            clients["admin"], f"/api/v1/kpi?only=cards&site={site}&kind=VN&period=custom&from="
                              f"{(f.date_to - timedelta(days=364)).isoformat()}&to={f.date_to.isoformat()}", r),
    }

    def ad_hoc_raw():
        with app.app_context(), group_scope(group_id):
            query = parse_filters({"period": "90d", "kind": "VO", "source": "leboncoin"}, admin).leads(admin)
            scope = query.subquery()
            db.session.execute(select(scope.c.site_id, scope.c.status, func.count())
                               .group_by(scope.c.site_id, scope.c.status)).all()
            db.session.remove()

    def list_page(depth: int):
        def run():
            with app.app_context(), group_scope(group_id):
                query = parse_filters({"period": "90d"}, admin).leads(admin)
                cursor = None
                for _ in range(depth):
                    page = query.order_by(Lead.received_at.desc(), Lead.id.desc()).limit(50)
                    if cursor is not None:
                        page = page.where((Lead.received_at < cursor[0])
                                          | ((Lead.received_at == cursor[0]) & (Lead.id < cursor[1])))
                    rows = db.session.execute(page).scalars().all()
                    if not rows:  # a small --leads run has fewer pages than the walk
                        break
                    cursor = (rows[-1].received_at, rows[-1].id)
                db.session.remove()
        return run

    def naive_cards():
        with app.app_context():
            db.session.execute(text(NAIVE_CARDS), {"g": group_id, "start": start.replace(tzinfo=None),
                                                   "end": end.replace(tzinfo=None)}).one()
            db.session.remove()

    out["ad_hoc_raw_rows_vo_source_90d_by_site_status"] = timed_call(ad_hoc_raw, r)
    out["list_page_1_keyset"] = timed_call(list_page(1), r)
    out["list_page_20_keyset"] = {**timed_call(list_page(20), max(r // 4, 5)), "note": "20 pages walked per run"}
    out["naive_cards_30d_group_by_raw_rows"] = timed_call(naive_cards, max(r // 4, 5))
    steering = sorted(rule.rule for rule in app.url_map.iter_rules()
                      if rule.endpoint.startswith("steering.") and not rule.arguments and "GET" in rule.methods
                      and "export" not in rule.rule)
    for path in steering:
        for who in ("manager", "admin"):
            try:
                out[f"steering {path} ({who})"] = timed(clients[who], path, r)
            except Exception as exc:  # noqa: BLE001 - another team's page: its failure is reported, not fatal
                out[f"steering {path} ({who})"] = f"failed: {type(exc).__name__}: {exc}"
    if not steering:
        out["steering"] = "no steering route registered in this tree: not measured"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database a previous run loaded; re-create the KPI tables and rebuild them")
    args = parser.parse_args()
    load_average = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        if args.reuse:
            from common import PG_BASE
            from sqlalchemy.engine import make_url

            database_url = make_url(PG_BASE).set(drivername="postgresql+psycopg", database="eseller_bench_kpi").render_as_string(
                hide_password=False)
            env = env_for(database_url, 11, Path(tmp) / "instance")
            from sqlalchemy import create_engine

            engine = create_engine(database_url)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS kpi_lead_facts, kpi_daily, kpi_site_daily, kpi_delays")
            engine.dispose()
            eseller(["db", "stamp", "4c7e1a2b9d30"], env)
            eseller(["db", "upgrade"], env)
        else:
            database_url = fresh_database("postgresql", Path(tmp), "eseller_bench_kpi")
            env = env_for(database_url, 11, Path(tmp) / "instance")
            prepare(env)
        from sqlalchemy import func, select, table

        from server.tenancy import group_scope

        app, db, group_id = in_process_app(env)
        with app.app_context():
            with group_scope(group_id):
                data = {"reused_database": True} if args.reuse else populate(db, args, group_id)
                print(json.dumps(data), file=sys.stderr, flush=True)
                emails = first_emails(db, ("manager", "admin"))
            db.session.remove()
            db.engine.dispose()
        started = time.perf_counter()
        rebuild = eseller(["kpi", "rebuild", "--group", "garage-du-parc"], env)
        data["rebuild_s"] = round(time.perf_counter() - started, 1)
        data["rebuild_output"] = rebuild.stdout.strip()
        print(json.dumps({"rebuild_s": data["rebuild_s"]}), file=sys.stderr, flush=True)
        with app.app_context():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
                sizes = {name: conn.execute(select(func.count()).select_from(table(name))).scalar()
                         for name in ("leads", "lead_entries", "kpi_lead_facts", "kpi_daily", "kpi_site_daily",
                                      "kpi_delays")}
            db.session.remove()
        results = measure(app, db, args, group_id, emails)
        ratio = results["naive_cards_30d_group_by_raw_rows"]["p50_ms"] / results["cards_30d_admin"]["p50_ms"]
        verdict = {
            "cards_p95_ok": max(results[k]["p95_ms"] for k in ("cards_30d_admin", "cards_30d_site_manager"))
            <= TARGETS_MS["cards"],
            "ad_hoc_p95_ok": max(results[k]["p95_ms"] for k in results if k.startswith("ad_hoc")) <= TARGETS_MS["ad_hoc"],
            "list_p95_ok": results["list_page_1_keyset"]["p95_ms"] <= TARGETS_MS["list"],
        }
        dashboards = [v for k, v in results.items() if k.startswith("steering ") and isinstance(v, dict)]
        if dashboards:
            verdict["dashboard_p95_ok"] = max(v["p95_ms"] for v in dashboards) <= TARGETS_MS["dashboard"]
        report = {"benchmark": "kpi", "database": "postgresql", "machine_cpus": os.cpu_count(),
                  "load_average_at_start": load_average, "runs": args.runs, "days": args.days,
                  "targets_ms": TARGETS_MS, **data, "table_rows": sizes, "timings": results,
                  "naive_over_aggregates_p50_ratio": round(ratio, 1), "verdict": verdict}
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
