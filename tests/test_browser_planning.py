"""In a real browser: a manager plans an absence in the shared planning; an admin runs a dry run.

Screenshots (test-artifacts/): planning-desktop.png, planning-phone.png, routing-dry-run.png and
routing-dry-run-phone.png.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete

from server.extensions import db
from server.models import PlanningException, utcnow
from tests.conftest import PHONE, artifact_path, demo_user, in_group, sign_in_page
from tests.routing_helpers import PARIS

pytestmark = pytest.mark.slow
DESKTOP = {"width": 1280, "height": 800}
GROUP_A = "garage-du-parc"
NOTE = "Rendez-vous médical (test navigateur)"




def _this_weeks(weekday: int) -> date:
    today = utcnow().astimezone(PARIS).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=weekday)


def test_a_manager_adds_an_absence_and_sees_it_in_the_week(browser, live_server, demo, app):
    manager = demo_user(demo, "a", "manager")  # Isabelle Garnier, Lyon Centre
    thursday = _this_weeks(3)  # Julien Moreau works on Thursdays (his day off is Wednesday)
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in_page(page, live_server, manager)
        page.get_by_role("link", name="Administration").click()
        page.get_by_role("link", name="Planning").click()
        assert page.get_by_role("heading", name="Planning · Lyon Centre").is_visible()
        grid = page.locator(".week-table")
        assert grid.is_visible(), "days as columns on a desktop"
        assert not page.locator(".week-days").is_visible()

        form = page.locator("#add-absence")
        form.get_by_label("Personne").select_option(label="Julien Moreau")
        form.get_by_text("Absence", exact=True).click()
        form.get_by_label("De", exact=True).fill(f"{thursday.isoformat()}T14:00")
        form.get_by_label("À", exact=True).fill(f"{thursday.isoformat()}T19:00")
        form.get_by_label("Note").fill(NOTE)
        form.get_by_role("button", name="Ajouter").click()
        page.wait_for_load_state()

        assert page.get_by_role("status").filter(has_text="Julien Moreau").is_visible()
        row = grid.locator("tbody tr").filter(has_text="Julien Moreau")
        cell = row.locator("td").nth(3)
        assert "Absent 14:00–19:00" in cell.inner_text()
        assert "09:00–12:00" in cell.inner_text(), "the morning shift stays"
        assert page.locator("#exceptions").get_by_text(NOTE).is_visible()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifact_path("planning-desktop.png")), full_page=True)

        page.set_viewport_size(PHONE)
        assert page.locator(".week-days").is_visible(), "a day-by-day list on a phone"
        assert not grid.is_visible()
        day = page.locator(".day-card").nth(3)
        assert "Absent 14:00–19:00" in day.locator("li").filter(has_text="Julien Moreau").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        page.screenshot(path=str(artifact_path("planning-phone.png")))
    finally:
        context.close()
        with in_group(app, GROUP_A):
            db.session.execute(delete(PlanningException).where(PlanningException.note == NOTE))
            db.session.commit()


def test_an_admin_asks_where_a_lead_would_go(browser, live_server, demo):
    admin = demo_user(demo, "a", "admin")
    tuesday = _this_weeks(1) + timedelta(days=7)  # next Tuesday, in opening hours
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in_page(page, live_server, admin)
        page.goto(live_server + "/admin/routing")
        dry = page.locator("#dry-run")
        assert dry.get_by_role("heading", name="Où irait ce lead maintenant ?").is_visible()
        dry.get_by_text("Véhicule neuf", exact=True).click()
        dry.get_by_label("Marque").fill("Renault")
        dry.get_by_label("Modèle").fill("Clio")
        dry.get_by_label("Source").fill("website")
        dry.get_by_label("Code postal").fill("69100")
        dry.get_by_label("Quand").fill(f"{tuesday.isoformat()}T10:30")
        dry.get_by_role("button", name="Essayer").click()
        page.wait_for_url("**/admin/routing/dry-run?**")

        verdict = page.locator("#dry-outcome")
        assert "irait à" in verdict.inner_text().lower() and "Villeurbanne" in verdict.inner_text()
        assert page.locator(".trace-failed").filter(has_text="Occasions (VO) au Centre VO").is_visible()
        assert page.locator(".trace-matched").filter(has_text="Renault et Dacia à Villeurbanne").is_visible()
        chosen = page.locator(".duty-table tr.chosen")
        assert chosen.count() == 1 and chosen.locator("th").inner_text() in verdict.inner_text()
        # The section under the sticky top bar, as the admin sees it after "Essayer".
        page.evaluate("window.scrollTo(0, document.querySelector('#dry-run').getBoundingClientRect().top + scrollY - 64)")
        page.screenshot(path=str(artifact_path("routing-dry-run.png")))

        phone = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
        small = phone.new_page()
        sign_in_page(small, live_server, admin)
        small.goto(page.url)
        small.wait_for_load_state("load")
        top = small.evaluate("document.querySelector('#dry-outcome').getBoundingClientRect().top")
        assert 0 <= top < 200, "on a phone the answer is brought into view"
        assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        small.screenshot(path=str(artifact_path("routing-dry-run-phone.png")))
        phone.close()
    finally:
        context.close()
