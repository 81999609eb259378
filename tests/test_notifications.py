"""The notifications page: each person's own alerts, newest first, paged, marked read on request."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from server.extensions import db
from server.models import Notification
from tests.conftest import demo_user_id, in_group

A, B = "garage-du-parc", "autre-groupe"


def add(app, demo, group: str, role: str, text: str, index: int = 0, kind: str = "vo_alert") -> int:
    user = demo_user_id(app, demo, group, role, index)
    with in_group(app, A if group == "a" else B):
        row = Notification(user_id=user, kind=kind, text=text, data={})
        db.session.add(row)
        db.session.commit()
        return row.id


def test_each_person_sees_their_own_notifications_only(app, demo, login):
    tag = uuid.uuid4().hex[:8]
    mine = add(app, demo, "a", "seller", f"Peugeot 208 {tag}")
    add(app, demo, "a", "seller", f"colleague {tag}", index=1)
    add(app, demo, "b", "seller", f"other group {tag}")
    page = login("a", "seller").get("/notifications").get_data(as_text=True)
    assert f"Peugeot 208 {tag}" in page and "Véhicule d’occasion correspondant à une alerte" in page
    assert f"colleague {tag}" not in page and f"other group {tag}" not in page
    assert re.search(r'class="count-badge" data-unread-count>\d+<', page)
    with in_group(app, A):
        assert db.session.get(Notification, mine).read_at is None


def test_mark_all_read_touches_only_mine(app, demo, login):
    mine = add(app, demo, "a", "seller", "mine")
    theirs = add(app, demo, "a", "seller", "theirs", index=1)
    other_group = add(app, demo, "b", "seller", "b")
    seller = login("a", "seller")
    assert seller.post("/notifications/read").status_code == 302
    assert 'data-unread-count' not in seller.get("/notifications").get_data(as_text=True)
    with in_group(app, A):
        assert db.session.get(Notification, mine).read_at is not None
        assert db.session.get(Notification, theirs).read_at is None
    with in_group(app, B):
        assert db.session.get(Notification, other_group).read_at is None


def test_pages_follow_the_id_without_gaps(app, demo, login):
    tag = uuid.uuid4().hex[:6]
    ids = [add(app, demo, "a", "cell", f"n{i}-{tag}") for i in range(55)]
    cell = login("a", "cell")
    first = cell.get("/notifications").get_data(as_text=True)
    older = re.search(r'href="/notifications\?before=(\d+)"', first)
    assert older, "a second page is offered"
    second = cell.get(f"/notifications?before={older.group(1)}").get_data(as_text=True)
    seen = [t for page in (first, second) for t in re.findall(rf"<p>(n\d+-{tag})</p>", page)]
    assert seen == [f"n{i}-{tag}" for i in reversed(range(55))]
    with in_group(app, A):
        assert db.session.execute(select(Notification.id).where(Notification.id.in_(ids))).scalars().all()
