"""A seller's day on a phone (390×844), in a real browser against the real server and worker: a lead
arrives live, is acknowledged and called, goes to the test-drive stage, gets a follow-up that shows in
the agenda, and is closed as abandoned with a reason. Screenshots of each step are kept.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Action, Lead, LeadEntry, utcnow
from tests import test_browser_inbox
from tests.conftest import PHONE, artifact_path, in_group
from tests.test_browser_inbox import GROUP_A, WAIT, post_lead, sign_in

pytestmark = pytest.mark.slow
only_a_on_duty = test_browser_inbox.only_a_on_duty  # the fixture: seller A alone on duty at the VO centre


def shot(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name}: no sideways scroll"
    page.screenshot(path=str(artifact_path(f"seller-day-{name}.png")), full_page=True)


def test_a_sellers_day_on_the_phone(browser, live_server, live_worker, demo, app, only_a_on_duty):
    seller, _other = only_a_on_duty
    context, page, problems = sign_in(browser, live_server, seller, PHONE)
    try:
        lead_id, name = post_lead(live_server, demo["a"]["api_key"], timeframe="within_1_month", financing=True)
        card = page.locator(f'[data-lead-id="{lead_id}"]')
        expect(card).to_be_visible(timeout=WAIT)
        shot(page, "1-arrived")

        card.get_by_role("button", name="Prendre en charge").click()
        expect(card.get_by_role("button", name="Prendre en charge")).to_have_count(0)
        card.get_by_role("button", name="Noter un appel").click()
        card.get_by_role("button", name="Client joint", exact=True).click()
        expect(page.locator("[data-note]")).to_have_text("Appel enregistré.")
        shot(page, "2-called")

        # The lead page: the score and its reasons, and a prompt for the next action.
        page.goto(f"{live_server}/leads/{lead_id}")
        assert 0 <= int(page.locator("[data-score]").inner_text()) <= 100
        expect(page.locator(".score-factors li")).to_have_count(3)
        expect(page.locator("[data-next-action-prompt]")).to_be_visible()
        page.get_by_label("Étape", exact=True).select_option("test_drive")
        page.get_by_role("button", name="Enregistrer la progression").click()
        expect(page.locator("[data-lead-stage]")).to_have_text("Essai")
        shot(page, "3-test-drive")

        # A follow-up two days ahead at 10:00 local time, then the agenda of that day shows it.
        tz = demo_tz(app)
        day = (utcnow().astimezone(tz) + timedelta(days=2)).date()
        page.get_by_label("Titre").fill("Rappeler après l'essai")
        page.get_by_label("Quand").fill(f"{day.isoformat()}T10:00")
        page.get_by_role("button", name="Planifier", exact=True).click()
        expect(page.locator(".next-action")).to_contain_text("Rappeler après l'essai")
        expect(page.locator("[data-next-action-prompt]")).to_have_count(0)
        page.goto(f"{live_server}/actions/agenda?view=day&date={day.isoformat()}")
        expect(page.get_by_text("Rappeler après l'essai")).to_be_visible()
        shot(page, "4-agenda")

        # Closing as abandoned: the reason is required, then the lead is closed and can be reopened.
        page.goto(f"{live_server}/leads/{lead_id}")
        page.get_by_text("Commande ou abandon…").click()
        page.locator("label.choice", has_text="Abandonné").click()
        page.get_by_role("button", name="Clore le lead").click()
        expect(page.locator('[data-form="close"] [data-error-for="reason"]')).to_be_visible()
        page.get_by_label("Pourquoi ?").select_option("postponed")
        page.get_by_role("button", name="Clore le lead").click()
        expect(page.locator("[data-lead-status]")).to_have_text("Perdu")
        expect(page.get_by_role("button", name="Rouvrir le lead")).to_be_visible()
        shot(page, "5-closed")
        assert not problems, problems

        with in_group(app, GROUP_A):
            lead = db.session.get(Lead, int(lead_id))
            assert (lead.status, lead.stage, lead.close_reason) == ("lost", "abandoned", "postponed")
            kinds = [e.kind for e in db.session.execute(
                select(LeadEntry).where(LeadEntry.lead_id == lead.id).order_by(LeadEntry.id)).scalars()]
            assert kinds.index("acknowledged") < kinds.index("call") < kinds.index("stage") < kinds.index("closed")
            follow_up = db.session.execute(select(Action).where(Action.lead_id == lead.id)).scalar_one()
            assert (follow_up.title, follow_up.outcome) == ("Rappeler après l'essai", "cancelled")
    finally:
        context.close()


def demo_tz(app):
    with in_group(app, GROUP_A) as group:
        return group.tz
