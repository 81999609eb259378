"""Lead KPIs (MG3, BX5): volume, speed to lead, funnel and abandonment, from aggregates kept
up to date as leads change (`hooks`), rebuilt from raw rows on demand (`rebuild`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.kpi import hooks, models  # noqa: F401 - the tables belong to the metadata
    from server.kpi.views import bp

    hooks.init_app(app)
    app.register_blueprint(bp)
