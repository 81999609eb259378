"""The call-center agent's screen (CC1, CC2): inbound calls qualified and sent into eSeller."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.agent.views import bp

    app.register_blueprint(bp)
