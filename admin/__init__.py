"""The managers' and administrators' panel."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from admin.views import bp

    app.register_blueprint(bp)
