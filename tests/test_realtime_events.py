"""Realtime events through the real server: who hears what, the per-group seq, and catch-up.

Real Socket.IO clients (python-socketio, token auth) against `eseller serve`; leads come in through
the real intake API and are assigned by hand through the API. The groups route to the cell while a
test runs, so that a routing worker still running from another test never adds events of its own.

"Receives nothing" is proven without sleeping: after the event under test, a later event that the
same client must receive (a barrier) is awaited; the server pushes in order, so anything sent to
that client before the barrier has arrived by then.
"""

from __future__ import annotations

import queue
import uuid

import pytest
import requests
import socketio
from sqlalchemy import select

from server.extensions import db
from server.models import DealerGroup, GroupCounter, User
from tests.conftest import demo_user, in_group

GROUPS = {"a": "garage-du-parc", "b": "autre-groupe"}
EVENT_TYPES = ("lead.created", "lead.assigned", "lead.updated", "lead.escalated", "action.due")
TIMEOUT = 15
# Lead id -> its customer's unique last name. Socket.IO's Redis channel is shared by every process
# on the Redis server (pub/sub ignores database numbers), so another test run's event about a lead
# with the same id could reach these clients; the name tells ours apart.
NAMES: dict[str, str] = {}


def ours(event: dict, lead_id: str) -> bool:
    lead = event["lead"]
    return lead["id"] == lead_id and lead["customer"]["last_name"] == NAMES.get(lead_id)


@pytest.fixture
def routing_held(app):
    for slug in GROUPS.values():
        with in_group(app, slug) as group:
            group.routing_mode = "cell_first"
            db.session.commit()
    yield
    for slug in GROUPS.values():
        with in_group(app, slug) as group:
            group.routing_mode = "direct"
            db.session.commit()


class Listener:
    """A signed-in Socket.IO client that files every event it receives, in order."""

    def __init__(self, base: str, token: str):
        self.inbox: queue.Queue = queue.Queue()
        self.received: list[dict] = []
        self.client = socketio.Client(reconnection=False)
        for type_ in EVENT_TYPES:
            self.client.on(type_, self.inbox.put)
        self.client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def wait_for(self, type_: str, lead_id: str) -> dict:
        """The next event of this type about this lead (others received meanwhile are kept)."""
        while True:
            try:
                event = self.inbox.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no {type_} for lead {lead_id}; got {[(e['type'], e['lead']['id']) for e in self.received]}") from None
            self.received.append(event)
            if event["type"] == type_ and ours(event, lead_id):
                return event

    def about(self, lead_id: str) -> list[dict]:
        return [event for event in self.received if ours(event, lead_id)]

    def close(self) -> None:
        self.client.disconnect()


class Api:
    """The live server's HTTP API as one user (bearer token) or one intake key."""

    def __init__(self, base: str, credential: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {credential}"

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.session.post(self.base + path, json=body or {}, timeout=10)

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=10)

    def new_lead(self, **fields) -> str:
        # A new person each time: the same e-mail or phone would join the open lead (BX2).
        name = f"Temps-Reel-{uuid.uuid4().hex[:8]}"
        lead = {"kind": "VN", "source": "website", "brand": "Peugeot",
                "customer": {"last_name": name, "email": f"{name.lower()}@example.fr"}, **fields}
        response = self.post("/api/v1/leads", lead)
        assert response.status_code == 202, response.text
        NAMES[response.json()["id"]] = name
        return response.json()["id"]

    def assign(self, lead_id: str, seller_id: int) -> None:
        response = self.post(f"/api/v1/leads/{lead_id}/assign", {"user_id": seller_id, "reason": "Test du temps réel"})
        assert response.status_code == 200, response.text


def user_id(app, demo, group: str, role: str, index: int = 0) -> int:
    with in_group(app, GROUPS[group]):
        email = demo_user(demo, group, role, index)["email"]
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


def counter(app, group: str) -> int:
    with in_group(app, GROUPS[group]) as dealer_group:
        seq = db.session.execute(select(GroupCounter.event_seq).where(GroupCounter.group_id == dealer_group.id)).scalar()
        return int(seq or 0)


@pytest.fixture
def listeners(live_server):
    opened: list[Listener] = []

    def _open(token: str) -> Listener:
        listener = Listener(live_server, token)
        opened.append(listener)
        return listener

    yield _open
    for listener in opened:
        listener.close()


