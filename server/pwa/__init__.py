"""The installable app: web manifest, the service worker at the site's root, the offline page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.pwa.views import bp

    app.register_blueprint(bp)
