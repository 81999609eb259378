"""VN/VO stock (SM4, SD4): search, the vehicle page, proposing a vehicle to a lead, adding one by
hand, and used-car alerts."""

from __future__ import annotations

from flask import Flask

from server.stock import alerts
from server.stock.labels import day, euros, fuel_label, gearbox_label, stock_status_label


def init_app(app: Flask) -> None:
    from server.stock import alert_views, views  # noqa: F401 - alert_views adds its routes to views.bp

    app.register_blueprint(views.bp)
    app.jinja_env.filters.update(euros=euros, day=day)
    app.jinja_env.globals.update(fuel_label=fuel_label, gearbox_label=gearbox_label,
                                  stock_status_label=stock_status_label)
    alerts.init_app(app)
