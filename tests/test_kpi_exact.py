"""Every KPI equals a brute-force recomputation from the raw rows.

A group of its own gets a few hundred random leads (seeded) and a random life for each, written
through the ORM so that the aggregates follow as they would in production: assignments and
reassignments, screens, acknowledgements, first contacts, stage changes forwards and backwards,
wins, abandonments with and without a reason, reopenings, transfers to another site, deletions.
The brute force below reads leads and timelines and recomputes each figure its own way (opening
minutes by walking the clock minute by minute), for several combinations of filters.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.cockpit.filters import CockpitFilters
from server.extensions import db
from server.kpi import queries
from server.kpi.facts import COUNT_COLUMNS, STEPS
from server.kpi.models import KpiDaily, KpiDelay, KpiLeadFact, KpiSiteDaily
from server.kpi.rebuild import rebuild_group
from server.models import Contact, DealerGroup, Lead, LeadEntry, Site, User
from server.models.lead import CLOSE_REASONS, STAGES
from server.tenancy import group_scope

PARIS = ZoneInfo("Europe/Paris")
SOURCES = ("website", "lacentrale", "leboncoin", "phone", "peugeot.fr")
WORK = ("new", "contacted", "appointment", "presentation", "test_drive", "offer")
BASE = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # spans the change to summer time (March 29)
LEADS = 320


# ---- arranging ---------------------------------------------------------------------------------

def _group(app) -> int:
    with app.app_context():
        group = DealerGroup(slug=f"kpi-exact-{uuid4().hex[:8]}", name="KPI exact", editions=["LM1"],
                            timezone="Europe/Paris")
        db.session.add(group)
        db.session.commit()
        with group_scope(group.id):
            weekdays = {d: [["09:00", "12:00"], ["14:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            db.session.add_all([
                Site(code="A", name="Site A", opening_hours={**weekdays, "sat": [["09:30", "12:30"]]}),
                Site(code="B", name="Site B", opening_hours={}),
                Site(code="C", name="Site C", timezone="America/Martinique",
                     opening_hours={"mon": [["08:00", "17:30"]], "wed": [["08:00", "17:30"]]}),
            ])
            sites = db.session.execute(select(Site).order_by(Site.code)).scalars().all()
            for i in range(6):
                user = User(email=f"kpi-{uuid4().hex[:10]}@example.test", first_name="Seller", last_name=str(i),
                            password_hash="-", role="seller")
                user.sites = [sites[i % 3]]
                db.session.add(user)
            db.session.add_all(Contact(first_name="C", last_name=str(i), phone=f"+3361{uuid4().int % 10**7:07d}")
                               for i in range(40))
            db.session.commit()
        return group.id


class Life:
    """Random events on the group's leads, through the ORM."""

    def __init__(self, rng: random.Random, group_id: int):
        self.rng = rng
        self.sites = db.session.execute(select(Site.id).order_by(Site.code)).scalars().all()
        self.sellers = db.session.execute(select(User.id).order_by(User.id)).scalars().all()
        self.contacts = db.session.execute(select(Contact.id)).scalars().all()

    def later(self, moment: datetime, most_minutes: int) -> datetime:
        return moment + timedelta(seconds=self.rng.randrange(0, most_minutes * 60))

    def new_lead(self) -> Lead:
        rng = self.rng
        return Lead(kind=rng.choice(("VN", "VO", "ATELIER")), source=rng.choice(SOURCES), channel="api",
                    site_id=rng.choice(self.sites) if rng.random() > 0.1 else None,
                    contact_id=rng.choice(self.contacts), status="new", stage="new",
                    received_at=BASE + timedelta(seconds=rng.randrange(0, 45 * 86400)))

    def entry(self, lead: Lead, kind: str, data: dict) -> None:
        db.session.add(LeadEntry(lead=lead, at=lead.updated_at or BASE, kind=kind, data=data))

    def set_stage(self, lead: Lead, stage: str) -> None:
        if stage != lead.stage:
            self.entry(lead, "stage", {"from": lead.stage, "to": stage})
            lead.stage = stage

    def assign(self, lead: Lead) -> None:
        rng = self.rng
        others = [s for s in self.sellers if s != lead.assignee_id]
        lead.assignee_id = rng.choice(others)
        lead.assigned_at = self.later(lead.assigned_at or lead.received_at, 180)
        lead.first_contact_due_at = self.later(lead.assigned_at, 120)
        if lead.status == "new":
            lead.status = "assigned"

    def step(self, lead: Lead) -> None:
        rng = self.rng
        roll = rng.random()
        if lead.status in ("won", "lost"):
            if roll < 0.35:
                stage_before = rng.choice(WORK)
                self.entry(lead, "reopened", {})
                lead.status, lead.stage, lead.close_reason, lead.closed_at = "in_progress", stage_before, None, None
            return
        if lead.assignee_id is None:
            self.assign(lead)
        elif lead.displayed_at is None:
            lead.displayed_at = self.later(lead.assigned_at, 30)
        elif lead.acknowledged_at is None:
            lead.acknowledged_at = self.later(lead.displayed_at, 60)
            lead.status = "in_progress"
        elif lead.first_contact_at is None:
            spread = 4000 if rng.random() < 0.1 else 240
            lead.first_contact_at = self.later(lead.received_at, spread)
            if rng.random() < 0.7:
                self.set_stage(lead, "contacted")
        elif roll < 0.1:
            self.assign(lead)  # reassignment
        elif roll < 0.15:
            lead.site_id = rng.choice(self.sites)  # transfer to another site
        elif roll < 0.55:
            self.set_stage(lead, rng.choice(WORK))  # forwards or backwards
        elif roll < 0.75:
            stage_before = lead.stage
            if rng.random() < 0.5:
                lead.status, lead.stage = "won", "order"
                data = {"outcome": "order", "reason": None, "stage_before": stage_before}
            else:
                reason = rng.choice(CLOSE_REASONS) if rng.random() > 0.15 else None
                lead.status, lead.stage, lead.close_reason = "lost", "abandoned", reason
                data = {"outcome": "abandoned", "reason": reason, "stage_before": stage_before}
            lead.closed_at = self.later(lead.received_at, 20000)
            self.entry(lead, "closed", data)


