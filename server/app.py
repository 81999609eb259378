"""The application factory: configuration, then each package's `init_app`, in order."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

import admin
from server import (
    api,
    auth,
    database,
    embedded_redis,
    health,
    i18n,
    lead_routing,
    realtime,
    security,
    tenancy,
    web,
)
from server.config import load_config


def create_app(config: dict | None = None) -> Flask:
    instance_path = os.environ.get("ESELLER_INSTANCE_PATH") or str(Path.cwd() / "instance")
    app = Flask("server", instance_path=instance_path, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, config)

    embedded_redis.init_app(app)
    database.init_app(app)
    tenancy.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    health.init_app(app)
    lead_routing.init_app(app)
    realtime.init_app(app)
    web.init_app(app)
    admin.init_app(app)
    return app
