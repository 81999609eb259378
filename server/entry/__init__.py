"""Direct entry of new leads by sellers, the lead cell and managers (CE2, CE3, SM3, SM5)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.entry.views import bp

    app.register_blueprint(bp)
