"""Editions decide which features a group has; a feature outside them is absent and refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.editions import FEATURES, features_of, group_has_feature
from server.extensions import db
from server.models import DealerGroup, Lead, User
from tests.conftest import demo_user, in_group


@pytest.mark.parametrize(
    ("editions", "present", "absent"),
    [
        (["LM1"], {"CC1", "CC2", "SM1", "SM3", "MG2", "MG3", "MG1"}, {"SM2", "SM4", "CE1", "SD1", "MG5", "OP1"}),
        (["LM1", "DMS"], {"SM2", "SM4"}, {"CE1", "SD5"}),
        (["LM2"], {"CE1", "CE5", "CE9", "SM2", "SM4", "MG2"}, {"CC1", "SD1", "MG5"}),
        (["SD"], {"SD1", "SD6", "SD7", "MG1", "MG4", "MG5", "MG6"}, {"MG2", "MG3", "SM1", "CC1", "CE1"}),
        (["SD", "REF"], {"OP1"}, {"CC1"}),
    ],
)
def test_features_by_edition(editions, present, absent):
    features = features_of(editions)
    assert present <= features
    assert not (absent & features)


def test_every_feature_of_the_product_is_carried_by_some_edition():
    everything = features_of(["LM1", "LM2", "SD", "DMS", "REF"])
    assert everything == set(FEATURES)
    assert not group_has_feature([], "SM1")


@pytest.fixture
def set_editions(app, demo):
    """Temporarily change group b's editions."""
    with app.app_context():
        group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == "autre-groupe")).scalar_one()
        saved = list(group.editions)

    def _set(editions: list[str]) -> None:
        with app.app_context():
            db.session.execute(
                select(DealerGroup).where(DealerGroup.slug == "autre-groupe")
            ).scalar_one().editions = editions
            db.session.commit()

    yield _set
    _set(saved)


def test_call_center_mode_is_absent_without_lm1(set_editions, login, token_for, client):
    agent = login("b", "call_center")
    assert agent.get("/home").status_code == 200
    token = token_for("b", "call_center")
    assert client.get("/api/v1/call-center/leads", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    set_editions(["LM2"])
    assert agent.get("/home").status_code == 403
    response = client.get("/api/v1/call-center/leads", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_cell_inbox_is_absent_without_lm2(set_editions, login):
    cell = login("b", "cell")
    assert cell.get("/home").status_code == 200
    set_editions(["LM1", "SD"])
    assert cell.get("/home").status_code == 403


def test_sd_only_group_keeps_sellers_and_managers(set_editions, login):
    set_editions(["SD"])
    assert login("b", "seller").get("/home").status_code == 200
    assert login("b", "manager").get("/home").status_code == 200


def test_call_center_list_holds_the_agents_own_leads_only(token_for, client, app, demo):
    agent_email = demo_user(demo, "a", "call_center")["email"]
    token = token_for("a", "call_center")
    listed = client.get("/api/v1/call-center/leads", headers={"Authorization": f"Bearer {token}"}).json["leads"]
    with in_group(app, "garage-du-parc"):
        agent = db.session.execute(select(User).where(User.email == agent_email)).scalar_one()
        own = {str(i) for i in db.session.execute(select(Lead.id).where(Lead.created_by_id == agent.id)).scalars()}
    assert own, "the demo agent has entered leads"
    assert {lead["id"] for lead in listed} == own
