"""The big group of `bench/workspace.py`: generated rows, bulk-loaded into the demo group.

100,000 leads over three years by default, spread like the demo's (kinds, sources, sites, sellers
by capacity), with their customers (returning ones too), timelines, follow-up actions and a stock.
Loaded with COPY on PostgreSQL (executemany elsewhere), with the model defaults for the columns a
row leaves out, so that new columns with a default need nothing here.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from server.demo.catalog import BRAND_SITE, SERVICES, VN_MODELS, VO_MODELS
from server.demo.common import ascii_name
from server.demo.leads import KINDS, ORIGINS
from server.demo.names import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES, LOCALITIES, MAIL_DOMAINS
from server.demo.texts import ACTION_TITLES, MISSED_CALL, NOTES, STAGE_LABELS

SEED = "eseller-bench-workspace"
WORK_STAGES = ("contacted", "appointment", "presentation", "test_drive", "offer")
SLA_MINUTES = {"VO": 15, "VN": 30, "ATELIER": 60}
INTERESTS = {"hot": 20, "warm": 50, "cold": 30}
# Of the calls, notes and stage changes of a deal, how many were a planned follow-up (then done):
# about 50,000 actions for 100,000 leads, with the open ones.
DONE_ACTION_SHARE = 0.17


def open_share(age_days: float) -> float:
    """How likely a lead of this age is still open: most of today's, a third of the week's, a few
    of the month's and some forgotten ones: 100 to 150 open leads for the busiest sellers, about
    what routing's open-lead caps let a seller hold."""
    if age_days < 1:
        return 0.7
    return 0.35 if age_days < 7 else 0.12 if age_days < 30 else 0.03 if age_days < 90 else 0.0005


