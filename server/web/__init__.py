"""The signed-in pages every role shares: the home page of each role and the language switch."""

from __future__ import annotations

from flask import Flask

from server.models import utcnow
from server.web import lead_page  # noqa: F401 - its routes join the blueprint
from server.web.labels import TEMPLATE_FILTERS, TEMPLATE_GLOBALS
from server.web.views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    app.jinja_env.filters.update(TEMPLATE_FILTERS)
    # One "now" per rendered page, so that every row of a list is judged against the same instant.
    app.context_processor(lambda: {"now": utcnow()})
