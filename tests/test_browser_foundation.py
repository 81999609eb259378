"""In a real browser, at phone size: a seller signs in and gets the French home page."""

from __future__ import annotations

import pytest

from tests.conftest import PHONE, artifact_path, demo_user

pytestmark = pytest.mark.slow


def test_seller_signs_in_on_a_phone(browser, live_server, demo):
    seller = demo_user(demo, "a", "seller")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        assert page.url.endswith("/login?next=%2Fhome") or "/login" in page.url
        assert page.locator("h1").inner_text() == "Se connecter"
        page.get_by_label("E-mail").fill(seller["email"])
        page.get_by_label("Mot de passe").fill(seller["password"])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/home")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("heading", name="Mes leads").is_visible()
        assert page.locator(".lead-row").count() > 0, "the demo seller has open leads"
        # Nothing wider than the phone: no sideways scrolling on the home page.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifact_path("seller-home-phone.png")))
        page.screenshot(path=str(artifact_path("seller-home-phone-full.png")), full_page=True)
    finally:
        context.close()


def test_wrong_password_is_told_in_french(browser, live_server, demo):
    seller = demo_user(demo, "a", "seller")
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.get_by_label("E-mail").fill(seller["email"])
        page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
        page.get_by_role("button", name="Se connecter").click()
        assert page.get_by_role("alert").inner_text() == "E-mail ou mot de passe incorrect."
    finally:
        context.close()
