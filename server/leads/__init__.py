"""Leads as the rest of the product sees them: who may see which, their JSON form, their score,
the rules for working them, and the API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.leads import score
    from server.leads.api import bp

    score.init_app(app)
    app.register_blueprint(bp)
