"""Socket.IO connections are authenticated; the server alone picks the rooms."""

from __future__ import annotations

import pytest
import socketio
from sqlalchemy import select

from server.extensions import db
from server.models import User
from server.realtime.audience import rooms_for
from tests.conftest import demo_user, in_group


def test_token_connects_and_anonymous_is_refused(live_server, token_for):
    token = token_for("a", "seller")
    client = socketio.Client(reconnection=False)
    client.connect(live_server, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    assert client.connected
    client.disconnect()

    anonymous = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(live_server, transports=["websocket"], wait_timeout=10)
    forged = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        forged.connect(live_server, auth={"token": "est_forged"}, transports=["websocket"], wait_timeout=10)


def test_rooms_follow_the_identity(app, demo):
    email = demo_user(demo, "a", "manager")["email"]
    with in_group(app, "garage-du-parc"):
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        rooms = rooms_for(user)
        assert user.sites, "the demo manager has a site"
        assert rooms == [f"user:{user.id}", f"group:{user.group_id}:manager"] + [
            f"group:{user.group_id}:site:{site.id}:manager" for site in user.sites
        ]
