"""A used-car alert in real browsers: a seller saves one from the customer file on the phone; when a
manager adds a matching VO to stock on a desktop, the seller's inbox shows it live, without reload."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.models import Notification, User
from tests.conftest import PHONE, artifact_path, demo_user, demo_user_id, in_group, sign_in_page
from tests.test_browser_inbox import GROUP_A, WAIT, sign_in
from tests.test_vo_alerts import customer_with_lead

pytestmark = pytest.mark.slow


def test_a_matching_vo_reaches_the_sellers_inbox_live(browser, live_server, live_worker, demo, app):
    make = f"Alfa{uuid.uuid4().hex[:5]}"
    seller = demo_user(demo, "a", "seller")
    contact_id, lead_id = customer_with_lead(app, GROUP_A, demo_user_id(app, demo, "a", "seller"))
    context, page, problems = sign_in(browser, live_server, seller, PHONE)
    page.on("console", lambda m: problems.append("console: " + m.text) if m.type == "error" else None)
    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    try:
        # The alert, saved from the customer file on the phone.
        page.goto(f"{live_server}/customers/{contact_id}")
        page.get_by_text("Alerte VO pour ce client").click()
        form = page.locator("form.alert-form")
        form.locator("#alert-make").fill(make)
        form.locator("#alert-price").fill("25000")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"{live_server}/home")
        expect(page.locator("body.live")).to_have_count(1, timeout=WAIT)
        page.evaluate("window.__sameDocument = true")

        # A manager adds a matching used car to stock through the stock form.
        manager = demo_user(demo, "a", "manager")
        with in_group(app, GROUP_A):
            site_id = sorted(db.session.execute(select(User).where(User.email == manager["email"])).scalar_one().site_ids)[0]
        manager_page = desk.new_page()
        sign_in_page(manager_page, live_server, manager)
        manager_page.goto(f"{live_server}/stock/new")
        manager_page.locator("#kind").select_option("VO")
        manager_page.locator("#site_id").select_option(str(site_id))
        for name, value in (("stock_ref", f"VO-{make}"), ("make", make), ("model", "Giulietta"), ("year", "2020"),
                            ("mileage_km", "41000"), ("price_eur", "18900")):
            manager_page.locator(f"#{name}").fill(value)
        manager_page.locator("main form button[type=submit]").click()
        manager_page.wait_for_url("**/stock/*")

        alert = page.locator("[data-vo-alert-list] li", has_text=make)
        expect(alert).to_be_visible(timeout=WAIT)
        expect(alert).to_contain_text("41000 km")
        assert page.evaluate("window.__sameDocument === true"), "the alert arrived without a reload"
        page.screenshot(path=str(artifact_path("vo-alert-phone.png")), full_page=True)
        assert not problems, problems
        with in_group(app, GROUP_A):
            fired = [n for n in db.session.execute(select(Notification).where(Notification.kind == "vo_alert")).scalars()
                     if n.data.get("vehicle", {}).get("make") == make]
            # Saved for the customer (the form's default), it is told along with the customer's lead.
            assert len(fired) == 1 and fired[0].lead_id is None
        assert alert.locator(f'a[href="/leads/{lead_id}"]').count() == 1
        # And it stays listed after a reload, until read.
        page.reload()
        expect(page.locator("[data-vo-alert-list] li", has_text=make)).to_be_visible()
    finally:
        desk.close()
        context.close()
