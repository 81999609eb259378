"""The manager's steering dashboard (MG2): where every open deal stands, behind, ahead or hot, live."""

from __future__ import annotations

from flask import Flask, current_app


def has_endpoint(name: str) -> bool:
    """For templates: link to a page only when the application serves it."""
    return name in current_app.view_functions


def init_app(app: Flask) -> None:
    from server.steering import cache
    from server.steering.views import bp

    cache.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(has_endpoint=has_endpoint)