def test_a_seller_hears_of_their_own_leads_only(app, demo, live_server, token_for, listeners, routing_held):
    julien, sophie = user_id(app, demo, "a", "seller", 0), user_id(app, demo, "a", "seller", 1)
    seller_b = user_id(app, demo, "b", "seller", 0)
    ears = {"julien": listeners(token_for("a", "seller", 0)), "sophie": listeners(token_for("a", "seller", 1)),
            "b": listeners(token_for("b", "seller", 0))}
    intake_a, intake_b = Api(live_server, demo["a"]["api_key"]), Api(live_server, demo["b"]["api_key"])
    cell_a, cell_b = Api(live_server, token_for("a", "cell")), Api(live_server, token_for("b", "cell"))

    lead_id = intake_a.new_lead()
    cell_a.assign(lead_id, julien)
    event = ears["julien"].wait_for("lead.assigned", lead_id)
    assert set(event) == {"seq", "type", "lead"}
    assert event["lead"]["assignee"]["id"] == str(julien) and event["lead"]["status"] == "assigned"
    assert ears["julien"].about(lead_id) == [event], "the seller never heard of the lead before it was theirs"

    # Barriers: a later event each of the others must hear; by then the first one would have come.
    barrier_a = intake_a.new_lead()
    cell_a.assign(barrier_a, sophie)
    ears["sophie"].wait_for("lead.assigned", barrier_a)
    barrier_b = intake_b.new_lead()
    cell_b.assign(barrier_b, seller_b)
    ears["b"].wait_for("lead.assigned", barrier_b)
    assert ears["sophie"].about(lead_id) == []
    assert ears["b"].about(lead_id) == [] and ears["b"].about(barrier_a) == []


def test_the_cell_hears_of_new_leads_and_seq_grows_by_one_per_group(app, demo, live_server, token_for, listeners,
                                                                     routing_held):
    cell = listeners(token_for("a", "cell"))
    admin = listeners(token_for("a", "admin"))
    other_cell = listeners(token_for("b", "cell"))
    intake_a, intake_b = Api(live_server, demo["a"]["api_key"]), Api(live_server, demo["b"]["api_key"])
    b_before = counter(app, "b")

    lead_id = intake_a.new_lead()
    created = cell.wait_for("lead.created", lead_id)
    assert created["lead"]["status"] == "new" and created["lead"]["assignee"] is None
    assert created["lead"]["customer"]["last_name"].startswith("Temps-Reel-")

    # Three changes in group A: seq +1 each, whatever group B does.
    Api(live_server, token_for("a", "cell")).assign(lead_id, user_id(app, demo, "a", "seller"))
    seller = Api(live_server, token_for("a", "seller"))
    assert seller.post(f"/api/v1/leads/{lead_id}/ack").status_code == 200
    seqs = [admin.wait_for("lead.created", lead_id)["seq"], admin.wait_for("lead.assigned", lead_id)["seq"],
            admin.wait_for("lead.updated", lead_id)["seq"]]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    assert counter(app, "a") == seqs[-1]
    assert counter(app, "b") == b_before

    barrier = intake_b.new_lead()
    other_cell.wait_for("lead.created", barrier)
    assert other_cell.about(lead_id) == [], "another group's cell hears nothing of group A"
    assert counter(app, "b") == b_before + 1


def test_catch_up_returns_exactly_what_was_missed(app, demo, live_server, token_for, listeners, routing_held):
    julien = user_id(app, demo, "a", "seller")
    token = token_for("a", "seller")
    intake = Api(live_server, demo["a"]["api_key"])
    cell = Api(live_server, token_for("a", "cell"))
    seller = Api(live_server, token)

    # Connected: the last event heard is where the client stands.
    ears = listeners(token)
    first = intake.new_lead()
    cell.assign(first, julien)
    last_seq = ears.wait_for("lead.assigned", first)["seq"]
    ears.close()

    # Offline: the lead's arrival (the cell's business), then three events for this seller.
    missed = intake.new_lead()
    cell.assign(missed, julien)
    assert seller.post(f"/api/v1/leads/{missed}/ack").status_code == 200
    assert seller.post(f"/api/v1/leads/{missed}/calls", {"outcome": "no_answer"}).status_code == 201

    response = seller.get(f"/api/v1/events?after={last_seq}")
    assert response.status_code == 200
    body = response.json()
    events = body["events"]
    assert [(e["type"], e["lead"]["id"]) for e in events] == [
        ("lead.assigned", missed), ("lead.updated", missed), ("lead.updated", missed)]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events) and events[0]["seq"] > last_seq
    assert events[1]["lead"]["acknowledged_at"] and events[2]["lead"]["first_contact_at"]
    assert body["last_seq"] >= events[-1]["seq"] and body["more"] is False
    # Asking again from the end gives nothing new.
    assert seller.get(f"/api/v1/events?after={body['last_seq']}").json()["events"] == []

    # Another group's user, from the same point: none of it.
    stranger = Api(live_server, token_for("b", "seller")).get(f"/api/v1/events?after={last_seq}")
    assert stranger.status_code == 200
    assert not [e for e in stranger.json()["events"] if e["lead"]["id"] in (first, missed)]  # one database: ids are unique

    bad = seller.get("/api/v1/events?after=abc")
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("application/json")
    assert bad.json()["error"]["code"] == "bad_request" and "after" in bad.json()["error"]["fields"]


def test_the_groups_keep_their_own_routing_mode(app):
    """The fixture's changes do not outlive the tests (other tests route directly)."""
    for slug in GROUPS.values():
        with in_group(app, slug):
            mode = db.session.execute(select(DealerGroup.routing_mode).where(DealerGroup.slug == slug)).scalar_one()
            assert mode == "direct"
