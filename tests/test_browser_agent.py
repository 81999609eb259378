"""In a real browser: the call-center agent qualifies a call on a desktop, and the screen holds on a phone.

The same file drives direct entry on a seller's phone (home -> "Nouveau lead" -> save), the other
screen of these packages that only a browser can prove.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import exists, select

from server.extensions import db
from server.intake.normalize import display_phone
from server.models import Contact, Lead, StockVehicle, User
from server.models.lead import OPEN_STATUSES
from tests.conftest import PHONE, artifact_path, demo_user, fresh_phone, in_group, sign_in_page

pytestmark = pytest.mark.slow
DESKTOP = {"width": 1280, "height": 800}
GROUP_A = "garage-du-parc"




def _caller_and_vehicle(app) -> tuple[Contact, StockVehicle]:
    """A demo customer with a phone and no open used-car lead (so the call makes a new one)."""
    with in_group(app, GROUP_A):
        open_vo = exists().where(Lead.contact_id == Contact.id, Lead.kind == "VO", Lead.status.in_(OPEN_STATUSES))
        contact = db.session.execute(
            select(Contact).where(Contact.phone.like("+336%"), Contact.last_name != "", ~open_vo).order_by(Contact.id)
        ).scalars().first()
        vehicle = db.session.execute(
            select(StockVehicle).where(StockVehicle.kind == "VO", StockVehicle.status == "available")
            .order_by(StockVehicle.id)
        ).scalars().first()
        db.session.expunge_all()
        return contact, vehicle


def test_an_agent_qualifies_an_inbound_call(browser, live_server, demo, app):
    agent = demo_user(demo, "a", "call_center")
    contact, vehicle = _caller_and_vehicle(app)
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        sign_in_page(page, live_server, agent)
        page.goto(live_server + "/widget/agent")
        assert page.get_by_role("heading", name="Appel entrant").is_visible()
        phone = page.get_by_label("Téléphone")
        assert phone.evaluate("node => node === document.activeElement"), "the phone field has the focus"

        page.keyboard.type(display_phone(contact.phone), delay=20)
        suggestion = page.locator("#a-phone-list [role=option]").filter(has_text=contact.last_name)
        suggestion.wait_for()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        assert page.get_by_label("Nom", exact=True).input_value() == contact.last_name
        assert page.locator("#known-customer").is_visible()

        page.get_by_text("Occasion", exact=True).click()
        stock = page.get_by_label("Véhicule en stock")
        stock.fill(vehicle.stock_ref)
        page.locator("#a-stock-list [role=option]").filter(has_text=vehicle.stock_ref).click()
        assert vehicle.stock_ref in page.locator("#picked-vehicle").inner_text()
        page.get_by_text("le matin", exact=True).click()
        page.get_by_text("Urgent", exact=True).click()
        page.get_by_label("Délai d’achat").select_option("within_1_month")
        page.get_by_label("Notes").fill("Souhaite un essai samedi")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifact_path("agent-desktop.png")))
        assert page.evaluate("document.querySelector('#agent-send').getBoundingClientRect().bottom") <= DESKTOP["height"], \
            "a whole call fits on one desktop screen"

        page.get_by_label("Notes").press("Enter")
        status = page.locator("#agent-status.ok")
        status.wait_for()
        assert contact.last_name in status.inner_text()
        row = page.locator("#agent-leads tr").filter(has_text=contact.last_name).first
        row.wait_for()
        assert row.locator(".badge").first.inner_text() in {"En attente", "Attribué", "En cours"}
        assert vehicle.make in row.inner_text()
        assert phone.evaluate("node => node === document.activeElement"), "ready for the next call"
        assert phone.input_value() == "", "the form is cleared for the next call"
        page.screenshot(path=str(artifact_path("agent-desktop-sent.png")), full_page=True)
        assert problems == [], "no script error and no Content-Security-Policy violation"

        with in_group(app, GROUP_A):
            agent_id = db.session.execute(select(User.id).where(User.email == agent["email"])).scalar_one()
            lead = db.session.execute(
                select(Lead).where(Lead.contact_id == contact.id, Lead.created_by_id == agent_id)
                .order_by(Lead.id.desc())
            ).scalars().first()
            assert lead is not None
            assert (lead.channel, lead.source, lead.kind, lead.interest) == ("call_center", "call_center", "VO", "hot")
            assert lead.stock_vehicle_id == vehicle.id and lead.timeframe == "within_1_month"
            assert lead.message == "Souhaite un essai samedi\n\nRappel souhaité : le matin"
    finally:
        context.close()


def test_the_agent_screen_on_a_phone(browser, live_server, demo, app):
    agent = demo_user(demo, "a", "call_center")
    contact, _vehicle = _caller_and_vehicle(app)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in_page(page, live_server, agent)
        page.goto(live_server + "/widget/agent")
        page.get_by_label("Téléphone").fill(display_phone(contact.phone)[:8])
        page.locator("#a-phone-list [role=option]").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifact_path("agent-phone.png")))
        page.screenshot(path=str(artifact_path("agent-phone-full.png")), full_page=True)
    finally:
        context.close()


def test_a_seller_enters_a_lead_from_the_phone_home_page(browser, live_server, demo, app):
    seller = demo_user(demo, "a", "seller")
    typed, e164 = fresh_phone()
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in_page(page, live_server, seller)
        page.screenshot(path=str(artifact_path("seller-home-new-lead-phone.png")))
        page.get_by_role("link", name="Nouveau lead").tap()
        page.wait_for_url("**/leads/new")
        page.get_by_text("Salon", exact=True).tap()
        page.get_by_label("Prénom").fill("Léa")
        page.get_by_label("Nom", exact=True).fill("Navigateur")
        page.locator("#phone").fill(typed)
        page.get_by_text("Prêt à acheter").tap()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifact_path("entry-phone.png")))
        page.locator("summary").filter(has_text="Véhicule actuel").tap()
        page.get_by_label("Marque").last.fill("Citroën")
        page.get_by_label("Modèle").last.fill("C3")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifact_path("entry-phone-full.png")), full_page=True)
        page.get_by_role("button", name="Enregistrer le lead").tap()
        page.wait_for_url(re.compile(r"/leads/\d+$"))
        # The page's message (the top bar's offline-queue count is a status region too).
        assert "Il vous est attribué" in page.locator(".flash[role=status]").first.inner_text()
        page.screenshot(path=str(artifact_path("entry-phone-saved.png")))
        with in_group(app, GROUP_A):
            lead = db.session.execute(select(Lead).join(Contact).where(Contact.phone == e164)).scalar_one()
            assert (lead.channel, lead.source, lead.interest, lead.assignee.email) == ("direct", "salon", "hot", seller["email"])
            assert lead.trade_in.model == "C3"
    finally:
        context.close()
