"""The personal iCalendar feed (BX12): the user's actions only, by a secret URL, reset at will."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import or_, select

from server.extensions import db
from server.models import Action, Lead, User, utcnow
from tests.conftest import demo_user, in_group

UTC = ZoneInfo("UTC")
A, B = "garage-du-parc", "autre-groupe"


def _user(app, demo, group: str, role: str, index: int = 0) -> int:
    email = demo_user(demo, group, role, index)["email"]
    with in_group(app, A if group == "a" else B):
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


def _add(user_id: int, title: str, due: datetime, lead: Lead | None = None, done_at: datetime | None = None) -> int:
    action = Action(type="call", title=title, due_at=due, user_id=user_id, lead=lead, done_at=done_at,
                    contact_id=lead.contact_id if lead else None)
    db.session.add(action)
    db.session.commit()
    return action.id


def _feed_path(client) -> str:
    page = client.get("/actions/feed")
    assert page.status_code == 200
    match = re.search(r'value="https?://[^/"]+(/actions/feed/[A-Za-z0-9_-]{32,}\.ics)"', page.get_data(as_text=True))
    assert match, "the page shows the https address"
    assert "webcal://" in page.get_data(as_text=True)
    return match.group(1)


def _uids(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_feed_holds_exactly_the_users_actions(app, demo, login):
    seller = _user(app, demo, "a", "seller")
    colleague = _user(app, demo, "a", "seller", 1)
    now = utcnow()
    with in_group(app, A):
        lead = db.session.execute(select(Lead).where(Lead.assignee_id == seller).limit(1)).scalar_one()
        customer, lead_id = lead.contact.full_name, lead.id
        open_id = _add(seller, "Feed open", now + timedelta(days=1), lead)
        recent_done = _add(seller, "Feed recently done", now - timedelta(days=5), lead, now - timedelta(days=5))
        old_done = _add(seller, "Feed done long ago", now - timedelta(days=40), lead, now - timedelta(days=40))
        theirs = _add(colleague, "Feed colleague", now + timedelta(days=1))
    with in_group(app, B):
        other_group = _add(_user(app, demo, "b", "seller"), "Feed other group", now + timedelta(days=1))
    path = _feed_path(login("a", "seller"))
    response = app.test_client().get(path)  # no session: the secret is enough
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    events = _uids(response.data)
    ids = {int(re.match(r"action-(\d+)@", uid).group(1)) for uid in events}
    with in_group(app, A):
        expected = set(db.session.execute(select(Action.id).where(
            Action.user_id == seller, or_(Action.done_at.is_(None), Action.done_at >= now - timedelta(days=30))
        )).scalars())
    assert ids == expected
    assert {open_id, recent_done} <= ids and not ids & {old_done, theirs, other_group}
    event = next(e for uid, e in events.items() if uid.startswith(f"action-{open_id}@"))
    assert str(event["SUMMARY"]) == f"Feed open · {customer}"
    start = event.decoded("DTSTART")
    assert start.utcoffset() == timedelta(0)
    assert start == (now + timedelta(days=1)).replace(microsecond=0)
    assert event.decoded("DTEND") - start == timedelta(minutes=30)
    assert f"/leads/{lead_id}" in str(event["DESCRIPTION"])
    # The same action keeps its UID from one poll to the next.
    assert set(_uids(app.test_client().get(path).data)) == set(events)


def test_reset_makes_the_old_address_unknown(app, demo, login):
    client = login("a", "seller")
    old = _feed_path(client)
    assert app.test_client().get(old).status_code == 200
    assert client.post("/actions/feed/reset").status_code == 302
    new = _feed_path(client)
    assert new != old
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200


def test_a_wrong_secret_is_not_found(app, demo):
    anonymous = app.test_client()
    assert anonymous.get("/actions/feed/" + "x" * 43 + ".ics").status_code == 404
    assert anonymous.get("/actions/feed/short.ics").status_code == 404
    # The page that shows the address wants a signed-in user.
    assert anonymous.get("/actions/feed").status_code == 302
