"""Lead capture from every channel: one capture service, the HTTP intake API, ADF in and out."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.intake.api import bp
    from server.intake.export import bp as export_bp

    app.register_blueprint(bp)
    app.register_blueprint(export_bp)