def _live(app, group_id: int) -> None:
    rng = random.Random(6)
    with app.app_context(), group_scope(group_id):
        life = Life(rng, group_id)
        for batch in range(LEADS // 40):
            db.session.add_all(life.new_lead() for _ in range(40))
            if batch % 2:
                db.session.flush()  # several flushes in one transaction
            db.session.commit()
        leads = db.session.execute(select(Lead).order_by(Lead.id)).scalars().all()
        worked = [lead for i, lead in enumerate(leads) if i % 20]  # one in twenty waits, untouched
        for _round in range(12):
            for lead in rng.sample(worked, k=len(worked) * 2 // 3):
                life.step(lead)
            db.session.commit()
        # A timeline line imported without touching its lead still counts for the funnel.
        db.session.add(LeadEntry(lead_id=leads[0].id, at=BASE, kind="stage", data={"from": "new", "to": "offer"}))
        for lead in leads[-3:]:
            db.session.delete(lead)
        db.session.commit()


# ---- brute force -------------------------------------------------------------------------------

def _open_minutes(site: Site | None, start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    if site is None or not any((site.opening_hours or {}).values()):
        return int((end - start).total_seconds() // 60)
    seconds = 0.0
    minute = start.replace(second=0, microsecond=0)
    while minute < end:
        following = minute + timedelta(minutes=1)
        if site.is_open_at(minute):
            seconds += (min(following, end) - max(minute, start)).total_seconds()
        minute = following
    return int(seconds // 60)


def _raw(app, group_id: int) -> list[dict]:
    order = {stage: i for i, stage in enumerate(STAGES) if stage != "abandoned"}
    with app.app_context(), group_scope(group_id):
        sites = {s.id: s for s in db.session.execute(select(Site)).scalars()}
        entries = defaultdict(list)
        for entry in db.session.execute(select(LeadEntry)).scalars():
            entries[entry.lead_id].append(entry)
        rows = []
        for lead in db.session.execute(select(Lead)).scalars():
            reached = [lead.stage] + (["order"] if lead.status == "won" else [])
            for entry in entries[lead.id]:
                data = entry.data or {}
                if entry.kind == "stage":
                    reached += [data.get("from"), data.get("to")]
                if entry.kind == "closed":
                    reached += [data.get("stage_before")] + (["order"] if data.get("outcome") == "order" else [])
            site = sites.get(lead.site_id)
            delays = {step: None if getattr(lead, f"{step}_at") is None
                      else _open_minutes(site, lead.received_at, getattr(lead, f"{step}_at")) for step in STEPS}
            contacted_with_deadline = lead.first_contact_at is not None and lead.first_contact_due_at is not None
            rows.append({
                "day": lead.received_at.astimezone(PARIS).date(), "site": lead.site_id or 0,
                "seller": lead.assignee_id or 0, "kind": lead.kind, "source": lead.source,
                "furthest": max(order.get(s, 0) for s in reached if s), "status": lead.status,
                "reason": (lead.close_reason or "other") if lead.status == "lost" else "",
                "delays": delays, "deadline": contacted_with_deadline,
                "on_time": contacted_with_deadline and lead.first_contact_at <= lead.first_contact_due_at,
            })
        return rows


def _counts(rows: list[dict]) -> dict[str, int]:
    reach = {"contacted": 1, "appointment": 2, "test_drive": 4, "offer": 5, "ordered": 6}
    out = {"leads": len(rows), "won": sum(r["status"] == "won" for r in rows),
           "lost": sum(r["status"] == "lost" for r in rows),
           **{c: sum(r["furthest"] >= i for r in rows) for c, i in reach.items()},
           **{f"n_{s}": sum(r["delays"][s] is not None for r in rows) for s in STEPS},
           "fc_deadline": sum(r["deadline"] for r in rows), "fc_on_time": sum(r["on_time"] for r in rows)}
    assert set(out) == set(COUNT_COLUMNS)
    return out


def _percentile(values: list[int], percent: int) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)
    return ordered[rank - 1]


def _selected(rows: list[dict], f: CockpitFilters) -> list[dict]:
    scope = f.site_scope
    return [r for r in rows if f.date_from <= r["day"] <= f.date_to
            and (scope is None or r["site"] in scope)
            and (f.seller_id is None or r["seller"] == f.seller_id)
            and (f.kind is None or r["kind"] == f.kind) and (f.source is None or r["source"] == f.source)]


def _check(f: CockpitFilters, rows: list[dict]) -> None:
    mine = _selected(rows, f)
    assert queries.totals(f) == _counts(mine)
    for bucket in ("day", "week"):
        expected = Counter()
        for r in mine:
            start = r["day"] - timedelta(days=r["day"].weekday()) if bucket == "week" else r["day"]
            expected[start] += 1
        got = {p["start"]: p["leads"] for p in queries.series(f, bucket) if p["leads"]}
        assert got == dict(expected)
    for dimension in ("source", "kind", "site", "seller"):
        got = {r["value"]: {c: r[c] for c in COUNT_COLUMNS} for r in queries.breakdown(f, dimension)}
        groups = defaultdict(list)
        for r in mine:
            groups[r[dimension]].append(r)
        assert got == {value: _counts(group) for value, group in groups.items()}
    assert {r["reason"]: r["lost"] for r in queries.reasons(f)} == dict(Counter(r["reason"] for r in mine if r["reason"]))
    delays = queries.delays(f)
    for step in STEPS:
        values = [r["delays"][step] for r in mine if r["delays"][step] is not None]
        assert delays["steps"][step] == {"n": len(values), "p50": _percentile(values, 50),
                                         "p90": _percentile(values, 90)}, step
    deadline = [r for r in mine if r["deadline"]]
    assert delays["on_time_share"] == (sum(r["on_time"] for r in deadline) / len(deadline) if deadline else None)
    assert delays["not_contacted"] == sum(r["delays"]["first_contact"] is None for r in mine)
    for dimension in ("source", "site", "seller"):
        groups = defaultdict(list)
        for r in mine:
            if r["delays"]["first_contact"] is not None:
                groups[r[dimension]].append(r)
        expected = {}
        for value, group in groups.items():
            values = [r["delays"]["first_contact"] for r in group]
            with_deadline = [r for r in group if r["deadline"]]
            expected[value] = (len(values), _percentile(values, 50), _percentile(values, 90),
                               sum(r["on_time"] for r in with_deadline) / len(with_deadline) if with_deadline else None)
        got = {r["value"]: (r["n"], r["p50"], r["p90"], r["on_time_share"]) for r in queries.delays_by(f, dimension)}
        assert got == expected, dimension


def _snapshot(group_id: int) -> dict:
    def rows(model, keep):
        table = model.__table__
        return sorted(tuple(r) for r in db.session.execute(select(table).where(table.c.group_id == group_id))
                      if keep(r))
    return {"facts": rows(KpiLeadFact, lambda r: True),
            "daily": rows(KpiDaily, lambda r: any(r._mapping[c] for c in COUNT_COLUMNS)),
            "site_daily": rows(KpiSiteDaily, lambda r: any(r._mapping[c] for c in COUNT_COLUMNS)),
            "delays": rows(KpiDelay, lambda r: r.n)}


@pytest.fixture(scope="module")
def lived(app):
    group_id = _group(app)
    _live(app, group_id)
    return group_id, _raw(app, group_id)


def test_the_random_life_covers_every_case(lived):
    _group_id, rows = lived
    assert len(rows) == LEADS - 3
    statuses = Counter(r["status"] for r in rows)
    assert statuses["won"] > 10 and statuses["lost"] > 10 and statuses["in_progress"] > 10
    assert {r["reason"] for r in rows} >= {"", "other", "bought_elsewhere"}
    assert any(r["site"] == 0 for r in rows) and len({r["seller"] for r in rows}) == 7
    assert any(r["furthest"] > 0 and r["status"] == "lost" for r in rows)
    assert any(r["delays"]["first_contact"] and r["delays"]["first_contact"] > 600 for r in rows)
    assert {r["day"] for r in rows} >= {date(2026, 3, 28), date(2026, 3, 30)}


def test_every_kpi_matches_the_raw_rows(app, lived):
    group_id, rows = lived
    with app.app_context(), group_scope(group_id):
        sites = db.session.execute(select(Site.id).order_by(Site.code)).scalars().all()
        sellers = db.session.execute(select(User.id).order_by(User.id)).scalars().all()
        first, last = min(r["day"] for r in rows), max(r["day"] for r in rows)
        whole = CockpitFilters(period="custom", date_from=first, date_to=last, tz=PARIS)
        cases = [
            whole,
            whole.with_(date_from=date(2026, 3, 20), date_to=date(2026, 4, 3)),
            whole.with_(site_id=sites[0]),
            whole.with_(allowed_site_ids=frozenset(sites[:2])),
            whole.with_(seller_id=sellers[1]),
            whole.with_(kind="VO"),
            whole.with_(source="website"),
            whole.with_(site_id=sites[2], kind="VN", date_from=date(2026, 3, 10)),
            whole.with_(allowed_site_ids=frozenset(sites[1:]), source="phone"),
            whole.with_(allowed_site_ids=frozenset()),
        ]
        for f in cases:
            _check(f, rows)
        assert queries.totals(whole)["leads"] == len(rows)


def test_a_rebuild_from_raw_rows_finds_the_same_aggregates(app, lived):
    group_id, _rows = lived
    with app.app_context(), group_scope(group_id):
        before = _snapshot(group_id)
        assert len(before["facts"]) == LEADS - 3
        rebuild_group(db.session.connection(), group_id)
        db.session.commit()
        assert _snapshot(group_id) == before