class Generator:
    """Rows as plain dicts (aware UTC datetimes, dicts for JSON), in the order they are loaded."""

    def __init__(self, now: datetime, days: int, staff: dict, sites: dict[str, int], next_ids: dict[str, int]):
        self.rng = random.Random(SEED)
        self.now, self.days, self.staff, self.sites = now, days, staff, sites
        self.ids = dict(next_ids)
        self.contacts: list[dict] = []
        self.leads: list[dict] = []
        self.entries: list[dict] = []
        self.actions: list[dict] = []
        self.stock: list[dict] = []

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def entry(self, lead: dict, at: datetime, kind: str, body: str, user: int | None, data: dict | None = None):
        self.entries.append({"id": self.next_id("lead_entries"), "lead_id": lead["id"], "at": at, "kind": kind,
                             "body": body, "user_id": user, "data": data or {}})

    def contact(self, at: datetime) -> dict:
        rng, n = self.rng, len(self.contacts)
        first = rng.choice(FIRST_NAMES_F if rng.random() < 0.5 else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        postal_code, city, streets = rng.choice(LOCALITIES)
        row = {"id": self.next_id("contacts"), "first_name": first, "last_name": last,
               "email": f"{ascii_name(first)}.{ascii_name(last)}.{n}@{rng.choice(MAIL_DOMAINS)}"
               if rng.random() < 0.85 else None,
               "phone": f"+3379{n:07d}", "address": f"{rng.randint(1, 180)} {rng.choice(streets)}",
               "postal_code": postal_code, "city": city, "created_at": at, "updated_at": at}
        self.contacts.append(row)
        return row

    def build_stock(self, count: int) -> None:
        rng = self.rng
        for n in range(count):
            used = rng.random() < 0.6
            if used:
                spec = rng.choice(VO_MODELS)
                code = "vo-center" if rng.random() < 0.8 else rng.choice(("lyon-centre", "villeurbanne"))
                age = rng.randint(1, 10)
                mileage = age * rng.randint(8_000, 20_000)
                price = max(4990, int(spec.price_eur * 0.86**age * (1 - mileage / 1_000_000)))
            else:
                code = rng.choice(("lyon-centre", "villeurbanne"))
                spec, age, mileage = rng.choice(VN_MODELS[code]), 0, rng.randint(5, 40)
                price = spec.price_eur + rng.choice((0, 500, 900, 1500))
            self.stock.append({
                "id": self.next_id("stock_vehicles"), "site_id": self.sites[code], "stock_ref": f"BW-{n:06d}",
                "kind": "VO" if used else "VN", "make": spec.make, "model": spec.model, "version": spec.version,
                "year": self.now.year - age, "mileage_km": mileage, "fuel": spec.fuel, "gearbox": spec.gearbox,
                "price_cents": price * 100,
                "status": rng.choices(("available", "reserved", "sold"), (65, 5, 30))[0],
                "arrived_at": self.now - timedelta(days=rng.uniform(0, 720)), "created_at": self.now})

    def build_leads(self, count: int) -> None:
        rng = self.rng
        vo_stock = [v["id"] for v in self.stock if v["kind"] == "VO"]
        for _ in range(count):
            received = self.now - timedelta(days=self.days * rng.random())
            kind = rng.choices(list(KINDS), list(KINDS.values()))[0]
            channel, source, _weight = rng.choices(ORIGINS[kind], [o[2] for o in ORIGINS[kind]])[0]
            if kind == "VO":
                spec, code = rng.choice(VO_MODELS), "vo-center"
            else:
                code = rng.choice(("lyon-centre", "villeurbanne"))
                spec = rng.choice(VN_MODELS[code])
            returning = self.contacts and rng.random() < 0.3  # a customer coming back
            contact = rng.choice(self.contacts) if returning else self.contact(received)
            self._lead(received, kind, channel, source, spec, code, contact, vo_stock)

    def _lead(self, received, kind, channel, source, spec, code, contact, vo_stock) -> None:
        rng, now = self.rng, self.now
        age = (now - received).total_seconds() / 86400
        is_open = rng.random() < open_share(age)
        if not is_open:
            status = "won" if rng.random() < 0.52 else "lost"
        elif age < 1 and rng.random() < 0.25:
            status = "new"
        else:
            status = "assigned" if age < 2 and rng.random() < 0.3 else "in_progress"
        sellers = self.staff["sellers"][code]
        assignee = None if status == "new" else rng.choices([s[0] for s in sellers], [s[1] for s in sellers])[0]
        creator = assignee if channel == "direct" else (
            rng.choice(self.staff["call_center"]) if channel == "call_center" else None)
        span = max(60.0, min((now - received).total_seconds() * 0.9, 40 * 86400.0))
        due = received + timedelta(minutes=SLA_MINUTES[kind])
        lead = {
            "id": self.next_id("leads"), "kind": kind, "source": source, "channel": channel,
            "site_id": self.sites[code], "brand": BRAND_SITE.get(spec.make) and spec.make,
            "contact_id": contact["id"], "message": "Disponible pour un essai samedi ?",
            "vehicle": {} if kind == "ATELIER" else {"make": spec.make, "model": spec.model, "version": spec.version},
            "workshop": {"service": rng.choice(SERVICES)[0]} if kind == "ATELIER" else {},
            "stock_vehicle_id": rng.choice(vo_stock) if kind == "VO" and vo_stock and rng.random() < 0.4 else None,
            "timeframe": rng.choice(("now", "within_1_month", "within_3_months", "unknown")),
            "financing": rng.random() < 0.4, "status": status, "interest": rng.choices(
                list(INTERESTS), list(INTERESTS.values()))[0], "score": rng.randint(5, 95),
            "assignee_id": assignee, "created_by_id": creator, "received_at": received,
            "first_contact_due_at": due, "stage": "new", "stage_changed_at": received, "updated_at": received,
        }
        self.leads.append(lead)
        self.entry(lead, received, "received", f"Demande reçue ({source})", creator,
                   {"channel": channel, "source": source})
        if assignee is None:
            return
        at = received + timedelta(seconds=span * 0.002)
        lead.update(assigned_at=at, displayed_at=at)
        self.entry(lead, at, "assigned", "Attribuée", None, {"assignee_id": assignee, "by": "routing"})
        if status == "assigned":
            return self._next_action(lead, assignee, due)
        at = received + timedelta(seconds=span * 0.01)
        lead.update(acknowledged_at=at, first_contact_at=at + timedelta(seconds=span * 0.01))
        self.entry(lead, at, "acknowledged", "Lead pris en charge", assignee)
        stage = "new"
        for step in range(rng.randint(1, 6)):  # calls, stage changes and notes of the deal
            at = received + timedelta(seconds=span * (0.02 + 0.15 * step))
            if rng.random() < 0.4:
                self.entry(lead, at, "call", rng.choice(MISSED_CALL), assignee, {"outcome": "no_answer"})
            elif rng.random() < 0.5 and stage != "offer":
                new_stage = WORK_STAGES[min(WORK_STAGES.index(stage) + 1 if stage in WORK_STAGES else 0, 4)]
                self.entry(lead, at, "stage", f"Étape : {STAGE_LABELS[stage]} → {STAGE_LABELS[new_stage]}",
                           assignee, {"from": stage, "to": new_stage})
                stage = new_stage
                lead.update(stage=stage, stage_changed_at=at)
            else:
                self.entry(lead, at, "note", rng.choice(NOTES), assignee)
            if rng.random() < DONE_ACTION_SHARE:
                self._done_action(lead, assignee, at)
        if status == "in_progress":
            return self._next_action(lead, assignee, None)
        closed = received + timedelta(seconds=span)
        lead.update(stage="order" if status == "won" else "abandoned", closed_at=closed, updated_at=closed,
                    close_reason=None if status == "won" else rng.choice(("bought_elsewhere", "postponed")))
        self.entry(lead, closed, "closed", "Affaire close", assignee, {"status": status})

    def _title(self, kind: str, lead: dict) -> str:
        return self.rng.choice(ACTION_TITLES[kind]).format(model=lead["vehicle"].get("model", "")).strip()

    def _done_action(self, lead: dict, user: int, at: datetime) -> None:
        kind = self.rng.choice(list(ACTION_TITLES))
        self.actions.append({"id": self.next_id("actions"), "type": kind, "title": self._title(kind, lead),
                             "due_at": at, "done_at": at, "outcome": "done", "notified_at": at, "user_id": user,
                             "created_by_id": user, "lead_id": lead["id"], "contact_id": lead["contact_id"],
                             "created_at": lead["received_at"]})

    def _next_action(self, lead: dict, user: int, due: datetime | None) -> None:
        """The next step of an open lead: overdue, today, this week or later."""
        rng, now = self.rng, self.now
        if due is None:
            bucket = rng.choices(("overdue", "today", "week", "later"), (22, 30, 36, 12))[0]
            hours = {"overdue": -rng.uniform(0.5, 24 * 10), "today": rng.uniform(-3, 8),
                     "week": rng.uniform(8, 24 * 6), "later": rng.uniform(24 * 6, 24 * 30)}[bucket]
            due = max(lead["received_at"], now + timedelta(hours=hours))
        kind = rng.choice(list(ACTION_TITLES))
        self.actions.append({"id": self.next_id("actions"), "type": kind, "title": self._title(kind, lead),
                             "due_at": due, "notified_at": due if due <= now else None, "user_id": user,
                             "created_by_id": user, "lead_id": lead["id"], "contact_id": lead["contact_id"],
                             "created_at": lead["stage_changed_at"]})


def load(conn, table, rows: list[dict]) -> float:
    """Insert rows (COPY on PostgreSQL, executemany elsewhere), columns missing from a row taking
    the model's default; returns the seconds it took."""
    from sqlalchemy import func, select

    start = time.perf_counter()
    defaults = {}
    for column in table.columns:
        default = column.default
        if default is not None and default.is_scalar:
            defaults[column.name] = default.arg
        elif default is not None and default.is_callable:
            defaults[column.name] = default.arg(None)
        else:
            defaults[column.name] = None
    full = [{**defaults, **row} for row in rows]
    if conn.dialect.name != "postgresql":
        for begin in range(0, len(full), 5000):
            conn.execute(table.insert(), full[begin:begin + 5000])
        return time.perf_counter() - start
    names = [column.name for column in table.columns]
    processors = [column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for column in table.columns]
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in full:
            copy.write_row([p(row[n]) if p else row[n] for n, p in zip(names, processors, strict=True)])
    if "id" in names:
        # The ids were given: move the sequence past them, for the rows the app adds later.
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                        select(func.max(table.c.id)).scalar_subquery())))
    return time.perf_counter() - start


