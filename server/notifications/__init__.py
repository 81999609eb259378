"""What the product tells a person outside a lead's own screen: used-car alerts, escalations, nobody
on duty, follow-ups due. The rows are written where those things happen; this lists them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.notifications.views import bp, unread_count

    app.register_blueprint(bp)
    app.jinja_env.globals.update(unread_notifications=unread_count)
