"""The customer file (SM2, SD5): search a customer, then see identity, consents and DMS history."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.customers.views import bp

    app.register_blueprint(bp)
