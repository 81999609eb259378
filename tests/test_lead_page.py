"""The lead page without script: its forms post to the page and come back with a message or their
errors; the same rules as the API apply (see test_lead_workflow.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Action, Lead, LeadEntry
from tests.conftest import demo_user_id, fresh_phone, in_group
from tests.routing_helpers import post_lead

A = "garage-du-parc"


@pytest.fixture
def lead_id(app, client, demo, login) -> int:
    with in_group(app, A) as group:
        group.routing_mode = "cell_first"
        db.session.commit()
    try:
        lead = post_lead(client, demo, kind="VN", timeframe="within_1_month", customer={"last_name": "Page", "phone": fresh_phone()[0]})
    finally:
        with in_group(app, A) as group:
            group.routing_mode = "direct"
            db.session.commit()
    seller = demo_user_id(app, demo, "a", "seller")
    assert login("a", "cell").post(f"/api/v1/leads/{lead}/assign", json={"user_id": seller, "reason": "Test."}).status_code == 200
    return lead


def kinds(app, lead: int) -> list[str]:
    with in_group(app, A):
        return list(db.session.execute(
            select(LeadEntry.kind).where(LeadEntry.lead_id == lead).order_by(LeadEntry.id)).scalars())


def test_the_page_shows_the_score_and_asks_for_a_next_action(lead_id, login):
    page = login("a", "seller").get(f"/leads/{lead_id}").get_data(as_text=True)
    score = re.search(r'data-score>(\d+)<', page)
    assert score and 0 <= int(score.group(1)) <= 100
    assert len(re.findall(r'<span class="points">[+-]\d+</span>', page)) == 3
    assert "data-next-action-prompt" in page and "Aucune prochaine action n’est prévue." in page
    for form in ("call", "qualify", "note", "trade-in", "close"):
        assert f'action="/leads/{lead_id}/{form}"' in page, form
    assert f'action="/leads/{lead_id}/reopen"' not in page


def test_a_note_and_a_stage_from_the_page(app, lead_id, login):
    seller = login("a", "seller")
    empty = seller.post(f"/leads/{lead_id}/note", data={"body": ""})
    assert empty.status_code == 422 and 'data-error-for="body"' in empty.get_data(as_text=True)
    assert seller.post(f"/leads/{lead_id}/note", data={"body": "Rappel demandé"}).status_code == 302
    assert seller.post(f"/leads/{lead_id}/qualify", data={"stage": "appointment", "interest": "warm"}).status_code == 302
    assert kinds(app, lead_id)[-2:] == ["note", "stage"]
    with in_group(app, A):
        assert db.session.get(Lead, lead_id).stage == "appointment"


def test_a_call_back_from_the_page_plans_the_call_in_local_time(app, lead_id, login):
    seller = login("a", "seller")
    assert seller.post(f"/leads/{lead_id}/call", data={"outcome": "call_back", "call_back_at": "2031-05-06T18:30"}).status_code == 302
    with in_group(app, A) as group:
        action = db.session.execute(select(Action).where(Action.lead_id == lead_id)).scalar_one()
        assert action.due_at.astimezone(group.tz).strftime("%Y-%m-%d %H:%M") == "2031-05-06 18:30"
    bad = seller.post(f"/leads/{lead_id}/call", data={"outcome": "call_back", "call_back_at": ""})
    assert bad.status_code == 422


def test_closing_from_the_page_needs_a_reason_then_reopening_is_offered(app, lead_id, login):
    seller = login("a", "seller")
    refused = seller.post(f"/leads/{lead_id}/close", data={"outcome": "abandoned", "reason": ""})
    assert refused.status_code == 422
    assert re.search(r'data-error-for="reason"\s*>\S', refused.get_data(as_text=True))
    assert seller.post(f"/leads/{lead_id}/close", data={"outcome": "abandoned", "reason": "postponed"}).status_code == 302
    page = seller.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert f'action="/leads/{lead_id}/reopen"' in page and "Projet reporté" in page
    assert "data-next-action-prompt" not in page  # a closed lead needs no next action
    assert seller.post(f"/leads/{lead_id}/reopen", data={"note": ""}).status_code == 302
    assert kinds(app, lead_id)[-2:] == ["closed", "reopened"]


def test_someone_who_cannot_work_the_lead_is_refused(lead_id, login):
    other_seller = login("a", "seller", 1)
    assert other_seller.get(f"/leads/{lead_id}").status_code == 404
    assert other_seller.post(f"/leads/{lead_id}/qualify", data={"stage": "contacted"}).status_code == 404
    assert login("b", "admin").post(f"/leads/{lead_id}/close", data={"outcome": "order"}).status_code == 404
