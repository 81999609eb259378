"""Shared steps for the routing tests: post a lead, run a real worker, read what happened."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from rq import SimpleWorker
from sqlalchemy import select

from server.extensions import db, get_redis
from server.models import Lead, Site, User

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday in opening hours: every demo seller works Monday to Saturday but one day off.
TUESDAY_MORNING = datetime(2026, 12, 8, 10, 30, tzinfo=PARIS)
SUNDAY = datetime(2026, 12, 13, 11, 0, tzinfo=PARIS)


def post_lead(client, demo, group="a", **overrides) -> int:
    lead = {"kind": "VO", "source": "website",
            "customer": {"last_name": f"Route-{uuid.uuid4().hex[:8]}", "email": f"{uuid.uuid4().hex[:10]}@example.fr"}}
    lead.update(overrides)
    response = client.post("/api/v1/leads", json=lead, headers={"Authorization": f"Bearer {demo[group]['api_key']}"})
    assert response.status_code == 202, response.json
    return int(response.json["id"])


def run_worker(app) -> None:
    with app.app_context():
        SimpleWorker(list(app.config["RQ_QUEUES"]), connection=get_redis()).work(burst=True)


def site_sellers(code: str) -> set[int]:
    site = db.session.execute(select(Site).where(Site.code == code)).scalar_one()
    return {u.id for u in db.session.execute(select(User).where(User.role == "seller")).scalars() if site.id in u.site_ids}


def lead(lead_id: int) -> Lead:
    return db.session.get(Lead, lead_id)
