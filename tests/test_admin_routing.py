"""Routing settings (MG1, BX3, BX4): mode, rules, response times and the dry run, as an admin.

Every test puts group A's routing back as it found it (mode, settings, rules), since the routing
worker tests of the same process read them.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from server.extensions import db
from server.lead_routing.decide import decide
from server.lead_routing.sla import first_contact_deadline, reassign_after_minutes
from server.models import (
    Contact,
    Event,
    Lead,
    LeadEntry,
    Notification,
    RoutingOutbox,
    RoutingRule,
    Site,
    User,
)
from tests.conftest import in_group
from tests.routing_helpers import SUNDAY, TUESDAY_MORNING, lead, post_lead, run_worker

GROUP_A = "garage-du-parc"
RULE_FIELDS = ("position", "name", "conditions", "site_id", "to_cell", "active")


@pytest.fixture(autouse=True)
def restore_routing(app, demo):
    """Snapshot group A's routing before the test and put it back after."""
    with in_group(app, GROUP_A) as group:
        mode, settings = group.routing_mode, dict(group.settings or {})
        rules = {r.id: {f: getattr(r, f) for f in RULE_FIELDS} for r in db.session.execute(select(RoutingRule)).scalars()}
    yield
    with in_group(app, GROUP_A) as group:
        group.routing_mode, group.settings = mode, settings
        for rule in db.session.execute(select(RoutingRule)).scalars():
            if rule.id in rules:
                for name, value in rules.pop(rule.id).items():
                    setattr(rule, name, value)
            else:
                db.session.delete(rule)
        db.session.add_all(RoutingRule(**values) for values in rules.values())
        db.session.commit()


def _site_id(code: str) -> int:
    return db.session.execute(select(Site.id).where(Site.code == code)).scalar_one()


def _rule_ids() -> list[int]:
    return list(db.session.execute(select(RoutingRule.id).order_by(RoutingRule.position, RoutingRule.id)).scalars())


def test_the_admin_switches_the_routing_mode(app, login):
    admin = login("a", "admin")
    page = admin.get("/admin/routing")
    assert page.status_code == 200
    assert "Directement à un vendeur" in page.get_data(as_text=True)
    assert admin.post("/admin/routing/mode", data={"routing_mode": "cell_first"}).status_code == 302
    with in_group(app, GROUP_A) as group:
        assert group.routing_mode == "cell_first"
    body = admin.get("/admin/routing").get_data(as_text=True)
    assert re.search(r'value="cell_first"[^>]*checked|checked[^>]*value="cell_first"', body)
    assert admin.post("/admin/routing/mode", data={"routing_mode": "anywhere"}).status_code == 422
    with in_group(app, GROUP_A) as group:
        assert group.routing_mode == "cell_first"


def _rule_form(**overrides) -> dict:
    with_site = overrides.pop("target", None)
    data = {"name": "Peugeot 3008 du site web", "active": "y", "brand": "Peugeot, Citroën ,", "kind": ["VN"],
            "source": "website", "postal_prefix": "69, 38", "model": "3008", "site": "", "language": ""}
    data["target"] = with_site
    data.update(overrides)
    return data