def populate(args, db) -> dict:
    """Bulk-load the big group into the demo group; returns row counts and load times."""
    from sqlalchemy import func, select

    from server.models import Action, Contact, Lead, LeadEntry, Site, StockVehicle, User
    from server.tenancy import current_group_id

    group_id = current_group_id()
    sites = {s.code: s.id for s in db.session.execute(select(Site)).scalars()}
    users = db.session.execute(select(User).where(User.active)).scalars().all()
    sellers: dict[str, list] = {code: [] for code in sites}
    for user in users:
        for site in user.sites if user.role == "seller" else ():
            sellers[site.code].append((user.id, user.capacity))
    staff = {"sellers": sellers, "call_center": [u.id for u in users if u.role == "call_center"]}
    models = (StockVehicle, Contact, Lead, LeadEntry, Action)  # in the order of their foreign keys
    next_ids = {m.__tablename__: db.session.scalar(select(func.coalesce(func.max(m.id), 0))) for m in models}
    start = time.perf_counter()
    gen = Generator(datetime.now(UTC), args.days, staff, sites, next_ids)
    gen.build_stock(args.stock)
    gen.build_leads(args.leads)
    # Exactly --actions: every open one, and the latest done ones.
    gen.actions = sorted(gen.actions, key=lambda a: (a.get("done_at") is None, a["due_at"]))[-args.actions:]
    timings = {"generate_s": round(time.perf_counter() - start, 1)}
    rows = dict(zip(next_ids, (gen.stock, gen.contacts, gen.leads, gen.entries, gen.actions), strict=True))
    conn = db.session.connection()
    for model in models:
        for row in rows[model.__tablename__]:
            row["group_id"] = group_id
        timings[f"load_{model.__tablename__}_s"] = round(load(conn, model.__table__, rows[model.__tablename__]), 1)
    db.session.commit()
    return {"rows": {name: len(table_rows) for name, table_rows in rows.items()}, "load": timings}
