"""Working a lead through the API (SM5, SM6, SM8, BX8): notes, stage, interest, the owned vehicle,
closing with a reason, reopening, the score and its reasons, and replays of the offline queue.

Leads come in through the real intake API in "cell first" routing, and the cell assigns them by
hand, so no routing worker can move them while a test runs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from server.extensions import db
from server.leads.score import STAGE_POINTS, compute
from server.models import Action, Contact, DealerGroup, Lead, LeadEntry, utcnow
from tests.conftest import demo_user_id, fresh_phone, in_group
from tests.routing_helpers import post_lead

A, B = "garage-du-parc", "autre-groupe"


@pytest.fixture
def held(app):
    with in_group(app, A) as group:
        group.routing_mode = "cell_first"
        db.session.commit()
    yield
    with in_group(app, A) as group:
        group.routing_mode = "direct"
        db.session.commit()


@pytest.fixture
def lead_id(app, client, demo, login, held) -> int:
    """A fresh lead of group a, assigned by the cell to the first seller."""
    lead = post_lead(client, demo, kind="VO", timeframe="now", financing=True, customer={"last_name": "Work", "phone": fresh_phone()[0]})
    seller = demo_user_id(app, demo, "a", "seller")
    answer = login("a", "cell").post(f"/api/v1/leads/{lead}/assign", json={"user_id": seller, "reason": "Test."})
    assert answer.status_code == 200, answer.json
    return lead


def entries(app, lead: int, kind: str) -> list[LeadEntry]:
    with in_group(app, A):
        return list(db.session.execute(
            select(LeadEntry).where(LeadEntry.lead_id == lead, LeadEntry.kind == kind).order_by(LeadEntry.id)
        ).scalars())


def stored(app, lead: int) -> Lead:
    with in_group(app, A):
        row = db.session.get(Lead, lead)
        db.session.expunge(row)
        return row


def test_a_note_goes_on_the_timeline_and_an_empty_one_is_refused(app, lead_id, login):
    seller = login("a", "seller")
    refused = seller.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "  "})
    assert refused.status_code == 422 and "body" in refused.json["error"]["fields"]
    answer = seller.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "Préfère être appelé le soir."})
    assert answer.status_code == 201
    assert [e.body for e in entries(app, lead_id, "note")] == ["Préfère être appelé le soir."]


def test_stage_and_interest_are_recorded_with_where_they_came_from(app, lead_id, login):
    seller = login("a", "seller")
    answer = seller.patch(f"/api/v1/leads/{lead_id}", json={"stage": "test_drive", "interest": "hot"})
    assert answer.status_code == 200, answer.json
    assert (answer.json["stage"], answer.json["interest"], answer.json["status"]) == ("test_drive", "hot", "in_progress")
    assert [e.data for e in entries(app, lead_id, "stage")] == [{"from": "new", "to": "test_drive"}]
    assert [e.data for e in entries(app, lead_id, "interest")] == [{"from": "warm", "to": "hot"}]
    # The same values again change nothing and write nothing.
    assert seller.patch(f"/api/v1/leads/{lead_id}", json={"stage": "test_drive"}).status_code == 200
    assert len(entries(app, lead_id, "stage")) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({}, "stage"), ({"stage": "order"}, "stage"), ({"stage": "flying"}, "stage"), ({"interest": "tepid"}, "interest"),
])
def test_bad_qualifications_name_the_field(lead_id, login, body, field):
    answer = login("a", "seller").patch(f"/api/v1/leads/{lead_id}", json=body)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"]


def test_only_the_assigned_seller_or_the_cell_and_managers_qualify(app, lead_id, login):
    assert login("a", "seller", 1).patch(f"/api/v1/leads/{lead_id}", json={"stage": "contacted"}).status_code == 404
    assert login("a", "cell").patch(f"/api/v1/leads/{lead_id}", json={"stage": "contacted"}).status_code == 200
    assert login("a", "admin").patch(f"/api/v1/leads/{lead_id}", json={"interest": "cold"}).status_code == 200


@pytest.mark.parametrize("role", ["seller", "cell", "manager", "admin"])
def test_another_group_never_reaches_the_lead(lead_id, login, role):
    other = login("b", role)
    for method, path, body in (
        ("patch", "", {"stage": "contacted"}), ("post", "/notes", {"body": "x"}),
        ("post", "/close", {"outcome": "order"}), ("post", "/reopen", {}),
        ("put", "/trade-in", {"make": "Renault"}), ("post", "/calls", {"outcome": "reached"}),
    ):
        answer = getattr(other, method)(f"/api/v1/leads/{lead_id}{path}", json=body)
        assert answer.status_code == 404, (role, path, answer.status_code)
    assert other.get(f"/api/v1/leads/{lead_id}").status_code == 404
    assert other.get(f"/leads/{lead_id}").status_code == 404
    assert other.post(f"/leads/{lead_id}/note", data={"body": "x"}).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "abandoned"}, "reason"),
    ({"outcome": "abandoned", "reason": "bored"}, "reason"),
    ({"outcome": "abandoned", "reason": "other"}, "note"),
    ({"outcome": "order", "reason": "postponed"}, "reason"),
    ({"outcome": "won"}, "outcome"),
])
def test_closing_needs_an_outcome_and_for_an_abandonment_a_reason(lead_id, login, body, field):
    answer = login("a", "seller").post(f"/api/v1/leads/{lead_id}/close", json=body)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json


def test_abandon_then_reopen_restores_the_stage_and_keeps_the_history(app, lead_id, login):
    seller = login("a", "seller")
    seller.patch(f"/api/v1/leads/{lead_id}", json={"stage": "offer"})
    with in_group(app, A):
        lead = db.session.get(Lead, lead_id)
        db.session.add(Action(type="call", title="Relance", due_at=utcnow() + timedelta(days=1),
                              user_id=lead.assignee_id, lead=lead, contact_id=lead.contact_id))
        db.session.commit()
    closed = seller.post(f"/api/v1/leads/{lead_id}/close", json={"outcome": "abandoned", "reason": "bought_elsewhere"})
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["stage"], closed.json["close_reason"]) == ("lost", "abandoned", "bought_elsewhere")
    assert entries(app, lead_id, "closed")[0].data == {"outcome": "abandoned", "reason": "bought_elsewhere", "stage_before": "offer"}
    with in_group(app, A):
        follow_ups = db.session.execute(select(Action).where(Action.lead_id == lead_id)).scalars().all()
        assert [a.outcome for a in follow_ups] == ["cancelled"]
    assert seller.patch(f"/api/v1/leads/{lead_id}", json={"stage": "contacted"}).status_code == 422
    assert seller.post(f"/api/v1/leads/{lead_id}/close", json={"outcome": "order"}).status_code == 422

    reopened = seller.post(f"/api/v1/leads/{lead_id}/reopen", json={"note": "Le client revient vers nous."})
    assert reopened.status_code == 200
    assert (reopened.json["status"], reopened.json["stage"], reopened.json["close_reason"]) == ("in_progress", "offer", None)
    assert "Le client revient vers nous." in entries(app, lead_id, "reopened")[0].body
    assert seller.post(f"/api/v1/leads/{lead_id}/reopen", json={}).status_code == 422
    won = seller.post(f"/api/v1/leads/{lead_id}/close", json={"outcome": "order"})
    assert (won.json["status"], won.json["stage"]) == ("won", "order")


def test_other_reason_needs_its_text(app, lead_id, login):
    answer = login("a", "seller").post(f"/api/v1/leads/{lead_id}/close",
                                       json={"outcome": "abandoned", "reason": "other", "note": "Déménage à l'étranger"})
    assert answer.status_code == 200
    assert stored(app, lead_id).close_note == "Déménage à l'étranger"


def test_the_owned_vehicle_is_entered_then_edited(app, lead_id, login):
    seller = login("a", "seller")
    bad = seller.put(f"/api/v1/leads/{lead_id}/trade-in", json={"make": "Renault", "year": "1890", "mileage_km": "beaucoup"})
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"year", "mileage_km"}
    assert seller.put(f"/api/v1/leads/{lead_id}/trade-in", json={}).json["error"]["fields"].keys() == {"make"}
    first = seller.put(f"/api/v1/leads/{lead_id}/trade-in", json={"make": "Renault", "model": "Clio", "year": 2016,
                                                                   "mileage_km": "98000", "plate": "ab-123-cd"})
    assert first.status_code == 200
    assert first.json["trade_in"] == {"make": "Renault", "model": "Clio", "year": 2016, "mileage_km": 98000, "plate": "AB-123-CD"}
    again = seller.put(f"/api/v1/leads/{lead_id}/trade-in", json={"make": "Renault", "model": "Clio", "mileage_km": 99000})
    assert again.json["trade_in"]["mileage_km"] == 99000
    with in_group(app, A):
        lead = db.session.get(Lead, lead_id)
        assert len(lead.contact.owned_vehicles) == 1  # edited in place, not a second car


def test_a_replayed_change_is_applied_once(app, lead_id, login):
    seller = login("a", "seller")
    headers = {"Idempotency-Key": "note-" + uuid.uuid4().hex}
    first = seller.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "Hors ligne"}, headers=headers)
    replay = seller.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "Hors ligne"}, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 201) and first.json == replay.json
    assert len(entries(app, lead_id, "note")) == 1
    reused = seller.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "Autre chose"}, headers=headers)
    assert reused.status_code == 422
    call_key = {"Idempotency-Key": "call-" + uuid.uuid4().hex}
    for _ in range(2):
        assert seller.post(f"/api/v1/leads/{lead_id}/calls", json={"outcome": "reached"}, headers=call_key).status_code == 201
    assert len(entries(app, lead_id, "call")) == 1


def test_the_same_key_from_two_users_is_two_changes(app, lead_id, login):
    headers = {"Idempotency-Key": "shared-" + uuid.uuid4().hex}
    assert login("a", "seller").post(f"/api/v1/leads/{lead_id}/notes", json={"body": "Un"}, headers=headers).status_code == 201
    assert login("a", "cell").post(f"/api/v1/leads/{lead_id}/notes", json={"body": "Un"}, headers=headers).status_code == 201
    assert len(entries(app, lead_id, "note")) == 2


def test_a_reached_call_moves_a_new_lead_to_contacted(app, lead_id, login):
    answer = login("a", "seller").post(f"/api/v1/leads/{lead_id}/calls", json={"outcome": "reached"})
    assert answer.json["stage"] == "contacted"
    assert [e.data for e in entries(app, lead_id, "stage")] == [{"from": "new", "to": "contacted"}]


def test_the_score_is_explained_and_follows_the_lead(app, lead_id, login):
    seller = login("a", "seller")
    before = seller.get(f"/api/v1/leads/{lead_id}").json
    assert 0 <= before["score"] <= 100 and len(before["score_factors"]) == 3
    assert all(f["text"] and f["points"] for f in before["score_factors"])
    assert before["needs_next_action"] is True and before["next_action"] is None
    stored_before = stored(app, lead_id).score
    seller.patch(f"/api/v1/leads/{lead_id}", json={"stage": "offer"})
    assert stored(app, lead_id).score - stored_before == min(100 - stored_before, STAGE_POINTS["offer"])
    seller.post("/actions", data={"lead_id": lead_id, "type": "call", "title": "Relancer", "due": "2030-01-02T10:00"})
    planned = seller.get(f"/api/v1/leads/{lead_id}").json
    assert planned["needs_next_action"] is False and planned["next_action"]["title"] == "Relancer"


def test_score_factors_in_words(app):
    now = utcnow()
    fresh = Lead(channel="direct", source="showroom", status="in_progress", stage="test_drive", interest="hot",
                 timeframe="now", financing=True, trade_in_id=1, stock_vehicle_id=2, received_at=now - timedelta(minutes=5))
    stale = Lead(channel="email", source="mail", status="in_progress", stage="new", interest="cold", timeframe="later",
                 received_at=now - timedelta(days=20), first_contact_due_at=now - timedelta(days=19))
    with app.test_request_context():
        hot, cold = compute(fresh, now), compute(stale, now)
    assert hot.value == 100 and cold.value == 0
    assert [f.key for f in hot.top] == ["freshness", "stage", "source"]
    assert [(f.key, f.points) for f in cold.top] == [("interest", -10), ("response_delay", -8), ("source", 6)]
    assert all(f.text for f in hot.factors)


def test_stored_scores_age_at_each_freshness_step_without_any_write(app, demo):
    """Lists sort on the stored score: the scheduler's tick makes it age like the shown one."""
    from server.leads.aging import rescore_aged

    arrived = datetime(2027, 5, 4, 9, 0, tzinfo=UTC)

    def add(slug: str, status: str) -> int:
        with in_group(app, slug):
            lead = Lead(kind="VO", source="showroom", channel="direct", status=status, received_at=arrived,
                        contact=Contact(first_name="Age", last_name=uuid.uuid4().hex[:8], phone=fresh_phone()[1]))
            db.session.add(lead)
            db.session.commit()
            return lead.id

    def scores(now: datetime) -> list[tuple[int, int]]:
        """(stored, computed at `now`) for each lead."""
        pairs = []
        for slug, lead_id in ids:
            with in_group(app, slug):
                lead = db.session.get(Lead, lead_id)
                pairs.append((lead.score, compute(lead, now, explain=False).value))
        return pairs

    with time_machine.travel(arrived, tick=False):
        ids = [(A, add(A, "in_progress")), (B, add(B, "assigned")), (A, add(A, "lost"))]
        at_arrival = scores(arrived)
    assert all(stored == computed for stored, computed in at_arrival)
    open_a, open_b, closed = (stored for stored, _ in at_arrival)
    steps = [(timedelta(minutes=30), 0), (timedelta(hours=2), 20 - 12), (timedelta(days=2), 20 - 5),
             (timedelta(days=9), 20 + 5)]
    for age, lost in steps:
        now = arrived + age
        with time_machine.travel(now, tick=False), app.app_context():
            rescore_aged()
        (a, a_now), (b, b_now), (c, _) = scores(now)
        assert (a, b) == (open_a - lost, open_b - lost), age  # both groups, nobody wrote to them
        assert (a, b) == (a_now, b_now)
        assert c == closed  # a closed lead has no freshness to lose