def test_rules_are_created_edited_moved_and_deleted(app, login):
    admin = login("a", "admin")
    with in_group(app, GROUP_A):
        lyon, before = _site_id("lyon-centre"), _rule_ids()
    response = admin.post("/admin/routing/rules/new", data=_rule_form(target=f"site-{lyon}"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with in_group(app, GROUP_A):
        ids = _rule_ids()
        new_id = ids[-1]
        assert ids[:-1] == before, "a new rule goes last"
        rule = db.session.get(RoutingRule, new_id)
        assert rule.site_id == lyon and not rule.to_cell and rule.active
        assert rule.conditions == {"brand": ["Peugeot", "Citroën"], "kind": ["VN"], "source": ["website"],
                                   "postal_prefix": ["69", "38"], "model": ["3008"]}
    listing = admin.get("/admin/routing").get_data(as_text=True)
    assert "Peugeot 3008 du site web" in listing and "Peugeot ou Citroën" in listing

    edit = admin.get(f"/admin/routing/rules/{new_id}").get_data(as_text=True)
    assert 'value="Peugeot, Citroën"' in edit and 'value="69, 38"' in edit
    response = admin.post(f"/admin/routing/rules/{new_id}",
                          data=_rule_form(target="cell", name="Au centre d'appels", site="LYON-centre", language="FR"))
    assert response.status_code == 302
    with in_group(app, GROUP_A):
        rule = db.session.get(RoutingRule, new_id)
        assert rule.name == "Au centre d'appels" and rule.to_cell and rule.site_id is None
        assert rule.conditions["site"] == ["lyon-centre"] and rule.conditions["language"] == ["fr"]

    assert admin.post(f"/admin/routing/rules/{new_id}/move", data={"direction": "up"}).status_code == 302
    with in_group(app, GROUP_A):
        assert _rule_ids() == [*before[:-1], new_id, before[-1]]
    admin.post(f"/admin/routing/rules/{new_id}/move", data={"direction": "down"})
    admin.post(f"/admin/routing/rules/{new_id}/move", data={"direction": "down"})  # already last: stays
    with in_group(app, GROUP_A):
        assert _rule_ids() == [*before, new_id]
    assert admin.post(f"/admin/routing/rules/{new_id}/move", data={"direction": "sideways"}).status_code == 400

    assert admin.post(f"/admin/routing/rules/{new_id}/delete").status_code == 302
    with in_group(app, GROUP_A):
        assert _rule_ids() == before
    assert admin.get(f"/admin/routing/rules/{new_id}").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"site": "lyon-centre, nowhere"}, "site", "nowhere"),
        ({"kind": ["VX"]}, "kind", "VX"),
        ({"postal_prefix": "69-1"}, "postal_prefix", "69-1"),
        ({"language": "french"}, "language", "french"),
        ({"name": "  "}, "name", ""),
        ({"target": "site-999999"}, "target", ""),
    ],
)
def test_an_invalid_rule_is_refused_next_to_the_field(app, login, overrides, field, text):
    admin = login("a", "admin")
    with in_group(app, GROUP_A):
        before, lyon = _rule_ids(), _site_id("lyon-centre")
    response = admin.post("/admin/routing/rules/new", data=_rule_form(**{"target": f"site-{lyon}", **overrides}))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', body)
    assert error and text in error.group(1), body[:3000]
    with in_group(app, GROUP_A):
        assert _rule_ids() == before


def test_response_times_change_the_first_contact_deadline(app, login):
    admin = login("a", "admin")
    form = {"vo": "5", "vn": "45", "atelier": "90", "reassign_after": "20",
            "overrides-0-source": "LaCentrale", "overrides-0-minutes": "3",
            "overrides-1-source": "", "overrides-1-minutes": ""}
    assert admin.post("/admin/routing/response-times", data=form).status_code == 302
    with in_group(app, GROUP_A) as group:
        site = db.session.execute(select(Site).where(Site.code == "vo-center")).scalar_one()
        assert group.settings["sla_minutes"] == {"VO": 5, "VN": 45, "ATELIER": 90}
        assert group.settings["sla_source_minutes"] == {"lacentrale": 3}
        assert first_contact_deadline(group, "VO", "website", TUESDAY_MORNING, site) == TUESDAY_MORNING + timedelta(minutes=5)
        assert first_contact_deadline(group, "VN", "website", TUESDAY_MORNING, site) == TUESDAY_MORNING + timedelta(minutes=45)
        assert first_contact_deadline(group, "VO", "lacentrale", TUESDAY_MORNING, site) == TUESDAY_MORNING + timedelta(minutes=3)
        assert reassign_after_minutes(group) == 20
        saved = dict(group.settings)
    page = admin.get("/admin/routing").get_data(as_text=True)
    assert 'value="lacentrale"' in page and 'name="overrides-1-source"' in page, "the override and a blank row"

    for wrong in ({"vo": "0"}, {"overrides-1-source": "leboncoin"}, {"overrides-1-source": "lacentrale", "overrides-1-minutes": "4"},
                  {"overrides-1-minutes": "4"}, {"reassign_after": ""}):
        response = admin.post("/admin/routing/response-times", data={**form, **wrong})
        assert response.status_code == 422, wrong
        assert 'class="field-error"' in response.get_data(as_text=True)
    with in_group(app, GROUP_A) as group:
        assert group.settings == saved


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Lead, Contact, LeadEntry, Event, Notification, RoutingOutbox)}


