"""The steering dashboard's figures (MG2): every category computed right on rows made here.

Each test gives its leads a source of their own and asks the API with `source=` that source, so
that the demo's leads and other tests' never enter the figures it checks.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import Action, Contact, DealerGroup, Lead, Site, User, utcnow
from server.steering.rules import DEFAULT_STAGE_HOURS, DEFAULT_TOP_SCORE, schedule_for
from tests.conftest import fresh_phone, in_group

GROUP_A = "garage-du-parc"
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def new_source() -> str:
    return f"st-{uuid.uuid4().hex[:10]}"


def site_and_seller(app, code: str = "lyon-centre", index: int = 0) -> tuple[int, int]:
    """(site id, id of one of its sellers) in group A."""
    with in_group(app, GROUP_A):
        site = db.session.execute(select(Site).where(Site.code == code)).scalar_one()
        sellers = [u.id for u in db.session.execute(select(User).where(User.role == "seller").order_by(User.id))
                   .scalars() if site.id in u.site_ids]
        return site.id, sellers[index]


def add_lead(app, source: str, *, site_id: int, seller_id: int | None, actions=("later",), score: int | None = None,
             **values) -> int:
    """A lead of group A, on track unless told otherwise: contacted an hour ago, in its stage for an
    hour, an action planned for tomorrow. `actions`: "later", "late" (due an hour ago), "done"."""
    now = utcnow()
    fields = {"kind": "VN", "status": "in_progress", "stage": "contacted", "interest": "warm",
              "received_at": now - 2 * HOUR, "stage_changed_at": now - HOUR, "first_contact_due_at": now - 90 * MINUTE,
              "first_contact_at": now - HOUR, **values}
    with in_group(app, GROUP_A):
        _spaced, phone = fresh_phone()
        contact = Contact(first_name="Steer", last_name=f"Ing-{uuid.uuid4().hex[:6]}", phone=phone)
        lead = Lead(source=source, channel="api", site_id=site_id, assignee_id=seller_id, contact=contact,
                    assigned_at=fields["received_at"], **fields)
        db.session.add(lead)
        db.session.flush()
        for kind in actions:
            due = {"later": now + DAY, "late": now - HOUR, "done": now - DAY}[kind]
            db.session.add(Action(type="call", title="Rappeler", due_at=due, lead_id=lead.id,
                                  user_id=seller_id or _any_seller(), done_at=now - DAY if kind == "done" else None))
        db.session.commit()
        if score is not None:
            # Past the score hook, which recomputes the score on every write of the lead.
            db.session.execute(update(Lead).where(Lead.id == lead.id).values(score=score))
            db.session.commit()
        return lead.id


def _any_seller() -> int:
    return db.session.execute(select(User.id).where(User.role == "seller").order_by(User.id)).scalars().first()


def counters(client, source: str, **args) -> dict:
    response = client.get("/api/v1/steering/counters", query_string={"source": source, **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["totals"]


def listed(client, category: str, source: str, **args) -> list[int]:
    """Every lead id of a category's list, through all its pages."""
    ids, cursor = [], None
    while True:
        query = {"source": source, "limit": 2, **args, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"/api/v1/steering/deals/{category}", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        ids += [int(deal["id"]) for deal in response.json["deals"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return ids


@pytest.fixture
def admin(login):
    return login("a", "admin")


def test_each_way_of_being_behind(app, demo, admin):
    source = new_source()
    site, seller = site_and_seller(app)
    now = utcnow()
    on_track = add_lead(app, source, site_id=site, seller_id=seller)
    # VN leads may stay three days in "contacted".
    stage_late = add_lead(app, source, site_id=site, seller_id=seller, stage_changed_at=now - 3 * DAY - HOUR)
    stage_nearly = add_lead(app, source, site_id=site, seller_id=seller, stage_changed_at=now - 3 * DAY + HOUR)
    action_late = add_lead(app, source, site_id=site, seller_id=seller, actions=("late", "later"))
    done_earlier = add_lead(app, source, site_id=site, seller_id=seller, actions=("done", "later"))
    breached = add_lead(app, source, site_id=site, seller_id=seller, stage="new", stage_changed_at=now - 30 * MINUTE,
                        first_contact_at=None, first_contact_due_at=now - 10 * MINUTE)
    not_yet_due = add_lead(app, source, site_id=site, seller_id=seller, stage="new", stage_changed_at=now - 5 * MINUTE,
                           first_contact_at=None, first_contact_due_at=now + HOUR)
    contacted_late = add_lead(app, source, site_id=site, seller_id=seller, first_contact_due_at=now - 3 * HOUR,
                              first_contact_at=now - 2 * HOUR)
    nothing_planned = add_lead(app, source, site_id=site, seller_id=seller, actions=("done",))
    # A closed deal is not on the board, however late it was.
    add_lead(app, source, site_id=site, seller_id=seller, status="lost", stage="abandoned", closed_at=now,
             stage_changed_at=now - 30 * DAY, actions=("late",), first_contact_at=None)

    expected = {
        "stage_overdue": {stage_late},
        "action_overdue": {action_late},
        "contact_breached": {breached},
        "no_action": {nothing_planned},
        "behind": {stage_late, action_late, breached, nothing_planned},
        "open": {on_track, stage_late, stage_nearly, action_late, done_earlier, breached, not_yet_due,
                 contacted_late, nothing_planned},
    }
    totals = counters(admin, source)
    for category, ids in expected.items():
        assert totals[category] == len(ids), category
        assert sorted(listed(admin, category, source)) == sorted(ids), category


def test_ahead_and_hot_deals(app, demo, admin):
    source = new_source()
    site, seller = site_and_seller(app)
    now = utcnow()
    # VN: 1 + 3 + 7 + 3 = 14 days expected to reach the test drive; this one took five.
    ahead = add_lead(app, source, site_id=site, seller_id=seller, stage="test_drive", received_at=now - 5 * DAY,
                     stage_changed_at=now - DAY)
    slow = add_lead(app, source, site_id=site, seller_id=seller, stage="appointment", received_at=now - 10 * DAY,
                    stage_changed_at=now - DAY)
    fast_but_late = add_lead(app, source, site_id=site, seller_id=seller, stage="test_drive",
                             received_at=now - 5 * DAY, stage_changed_at=now - DAY, actions=("late",))
    # Contacted within the hour: the first-contact clock's business, not a deal moving fast.
    quick_contact = add_lead(app, source, site_id=site, seller_id=seller)
    hot = add_lead(app, source, site_id=site, seller_id=seller, interest="hot")
    top = add_lead(app, source, site_id=site, seller_id=seller, score=DEFAULT_TOP_SCORE)
    below_top = add_lead(app, source, site_id=site, seller_id=seller, score=DEFAULT_TOP_SCORE - 1)
    offer = add_lead(app, source, site_id=site, seller_id=seller, stage="offer", received_at=now - 30 * DAY,
                     stage_changed_at=now - DAY)

    totals = counters(admin, source)
    expected = {
        "ahead": {ahead},
        "hot_interest": {hot},
        "top_score": {top},
        "offer_out": {offer},
        "test_drive_done": {ahead, fast_but_late},
        "hot": {hot, top, offer, ahead, fast_but_late},
        "behind": {fast_but_late},
    }
    for category, ids in expected.items():
        assert totals[category] == len(ids), category
        assert sorted(listed(admin, category, source)) == sorted(ids), category
    assert totals["open"] == 8
    assert {slow, quick_contact, below_top}.isdisjoint(set(listed(admin, "ahead", source)) | set(listed(admin, "hot", source)))


def test_list_rows_say_why_a_deal_is_on_the_board(app, demo, admin):
    source = new_source()
    site, seller = site_and_seller(app)
    lead_id = add_lead(app, source, site_id=site, seller_id=seller, interest="hot", actions=("late",),
                       stage_changed_at=utcnow() - 4 * DAY)
    deals = admin.get("/api/v1/steering/deals/behind", query_string={"source": source}).json["deals"]
    assert [d["id"] for d in deals] == [str(lead_id)]
    assert deals[0]["reasons"] == ["stage_overdue", "action_overdue", "hot_interest"]
    assert deals[0]["next_action_due"] is not None and deals[0]["customer"]["last_name"].startswith("Ing-")
    html = admin.get(f"/cockpit/deals/behind?source={source}").get_data(as_text=True)
    row = html[html.index(f'data-lead-id="{lead_id}"'):]
    row = row[:row.index("</li>")]
    assert re.findall(r'data-reason="(\w+)"', row) == ["stage_overdue", "action_overdue", "hot_interest"]


@pytest.fixture
def group_settings(app):
    """Change group A's settings document for a test."""
    with in_group(app, GROUP_A) as group:
        saved = dict(group.settings or {})

    def _set(settings: dict) -> None:
        with in_group(app, GROUP_A):
            db.session.execute(update(DealerGroup).where(DealerGroup.slug == GROUP_A).values(settings=settings))
            db.session.commit()

    yield lambda extra: _set({**saved, **extra})
    _set(saved)


def test_a_group_sets_its_own_schedule(app, demo, admin, group_settings):
    source = new_source()
    site, seller = site_and_seller(app)
    two_hours_in = add_lead(app, source, site_id=site, seller_id=seller, stage_changed_at=utcnow() - 2 * HOUR)
    scored = add_lead(app, source, site_id=site, seller_id=seller, score=60, stage_changed_at=utcnow() - 10 * MINUTE)
    assert counters(admin, source)["stage_overdue"] == 0
    group_settings({"steering": {"stage_hours": {"VN": {"contacted": 1}}, "top_score": 60}})
    totals = counters(admin, source)
    assert listed(admin, "stage_overdue", source) == [two_hours_in] and totals["stage_overdue"] == 1
    assert listed(admin, "top_score", source) == [scored]
    # The page explains the schedule in force.
    html = admin.get("/cockpit").get_data(as_text=True)
    assert "1 h" in html and "60" in html


def test_unusable_settings_keep_the_defaults():
    schedule = schedule_for({"steering": {"stage_hours": {"VO": {"new": -3, "offer": "soon", "contacted": 12},
                                                          "XX": {"new": 1}}, "top_score": 150}})
    assert schedule.hours("VO", "new") == DEFAULT_STAGE_HOURS["VO"]["new"]
    assert schedule.hours("VO", "offer") == DEFAULT_STAGE_HOURS["VO"]["offer"]
    assert schedule.hours("VO", "contacted") == 12
    assert schedule.top_score == DEFAULT_TOP_SCORE
    assert schedule_for({"steering": "nonsense"}).hours("VN", "offer") == DEFAULT_STAGE_HOURS["VN"]["offer"]
    assert schedule.hours_before("VN", "appointment") == sum(DEFAULT_STAGE_HOURS["VN"][s] for s in ("new", "contacted"))


def test_filters_narrow_every_figure(app, demo, admin):
    source = new_source()
    lyon, julien = site_and_seller(app, "lyon-centre", 0)
    vo_site, vo_seller = site_and_seller(app, "vo-center", 0)
    now = utcnow()
    vn = add_lead(app, source, site_id=lyon, seller_id=julien, actions=())
    vo = add_lead(app, source, site_id=vo_site, seller_id=vo_seller, kind="VO", actions=())
    old = add_lead(app, source, site_id=lyon, seller_id=julien, received_at=now - 40 * DAY, actions=())

    assert counters(admin, source)["no_action"] == 3  # every open deal, whenever it came in
    assert counters(admin, source, kind="VO")["no_action"] == 1
    assert counters(admin, source, site=vo_site)["open"] == 1
    assert listed(admin, "open", source, seller=julien) == [vn, old]  # newest first
    assert sorted(listed(admin, "no_action", source, period="30d")) == sorted([vn, vo])
    assert counters(admin, source, period="all")["open"] == 3
    assert counters(admin, new_source())["open"] == 0
    # The per-seller figures add up to the totals.
    body = admin.get("/api/v1/steering/counters", query_string={"source": source}).json
    by_seller = {row["seller"]["id"]: row["counts"] for row in body["by_seller"]}
    assert by_seller[str(julien)]["open"] == 2 and by_seller[str(vo_seller)]["open"] == 1
    oldest_day = (now - 40 * DAY).astimezone(ZoneInfo("Europe/Paris")).date().isoformat()  # the group's days
    assert body["filters"]["period"] == "all" and body["filters"]["from"] == oldest_day