def test_a_group_without_closing_cannot_close(app, lead_id, login):
    with in_group(app, A):
        group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == A)).scalar_one()
        saved, group.editions = list(group.editions), ["SD"]
        db.session.commit()
    try:
        seller = login("a", "seller")
        assert seller.post(f"/api/v1/leads/{lead_id}/close", json={"outcome": "order"}).status_code == 403
        assert seller.put(f"/api/v1/leads/{lead_id}/trade-in", json={"make": "Kia"}).status_code == 403
        assert seller.patch(f"/api/v1/leads/{lead_id}", json={"stage": "contacted"}).status_code == 200  # SD3
        page = seller.get(f"/leads/{lead_id}").get_data(as_text=True)
        assert "/close" not in page and "/trade-in" not in page
    finally:
        with in_group(app, A):
            db.session.execute(select(DealerGroup).where(DealerGroup.slug == A)).scalar_one().editions = saved
            db.session.commit()


def test_a_lead_closed_before_routing_goes_back_to_routing_when_reopened(app, client, demo, login, held):
    from server.models import RoutingOutbox

    lead = post_lead(client, demo, kind="VN", customer={"last_name": "Junk", "phone": fresh_phone()[0]})
    cell = login("a", "cell")
    closed = cell.post(f"/api/v1/leads/{lead}/close", json={"outcome": "abandoned", "reason": "unreachable"})
    assert closed.status_code == 200 and closed.json["status"] == "lost"
    with in_group(app, A):
        db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead)).scalar_one().processed_at = utcnow()
        db.session.commit()
    reopened = cell.post(f"/api/v1/leads/{lead}/reopen", json={})
    assert reopened.status_code == 200 and (reopened.json["status"], reopened.json["assignee"]) == ("new", None)
    with in_group(app, A):
        rows = db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead)).scalars().all()
        assert len(rows) == 1 and rows[0].processed_at is None
