"""The application factory: configuration, then each package's `init_app`, in order."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

import admin
from server import (
    actions,
    after_commit,
    agent,
    api,
    auth,
    customers,
    database,
    embedded_redis,
    entry,
    health,
    i18n,
    inbox,
    intake,
    kpi,
    lead_routing,
    leads,
    notifications,
    pwa,
    realtime,
    security,
    steering,
    stock,
    tenancy,
    web,
    widget_host,
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
    after_commit.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    widget_host.init_app(app)
    intake.init_app(app)
    leads.init_app(app)
    kpi.init_app(app)
    steering.init_app(app)
    customers.init_app(app)
    stock.init_app(app)
    actions.init_app(app)
    inbox.init_app(app)
    entry.init_app(app)
    agent.init_app(app)
    health.init_app(app)
    lead_routing.init_app(app)
    realtime.init_app(app)
    web.init_app(app)
    notifications.init_app(app)
    pwa.init_app(app)
    admin.init_app(app)
    return app
