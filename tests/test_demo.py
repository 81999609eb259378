"""`eseller demo`: a believable group with data on every screen, created once, refreshed idempotently."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from server.cli import cli
from server.extensions import db
from server.models import (
    Action,
    ApiKey,
    Contact,
    DealerGroup,
    Lead,
    LeadEntry,
    OwnedVehicle,
    PurchaseLine,
    Site,
    StockVehicle,
    User,
    WidgetKey,
    WorkshopLine,
)
from server.models.lead import CHANNELS, INTEREST_LEVELS, LEAD_KINDS, STAGES, STATUSES
from server.tenancy import all_groups
from tests.conftest import in_group

COUNTED = (Site, User, Contact, OwnedVehicle, PurchaseLine, WorkshopLine, StockVehicle, Lead, LeadEntry, Action,
           ApiKey, WidgetKey)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__tablename__: db.session.scalar(all_groups(select(func.count()).select_from(model)))
                for model in COUNTED}


def _run_demo(app, *args: str) -> dict:
    result = app.test_cli_runner().invoke(cli, args=["demo", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_json_follows_the_contract(app, demo):
    info = _run_demo(app)
    assert set(info) == {"group", "widget_key", "api_key", "smtp_address", "users", "sites"}
    assert info["group"] == "garage-du-parc"
    assert info["smtp_address"] == "leads+garage-du-parc@eseller.example"
    assert info["widget_key"].startswith("wk_") and info["api_key"].startswith("esk_")
    roles = [user["role"] for user in info["users"]]
    assert {role: roles.count(role) for role in set(roles)} == {
        "seller": 8, "cell": 2, "call_center": 2, "manager": 2, "admin": 1,
    }
    assert all(set(user) == {"email", "password", "role", "site"} for user in info["users"])
    sites = {site["code"]: site for site in info["sites"]}
    assert sites["lyon-centre"]["brands"] == ["Peugeot", "Citroën"]
    assert sites["villeurbanne"]["brands"] == ["Renault", "Dacia"]
    assert len(sites) == 3


def test_running_it_twice_changes_nothing(app, demo):
    before = _counts(app)
    first = _run_demo(app)
    second = _run_demo(app)
    assert first == second == demo["a"]
    assert _counts(app) == before


def test_the_refresh_restores_demo_access(app, demo, client):
    seller = demo["a"]["users"][0]
    with in_group(app, "garage-du-parc"):
        user = db.session.execute(select(User).where(User.email == seller["email"])).scalar_one()
        user.active = False
        db.session.commit()
    _run_demo(app)
    response = client.post("/api/v1/auth/token", json={"email": seller["email"], "password": seller["password"]})
    assert response.status_code == 200


def test_every_screen_has_data(app, demo):
    with in_group(app, "garage-du-parc") as group:
        assert group.name == "Garage du Parc"
        assert set(group.editions) >= {"LM1", "LM2", "SD", "DMS", "REF"}

        def distinct(column):
            return set(db.session.execute(select(column).distinct()).scalars())

        assert distinct(Lead.kind) == set(LEAD_KINDS)
        assert distinct(Lead.status) == set(STATUSES)
        assert distinct(Lead.stage) == set(STAGES)
        assert distinct(Lead.interest) == set(INTEREST_LEVELS)
        assert set(CHANNELS) - {"import"} <= distinct(Lead.channel)
        assert {"website", "lacentrale", "leboncoin", "showroom", "call_center"} <= distinct(Lead.source)
        assert 250 <= db.session.scalar(select(func.count(Lead.id))) <= 350
        assert 120 <= db.session.scalar(select(func.count(Contact.id))) <= 180
        assert 50 <= db.session.scalar(select(func.count(StockVehicle.id))) <= 70
        oldest = db.session.scalar(select(func.min(Lead.received_at)))
        newest = db.session.scalar(select(func.max(Lead.received_at)))
        assert (newest - oldest).days >= 45
        # Every closed lead says why; every lead in a seller's hands names the seller.
        assert db.session.scalar(select(func.count()).where(Lead.status == "lost", Lead.close_reason.is_(None))) == 0
        assert db.session.scalar(
            select(func.count()).where(Lead.status.in_(("assigned", "in_progress")), Lead.assignee_id.is_(None))
        ) == 0


def test_another_slug_makes_an_independent_group(app, demo):
    b = demo["b"]
    assert b["group"] == "autre-groupe"
    assert {u["email"] for u in b["users"]}.isdisjoint({u["email"] for u in demo["a"]["users"]})
    assert b["api_key"] != demo["a"]["api_key"] and b["widget_key"] != demo["a"]["widget_key"]
    with app.app_context():
        names = set(db.session.execute(select(DealerGroup.name)).scalars())
    assert "Garage du Parc" in names and len(names) >= 2
    with in_group(app, "autre-groupe"):
        emails_b = set(db.session.execute(select(Contact.email).where(Contact.email.is_not(None))).scalars())
    with in_group(app, "garage-du-parc"):
        emails_a = set(db.session.execute(select(Contact.email).where(Contact.email.is_not(None))).scalars())
    assert emails_a and emails_b and emails_a.isdisjoint(emails_b)
