"""Socket.IO: authenticated connections, rooms chosen by the server, the Redis message queue.

Workers and other server processes emit through the same Redis channel, so a change made
anywhere reaches every connected screen.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from flask_socketio import join_room

from server.auth.tokens import user_for_token
from server.extensions import socketio
from server.realtime import events
from server.realtime.audience import rooms_for
from server.tenancy import group_scope


def _connect(auth=None):
    user = None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        user = user_for_token(auth["token"])
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        raise ConnectionRefusedError("authentication required")
    with group_scope(user.group_id):
        for room in rooms_for(user):
            join_room(room, sid=request.sid)
    return True


def init_app(app: Flask) -> None:
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"],
        channel=app.config["SOCKETIO_CHANNEL"],
        # None = same origin only; the widget does not use Socket.IO.
        cors_allowed_origins=None,
        manage_session=False,
    )
    socketio.on_event("connect", _connect)
    events.init_app(app)
    from server.realtime.views import bp

    app.register_blueprint(bp)