def _outcome(body: str) -> str:
    block = re.search(r'id="dry-outcome">(.*?)</div>', body, re.S)
    assert block, body[:3000]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.group(1)))


FACTS = {"kind": "VO", "brand": "Peugeot", "model": "3008", "source": "website", "postal_code": "69003",
         "language": "fr", "site": ""}


def test_the_dry_run_gives_the_routing_jobs_answer_and_saves_nothing(app, login, client, demo):
    from admin.routing_dry_run import transient_lead

    admin = login("a", "admin")
    with in_group(app, GROUP_A) as group:
        # As in the worker tests: leads pile up on the demo sellers over the suite; keep the cap away.
        db.session.execute(update(User).where(User.role == "seller").values(max_open_leads=10_000),
                           execution_options={"synchronize_session": False})
        db.session.commit()
        before = _counts()
        expected = decide(transient_lead(group, **{k: v for k, v in FACTS.items() if k != "site"}), TUESDAY_MORNING)
        assert expected.outcome == "seller" and expected.site.code == "vo-center"
        seller_name, seller_id = expected.seller.name, expected.seller.user_id
        db.session.rollback()

    response = admin.get("/admin/routing/dry-run", query_string={**FACTS, "at": "2026-12-08T10:30"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    outcome = _outcome(body)
    assert seller_name in outcome and "Centre VO Lyon Est" in outcome
    assert "Occasions (VO) au Centre VO" in body, "the rule that matched"
    assert "mardi 8 décembre 2026, 10:30" in outcome
    with in_group(app, GROUP_A):
        assert _counts() == before, "the dry run wrote nothing"

    # The real routing job, at the same moment and on the same data, picks the same seller.
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        lead_id = post_lead(client, demo, kind="VO", source="website", vehicle={"make": "Peugeot", "model": "3008"},
                            customer={"last_name": "Dry-Run", "email": f"{uuid.uuid4().hex[:10]}@example.fr", "postal_code": "69003"})
        run_worker(app)
    with in_group(app, GROUP_A):
        routed = lead(lead_id)
        assert routed.assignee_id == seller_id, [(entry.kind, entry.body) for entry in routed.entries]


def test_the_dry_run_explains_why_nobody_or_the_cell(app, login):
    admin = login("a", "admin")
    sunday = admin.get("/admin/routing/dry-run", query_string={**FACTS, "at": SUNDAY.strftime("%Y-%m-%dT%H:%M")})
    assert sunday.status_code == 200
    assert "Personne ne le recevrait" in _outcome(sunday.get_data(as_text=True))
    assert "Centre VO Lyon Est" in sunday.get_data(as_text=True)

    admin.post("/admin/routing/mode", data={"routing_mode": "cell_first"})
    cell = admin.get("/admin/routing/dry-run", query_string=FACTS).get_data(as_text=True)
    assert "cellule" in _outcome(cell).lower()

    wrong = admin.get("/admin/routing/dry-run", query_string={**FACTS, "kind": "BOAT", "at": "demain"})
    assert wrong.status_code == 422
    assert 'id="at-error"' in wrong.get_data(as_text=True)


@pytest.mark.parametrize("role", ["manager", "cell", "seller", "call_center"])
def test_only_admins_reach_the_routing_settings(login, role):
    user = login("a", role)
    assert user.get("/admin/routing").status_code == 403
    assert user.get("/admin/routing/dry-run", query_string=FACTS).status_code == 403
    assert user.post("/admin/routing/mode", data={"routing_mode": "direct"}).status_code == 403
    assert user.get("/admin/routing/rules/new").status_code == 403


def test_another_groups_rule_is_not_found(app, login):
    with in_group(app, GROUP_A):
        rule_id = _rule_ids()[0]
    other = login("b", "admin")
    assert other.get(f"/admin/routing/rules/{rule_id}").status_code == 404
    assert other.post(f"/admin/routing/rules/{rule_id}", data=_rule_form(target="cell")).status_code == 404
    assert other.post(f"/admin/routing/rules/{rule_id}/move", data={"direction": "down"}).status_code == 404
    assert other.post(f"/admin/routing/rules/{rule_id}/delete").status_code == 404
    with in_group(app, GROUP_A):
        assert db.session.get(RoutingRule, rule_id) is not None
