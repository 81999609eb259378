"""Leads as the rest of the product sees them: who may see which, their JSON form, and the API."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.leads.api import bp

    app.register_blueprint(bp)
