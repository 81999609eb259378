"""The managers' and administrators' panel."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    import admin.keys  # noqa: F401 - widget & API keys, consent text: routes on the same blueprint
    import admin.planning  # noqa: F401 - the shared planning's routes, on the same blueprint
    import admin.routing  # noqa: F401 - the routing settings' routes, on the same blueprint
    from admin import quarantine  # noqa: F401 - adds its routes to the blueprint before registration
    from admin.views import bp

    app.register_blueprint(bp)
