"""The inboxes and what is done from them (SM1, SD1, CE1, CE5, MG1), through the test client.

Leads come in through the real intake API. The group is put in "cell first" routing for each test,
so that a routing worker left running by another test (live_worker) never moves these leads:
every assignment here is made by hand, by the test.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from server.extensions import db
from server.models import (
    Action,
    DealerGroup,
    Event,
    GroupCounter,
    Lead,
    LeadEntry,
    PlanningException,
    Site,
    User,
    utcnow,
)
from server.models.lead import OPEN_STATUSES
from tests.conftest import demo_user_id, in_group
from tests.routing_helpers import post_lead

GROUP_A, GROUP_B = "garage-du-parc", "autre-groupe"


@pytest.fixture
def routing_held(app):
    """Both demo groups route to the cell while the test runs: nothing assigns behind its back."""
    for slug in (GROUP_A, GROUP_B):
        with in_group(app, slug) as group:
            group.routing_mode = "cell_first"
            db.session.commit()
    yield
    for slug in (GROUP_A, GROUP_B):
        with in_group(app, slug) as group:
            group.routing_mode = "direct"
            db.session.commit()


def last_name(app, lead_id: int) -> str:
    with in_group(app, GROUP_A):
        return db.session.get(Lead, lead_id).contact.last_name


def assign(client, lead_id: int, seller_id: int, reason: str = "Le client connaît ce vendeur."):
    return client.post(f"/api/v1/leads/{lead_id}/assign", json={"user_id": seller_id, "reason": reason})


def page_config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="inbox-config">(.*?)</script>', html, re.S)
    assert match, "the inbox page carries its settings"
    return json.loads(match.group(1))


def test_the_seller_home_lists_only_the_sellers_open_leads(app, client, demo, login, routing_held):
    julien, sophie = demo_user_id(app, demo, "a", "seller", 0), demo_user_id(app, demo, "a", "seller", 1)
    mine, theirs, closed, waiting = (post_lead(client, demo, kind="VN", brand="Peugeot") for _ in range(4))
    cell = login("a", "cell")
    for lead_id, seller in ((mine, julien), (closed, julien), (theirs, sophie)):
        assert assign(cell, lead_id, seller).status_code == 200
    with in_group(app, GROUP_A):
        db.session.execute(update(Lead).where(Lead.id == closed).values(status="won", closed_at=utcnow()))
        db.session.commit()
        seq = db.session.execute(select(GroupCounter.event_seq).where(GroupCounter.group_id == db.session.get(Lead, mine).group_id)).scalar_one()

    seller = login("a", "seller")
    html = seller.get("/home").get_data(as_text=True)
    assert last_name(app, mine) in html
    for other in (theirs, closed, waiting):
        assert last_name(app, other) not in html
    assert f'href="/leads/{mine}"' in html, "without scripts, each lead is a link to its page"
    config = page_config(html)
    assert config["mode"] == "seller" and config["last_seq"] >= seq
    # Every script is a file or data: the CSP allows no inline code.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag

    # The live card of each lead: the seller's own, a lead they cannot see, one that left the inbox.
    card = seller.get(f"/inbox/leads/{mine}/card")
    assert card.status_code == 200 and last_name(app, mine) in card.get_data(as_text=True)
    assert seller.get(f"/inbox/leads/{theirs}/card").status_code == 404
    assert seller.get(f"/inbox/leads/{closed}/card").status_code == 204


def test_the_cell_home_lists_the_waiting_leads(app, client, demo, login, routing_held):
    waiting, taken = post_lead(client, demo, kind="VO"), post_lead(client, demo, kind="VO")
    cell = login("a", "cell")
    assert assign(cell, taken, demo_user_id(app, demo, "a", "seller")).status_code == 200
    html = cell.get("/home").get_data(as_text=True)
    assert ">Leads en attente<" in html
    assert last_name(app, waiting) in html and last_name(app, taken) not in html
    assert page_config(html)["mode"] == "cell"
    assert cell.get(f"/inbox/leads/{waiting}/card").status_code == 200
    assert cell.get(f"/inbox/leads/{taken}/card").status_code == 204
    ids = cell.get("/api/v1/inbox/waiting").json["ids"]
    assert str(waiting) in ids and str(taken) not in ids
    assert login("a", "seller").get("/api/v1/inbox/waiting").status_code == 403


@pytest.fixture
def duty(app, demo):
    """Julien (Lyon Centre) on an extra duty and Sophie (Lyon Centre) away, whatever the time."""
    now = utcnow()
    julien, sophie = demo_user_id(app, demo, "a", "seller", 0), demo_user_id(app, demo, "a", "seller", 1)
    with in_group(app, GROUP_A):
        site = db.session.execute(select(Site).where(Site.code == "lyon-centre")).scalar_one()
        rows = [PlanningException(user_id=julien, kind="extra", site_id=site.id, starts_at=now - timedelta(hours=1),
                                  ends_at=now + timedelta(hours=1)),
                PlanningException(user_id=sophie, kind="absence", starts_at=now - timedelta(hours=1),
                                  ends_at=now + timedelta(hours=1))]
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
    yield julien, sophie
    with in_group(app, GROUP_A):
        db.session.execute(delete(PlanningException).where(PlanningException.id.in_(ids)))
        db.session.commit()


def test_the_sellers_endpoint_shows_duty_and_load(app, demo, login, duty):
    julien, sophie = duty
    response = login("a", "cell").get("/api/v1/sellers?site=lyon-centre")
    assert response.status_code == 200
    sellers = {int(s["id"]): s for s in response.json["sellers"]}
    assert sellers[julien]["on_duty"] is True and sellers[sophie]["on_duty"] is False
    with in_group(app, GROUP_A):
        site_id = db.session.execute(select(Site.id).where(Site.code == "lyon-centre")).scalar_one()
        group_sellers = {u.id: u for u in db.session.execute(select(User).where(User.role == "seller")).scalars()}
        assert set(sellers) == {uid for uid, u in group_sellers.items() if site_id in u.site_ids}
        for uid in (julien, sophie):
            opened = db.session.scalar(select(func.count()).select_from(Lead).where(
                Lead.assignee_id == uid, Lead.status.in_(OPEN_STATUSES)))
            assert sellers[uid]["open_leads"] == opened
            assert sellers[uid]["capacity"] == group_sellers[uid].capacity
            assert isinstance(sellers[uid]["leads_today"], int)
    # On duty first: whoever is listed first can take a lead now.
    assert response.json["sellers"][0]["on_duty"] is True

    # Without a site: every site of the group; another group's cell sees only its own people.
    everyone = {int(s["id"]) for s in login("a", "cell").get("/api/v1/sellers").json["sellers"]}
    assert everyone == set(group_sellers)
    theirs = {int(s["id"]) for s in login("b", "cell").get("/api/v1/sellers").json["sellers"]}
    assert theirs and not theirs & set(group_sellers)
    assert login("b", "cell").get("/api/v1/sellers?site=nowhere").status_code == 404


def test_the_sellers_endpoint_is_for_those_who_assign(login):
    for role in ("seller", "call_center"):
        response = login("a", role).get("/api/v1/sellers")
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    manager = login("a", "manager")  # Isabelle: Lyon Centre only
    assert manager.get("/api/v1/sellers?site=villeurbanne").status_code == 403
    sites = {code for s in manager.get("/api/v1/sellers").json["sellers"] for code in s["sites"]}
    assert sites == {"lyon-centre"}


def test_the_cell_assigns_by_hand_with_a_reason(app, client, demo, login, routing_held):
    lead_id = post_lead(client, demo, kind="VN", brand="Peugeot")
    julien = demo_user_id(app, demo, "a", "seller")
    cell = login("a", "cell")
    for reason in ("", "   ", None):
        response = cell.post(f"/api/v1/leads/{lead_id}/assign", json={"user_id": julien, "reason": reason})
        assert response.status_code == 422 and "reason" in response.json["error"]["fields"]
    stranger = demo_user_id(app, demo, "b", "seller")
    response = assign(cell, lead_id, stranger)
    assert response.status_code == 422 and "user_id" in response.json["error"]["fields"]

    response = assign(cell, lead_id, julien, reason="Client de Julien depuis 2019.")
    assert response.status_code == 200 and response.json["assignee"]["id"] == str(julien)
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert lead.assignee_id == julien and lead.status == "assigned"
        entry = db.session.execute(select(LeadEntry).where(
            LeadEntry.lead_id == lead_id, LeadEntry.kind.in_(("assigned", "transferred")))).scalars().all()[-1]
        assert "Client de Julien depuis 2019." in entry.body and entry.data["reason"] == "Client de Julien depuis 2019."
        event = db.session.execute(select(Event).where(Event.lead_id == lead_id, Event.type == "lead.assigned")
                                   .order_by(Event.seq.desc())).scalars().first()
        assert julien in event.user_ids and event.payload["lead"]["assignee"]["id"] == str(julien)
        assert event.payload["type"] == "lead.assigned" and event.payload["seq"] == event.seq


def test_a_manager_assigns_only_to_sellers_of_their_sites(app, client, demo, login, routing_held):
    lead_id = post_lead(client, demo, kind="VN", site="lyon-centre")
    manager = login("a", "manager")  # Isabelle: Lyon Centre
    nicolas = demo_user_id(app, demo, "a", "seller", 3)  # Villeurbanne
    with in_group(app, GROUP_A):
        assert [s.code for s in db.session.get(User, nicolas).sites] == ["villeurbanne"]
    assert assign(manager, lead_id, nicolas).status_code == 403
    assert assign(manager, lead_id, demo_user_id(app, demo, "a", "seller", 0)).status_code == 200


def test_only_the_assignee_acknowledges(app, client, demo, login, routing_held):
    lead_id = post_lead(client, demo, kind="VO")
    cell = login("a", "cell")
    assert assign(cell, lead_id, demo_user_id(app, demo, "a", "seller", 0)).status_code == 200
    assert cell.post(f"/api/v1/leads/{lead_id}/ack").status_code == 403  # sees it, does not hold it
    assert login("a", "seller", 1).post(f"/api/v1/leads/{lead_id}/ack").status_code == 404  # cannot even see it
    with in_group(app, GROUP_A):
        assert db.session.get(Lead, lead_id).acknowledged_at is None

    seller = login("a", "seller", 0)
    response = seller.post(f"/api/v1/leads/{lead_id}/ack")
    assert response.status_code == 200 and response.json["status"] == "in_progress"
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        acknowledged_at = lead.acknowledged_at
        assert acknowledged_at is not None and lead.status == "in_progress" and lead.displayed_at is not None
    assert seller.post(f"/api/v1/leads/{lead_id}/ack").status_code == 200
    with in_group(app, GROUP_A):
        assert db.session.get(Lead, lead_id).acknowledged_at == acknowledged_at
    # The card no longer offers to acknowledge.
    assert "data-ack" not in seller.get(f"/inbox/leads/{lead_id}/card").get_data(as_text=True)


def test_on_screen_is_recorded_once_for_the_assignee(app, client, demo, login, routing_held):
    lead_id = post_lead(client, demo, kind="VO")
    assert assign(login("a", "cell"), lead_id, demo_user_id(app, demo, "a", "seller")).status_code == 200
    seller = login("a", "seller")
    assert 'data-unseen' in seller.get(f"/inbox/leads/{lead_id}/card").get_data(as_text=True)
    first = seller.post(f"/api/v1/leads/{lead_id}/seen").json["displayed_at"]
    assert first is not None
    assert seller.post(f"/api/v1/leads/{lead_id}/seen").json["displayed_at"] == first
    assert 'data-unseen' not in seller.get(f"/inbox/leads/{lead_id}/card").get_data(as_text=True)


def test_calls_set_the_first_contact_once_and_plan_the_call_back(app, client, demo, login, routing_held):
    lead_id = post_lead(client, demo, kind="VO")
    julien = demo_user_id(app, demo, "a", "seller")
    assert assign(login("a", "cell"), lead_id, julien).status_code == 200
    seller = login("a", "seller")
    assert seller.post(f"/api/v1/leads/{lead_id}/calls", json={"outcome": "maybe"}).status_code == 422
    naive = seller.post(f"/api/v1/leads/{lead_id}/calls", json={"outcome": "call_back", "call_back_at": "2030-01-08T10:00"})
    assert naive.status_code == 422 and "call_back_at" in naive.json["error"]["fields"]

    assert seller.post(f"/api/v1/leads/{lead_id}/calls", json={"outcome": "no_answer"}).status_code == 201
    with in_group(app, GROUP_A):
        first_contact = db.session.get(Lead, lead_id).first_contact_at
        assert first_contact is not None
    call_back_at = "2030-01-08T10:00:00+01:00"
    response = seller.post(f"/api/v1/leads/{lead_id}/calls",
                           json={"outcome": "call_back", "call_back_at": call_back_at, "note": "Après 10 h"})
    assert response.status_code == 201
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert lead.first_contact_at == first_contact, "only the first call is the first contact"
        action = db.session.execute(select(Action).where(Action.lead_id == lead_id)).scalar_one()
        assert action.user_id == julien and action.done_at is None
        assert action.due_at == datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
        assert [e.data["outcome"] for e in lead.entries if e.kind == "call"] == ["no_answer", "call_back"]
    # A closed clock: the card says the customer was contacted.
    assert "clock-done" in seller.get(f"/inbox/leads/{lead_id}/card").get_data(as_text=True)


def test_the_lead_page_offers_the_transfer_to_those_who_assign(app, client, demo, login, routing_held):
    lead_id = post_lead(client, demo, kind="VN", site="lyon-centre")
    assert assign(login("a", "cell"), lead_id, demo_user_id(app, demo, "a", "seller")).status_code == 200
    for role in ("cell", "manager", "admin"):
        html = login("a", role).get(f"/leads/{lead_id}").get_data(as_text=True)
        assert "data-transfer-panel" in html and "js/inbox-lead.js" in html, role
    assert "data-transfer-panel" not in login("a", "seller").get(f"/leads/{lead_id}").get_data(as_text=True)


def test_the_inbox_follows_the_editions(app, login):
    with in_group(app, GROUP_B) as group:
        saved = list(group.editions)
        group.editions = ["SD"]  # no lead cell, no transfer by the cell (CE1, CE5 are LM2)
        db.session.commit()
    try:
        assert login("b", "cell").get("/home").status_code == 403
        assert login("b", "cell").get("/api/v1/inbox/waiting").status_code == 403
        assert login("b", "seller").get("/home").status_code == 200  # SD1
    finally:
        with in_group(app, GROUP_B):
            db.session.execute(update(DealerGroup).where(DealerGroup.slug == GROUP_B).values(editions=saved))
            db.session.commit()
