"""In a real browser: the steering dashboard on a desktop and on a phone, and its figures moving
live when a lead arrives through the intake API (no reload)."""

from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import PHONE, artifact_path, demo_user, fresh_phone, signed_in_page
from tests.test_steering import add_lead, new_source, site_and_seller

pytestmark = pytest.mark.slow
DESKTOP = {"width": 1280, "height": 800}
WAIT = 20_000  # ms


def open_cockpit(browser, base: str, user: dict, viewport: dict, query: str = ""):
    context, page, problems = signed_in_page(browser, base, user, viewport, console_errors=True)
    page.goto(f"{base}/cockpit{query}")
    # Connected and caught up: the script marks the page live.
    expect(page.locator("body.live")).to_have_count(1, timeout=WAIT)
    return context, page, problems


def test_the_cockpit_on_a_desktop_and_on_a_phone(browser, live_server, app, demo):
    site, seller = site_and_seller(app)
    source = new_source()
    add_lead(app, source, site_id=site, seller_id=seller, actions=("late",), interest="hot")

    context, page, problems = open_cockpit(browser, live_server, demo_user(demo, "a", "admin"), DESKTOP)
    try:
        for group in ("behind", "ahead", "hot"):
            expect(page.locator(f".steering-{group} [data-count='{group}']")).to_be_visible()
        # Three cards side by side at this width.
        tops = [page.locator(f".steering-{group}").bounding_box()["y"] for group in ("behind", "ahead", "hot")]
        assert max(tops) - min(tops) < 2
        expect(page.locator("[data-sellers] tr").first).to_be_visible()
        expect(page.get_by_role("navigation", name="Cockpit").get_by_role("link").first).to_have_attribute(
            "aria-current", "page")
        page.screenshot(path=str(artifact_path("steering-desktop.png")), full_page=True)

        # Every figure opens the deals behind it.
        page.goto(f"{live_server}/cockpit?source={source}")
        expect(page.locator("body.live")).to_have_count(1, timeout=WAIT)
        expect(page.locator("[data-count='action_overdue']")).to_have_text("1")
        page.locator(".steering-behind .steering-parts a").nth(1).click()
        page.wait_for_url("**/cockpit/deals/action_overdue**")
        expect(page.locator("[data-deals] > li[data-lead-id]")).to_have_count(1)
        expect(page.locator("[data-reason='action_overdue']")).to_be_visible()
        page.screenshot(path=str(artifact_path("steering-deals-desktop.png")), full_page=True)
        assert not problems, problems
    finally:
        context.close()

    context, page, problems = open_cockpit(browser, live_server, demo_user(demo, "a", "manager"), PHONE)
    try:
        expect(page.locator("[data-count='behind']").first).to_be_visible()
        # One column, nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        boxes = [page.locator(f".steering-{group}").bounding_box() for group in ("behind", "ahead", "hot")]
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
        page.screenshot(path=str(artifact_path("steering-phone.png")), full_page=True)
        assert not problems, problems
    finally:
        context.close()


def post_lead(base: str, api_key: str, source: str) -> str:
    _spaced, phone = fresh_phone()
    lead = {"kind": "VN", "source": source, "site": "lyon-centre", "brand": "Peugeot",
            "customer": {"first_name": "Live", "last_name": f"Cockpit-{uuid.uuid4().hex[:6]}", "phone": phone},
            "vehicle": {"make": "Peugeot", "model": "308"}, "message": "Un essai cette semaine ?"}
    response = requests.post(base + "/api/v1/leads", json=lead, timeout=10,
                             headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_a_new_lead_moves_the_live_counters(browser, live_server, live_worker, demo):
    source = new_source()
    manager = demo_user(demo, "a", "manager")  # Lyon centre, where the lead is sent
    context, page, problems = open_cockpit(browser, live_server, manager, PHONE, f"?source={source}")
    try:
        expect(page.locator("[data-count='open']")).to_have_text("0")
        page.evaluate("window.__sameDocument = true")  # gone if the page reloaded
        post_lead(live_server, demo["a"]["api_key"], source)
        expect(page.locator("[data-count='open']")).to_have_text("1", timeout=WAIT)
        # Nothing is planned on a lead that just came in: it counts as behind, for that reason.
        expect(page.locator("[data-count='no_action']")).to_have_text("1", timeout=WAIT)
        expect(page.locator(".steering-behind [data-count='behind']")).to_have_text("1")
        expect(page.locator("[data-sellers] tr")).to_have_count(1)
        assert page.evaluate("window.__sameDocument === true"), "the figures moved without a reload"
        expect(page.locator("[data-conn-banner]")).to_be_hidden()
        page.screenshot(path=str(artifact_path("steering-live-phone.png")), full_page=True)
        assert not problems, problems
    finally:
        context.close()
