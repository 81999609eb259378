"""Real RQ workers on real Redis route committed leads, once, to a seller on duty."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select, update

from server.extensions import db, get_redis
from server.lead_routing.decide import load_candidates
from server.lead_routing.jobs import route_lead
from server.models import (
    Contact,
    Event,
    Lead,
    LeadEntry,
    Notification,
    PlanningException,
    RoutingOutbox,
    Site,
    User,
    utcnow,
)
from tests.conftest import fresh_phone, in_group
from tests.routing_helpers import SUNDAY, TUESDAY_MORNING, lead, post_lead, run_worker, site_sellers


@pytest.fixture(autouse=True)
def roomy_sellers(app, demo):
    """Leads pile up on the demo sellers over the suite; keep their open-lead cap out of the way."""
    with in_group(app, "garage-du-parc"):
        db.session.execute(update(User).where(User.role == "seller").values(max_open_leads=10_000),
                           execution_options={"synchronize_session": False})
        db.session.commit()


def test_a_committed_lead_is_routed_to_a_seller_on_duty(app, client, demo):
    with time_machine.travel(TUESDAY_MORNING, tick=True):
        lead_id = post_lead(client, demo, kind="VO")
        run_worker(app)
    with in_group(app, "garage-du-parc"):
        routed = lead(lead_id)
        assert routed.status == "assigned" and routed.site.code == "vo-center"
        assert routed.assignee_id in site_sellers("vo-center")
        assert routed.assigned_at is not None
        assert db.session.execute(select(RoutingOutbox.processed_at).where(RoutingOutbox.lead_id == lead_id)).scalar_one()
        event = db.session.execute(select(Event).where(Event.lead_id == lead_id, Event.type == "lead.assigned")).scalar_one()
        assert routed.assignee_id in event.user_ids and event.payload["lead"]["assignee"]["id"] == str(routed.assignee_id)
        assert [e.kind for e in routed.entries] == ["received", "assigned"]


def test_brand_rules_pick_the_site(app, client, demo):
    with time_machine.travel(TUESDAY_MORNING, tick=True):
        renault = post_lead(client, demo, kind="VN", brand="Renault")
        peugeot = post_lead(client, demo, kind="VN", vehicle={"make": "Peugeot", "model": "3008"})
        run_worker(app)
    with in_group(app, "garage-du-parc"):
        assert lead(renault).site.code == "villeurbanne" and lead(renault).assignee_id in site_sellers("villeurbanne")
        assert lead(peugeot).site.code == "lyon-centre" and lead(peugeot).assignee_id in site_sellers("lyon-centre")


def test_an_absent_seller_never_gets_a_lead(app, client, demo):
    with in_group(app, "garage-du-parc"):
        site = db.session.execute(select(Site).where(Site.code == "vo-center")).scalar_one()
        on_duty = sorted(c.user_id for c in load_candidates(site, TUESDAY_MORNING))
        sellers = sorted(site_sellers("vo-center"))
        assert len(on_duty) >= 1 and len(sellers) >= 2
        # Everyone but one seller on duty is away: only that one may get leads.
        sellers = on_duty[:1] + [uid for uid in sellers if uid != on_duty[0]]
        start, end = TUESDAY_MORNING - timedelta(hours=2), TUESDAY_MORNING + timedelta(hours=2)
        absences = [PlanningException(user_id=uid, kind="absence", starts_at=start, ends_at=end) for uid in sellers[1:]]
        db.session.add_all(absences)
        db.session.commit()
        ids = [a.id for a in absences]
    try:
        with time_machine.travel(TUESDAY_MORNING, tick=True):
            leads = [post_lead(client, demo, kind="VO") for _ in range(3)]
            run_worker(app)
        with in_group(app, "garage-du-parc"):
            assert {lead(i).assignee_id for i in leads} == {sellers[0]}
    finally:
        with in_group(app, "garage-du-parc"):
            db.session.execute(delete(PlanningException).where(PlanningException.id.in_(ids)))
            db.session.commit()


def test_nobody_on_duty_tells_the_managers_and_the_cell(app, client, demo):
    with time_machine.travel(SUNDAY, tick=True):
        lead_id = post_lead(client, demo, kind="VO")
        run_worker(app)
    with in_group(app, "garage-du-parc"):
        waiting = lead(lead_id)
        assert waiting.status == "new" and waiting.assignee_id is None
        told = db.session.execute(select(Notification.user_id).where(Notification.lead_id == lead_id)).scalars().all()
        roles = {db.session.get(User, uid).role for uid in told}
        assert roles == {"manager", "cell"}
        site = db.session.execute(select(Site).where(Site.code == "vo-center")).scalar_one()
        assert all(site.id in db.session.get(User, uid).site_ids for uid in told)
        assert db.session.execute(select(Event.payload).where(Event.lead_id == lead_id, Event.type == "lead.updated")).scalar_one()["reason"] == "nobody_on_duty"


def test_two_workers_racing_on_one_lead_assign_it_once(app, client, demo):
    with time_machine.travel(TUESDAY_MORNING, tick=True):
        lead_id = post_lead(client, demo, kind="VO")
        _drop_queued_jobs(app)  # the runners below race by hand
        group_id = _group_id(app)
        results = []
        barrier = threading.Barrier(4)

        def runner():
            with app.app_context():
                barrier.wait()
                try:
                    results.append(route_lead(lead_id, group_id))
                except Exception as exc:  # noqa: BLE001 - SQLite may refuse the loser's write; it retries in RQ
                    results.append(f"error: {type(exc).__name__}")

        threads = [threading.Thread(target=runner) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(result.startswith("assigned") for result in results) == 1, results
    with in_group(app, "garage-du-parc"):
        kinds = db.session.execute(select(LeadEntry.kind).where(LeadEntry.lead_id == lead_id)).scalars().all()
        assert kinds.count("assigned") == 1
        assert db.session.scalar(select(func.count(Event.id)).where(Event.lead_id == lead_id, Event.type == "lead.assigned")) == 1


def test_the_sweeper_routes_what_redis_lost(app, client, demo):
    from server.lead_routing.jobs import tick

    with time_machine.travel(TUESDAY_MORNING, tick=True) as traveller:
        lead_id = post_lead(client, demo, kind="VO")
        _drop_queued_jobs(app)  # Redis lost the job (restart without persistence)
        run_worker(app)
        with in_group(app, "garage-du-parc"):
            assert lead(lead_id).status == "new"
        traveller.shift(timedelta(seconds=30))
        with app.app_context():
            assert tick()["swept"] >= 1
        run_worker(app)
    with in_group(app, "garage-du-parc"):
        assert lead(lead_id).status == "assigned"


def test_a_breached_lead_escalates_then_goes_to_another_seller(app, client, demo):
    from server.lead_routing.jobs import tick

    with time_machine.travel(TUESDAY_MORNING, tick=False) as traveller:
        lead_id = post_lead(client, demo, kind="VO")
        run_worker(app)
        with in_group(app, "garage-du-parc"):
            first = lead(lead_id)
            first_seller, due = first.assignee_id, first.first_contact_due_at
            assert due == utcnow() + timedelta(minutes=15), "VO: 15 minutes, in opening hours"
        traveller.move_to(due - timedelta(minutes=1))
        with app.app_context():
            tick()
        with in_group(app, "garage-du-parc"):
            assert lead(lead_id).escalated_at is None
        traveller.move_to(due + timedelta(minutes=1))
        with app.app_context():
            tick()
        with in_group(app, "garage-du-parc"):
            escalated = lead(lead_id)
            assert escalated.escalated_at is not None and escalated.assignee_id == first_seller
            event = db.session.execute(select(Event).where(Event.lead_id == lead_id, Event.type == "lead.escalated")).scalar_one()
            assert "manager" in event.roles and event.site_id == escalated.site_id
        traveller.move_to(due + timedelta(minutes=17))
        with app.app_context():
            tick()
        with in_group(app, "garage-du-parc"):
            moved = lead(lead_id)
            assert moved.assignee_id not in (None, first_seller)
            assert moved.assignee_id in site_sellers("vo-center")
            assert moved.escalated_at is None and moved.first_contact_due_at > utcnow()
            assert "reassigned" in [e.kind for e in moved.entries]


def _group_id(app) -> int:
    with in_group(app, "garage-du-parc") as group:
        return group.id


def _drop_queued_jobs(app) -> None:
    with app.app_context():
        get_redis().flushdb()


def test_a_sellers_load_counts_open_leads_of_any_age_and_assignments_of_the_last_30_days(app, demo):
    """The load query reads only open leads and recent assignments; what it counts must not change."""
    with in_group(app, "garage-du-parc"):
        site = db.session.execute(select(Site).where(Site.code == "vo-center")).scalar_one()
        seller_id = load_candidates(site, TUESDAY_MORNING)[0].user_id

        def load():
            mine = next(c for c in load_candidates(site, TUESDAY_MORNING) if c.user_id == seller_id)
            return mine.open_leads, mine.assigned_today, mine.last_assigned_at

        def add(status: str, assigned_at) -> None:
            contact = Contact(first_name="Lo", last_name="Ad", phone=fresh_phone()[1])
            db.session.add(Lead(kind="VO", source="website", channel="api", site_id=site.id, contact=contact,
                                status=status, assignee_id=seller_id, received_at=assigned_at, assigned_at=assigned_at))
            db.session.flush()

        open_before, today_before, last_before = load()
        long_ago = TUESDAY_MORNING - timedelta(days=90)
        add("in_progress", long_ago)  # still open: weighs on the cap however old
        add("lost", long_ago)  # closed and old: weighs on nothing
        assert load() == (open_before + 1, today_before, last_before)
        this_morning = TUESDAY_MORNING - timedelta(minutes=30)
        add("won", this_morning)  # closed, but assigned today: counts for today's share and the last turn
        open_now, today_now, last_now = load()
        assert (open_now, today_now) == (open_before + 1, today_before + 1)
        assert last_now == max(this_morning, last_before or this_morning)
        db.session.rollback()
