"""The seller's desk (poste vendeur, SD1/SD2): on a wide screen the home shows the inbox, the opened
lead and the day's agenda side by side, and the lead's forms work inside its pane; narrower screens
keep two columns, and the phone keeps its single column with the agenda under the list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import delete, select

from server.extensions import db
from server.models import Action, Lead, LeadEntry
from tests.conftest import PHONE, artifact_path, demo_user, in_group, sign_in_page
from tests.test_entry import entry, lead_id_of

pytestmark = pytest.mark.slow
GROUP_A = "garage-du-parc"
DESK = {"width": 1440, "height": 900}
WAIT = 20_000  # ms


def box(page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found, f"{selector} is not shown"
    return found


@pytest.fixture
def lead_with_action(app, login):
    """A lead of the seller's own, with an action in the day's agenda (dated first, so it is listed)."""
    data = entry()
    lead_id = lead_id_of(login("a", "seller").post("/leads/new", data=data))
    title = f"Rappel bureau {uuid.uuid4().hex[:6]}"
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        action = Action(type="call", title=title, due_at=datetime(2020, 1, 6, 9, 0, tzinfo=UTC), lead=lead,
                        contact_id=lead.contact_id, user_id=lead.assignee_id)
        db.session.add(action)
        db.session.commit()
        action_id = action.id
    yield lead_id, data["last_name"], title
    with in_group(app, GROUP_A):  # an overdue action left behind would show in others' counts
        db.session.execute(delete(Action).where(Action.id == action_id))
        db.session.commit()


def test_the_desk_shows_inbox_lead_and_agenda_side_by_side(browser, live_server, live_worker, demo, app, token_for,
                                                          lead_with_action):
    lead_id, name, title = lead_with_action
    note = f"Note depuis le poste vendeur {uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport=DESK, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        sign_in_page(page, live_server, demo_user(demo, "a", "seller"))
        expect(page.locator("body.live")).to_have_count(1, timeout=WAIT)  # its socket hears lead.updated
        expect(page.locator(f"#lead-{lead_id}")).to_contain_text(name)
        main, pane, agenda = box(page, ".inbox-main"), box(page, "[data-pane]"), box(page, ".inbox-agenda")
        assert main["x"] + main["width"] <= pane["x"] and pane["x"] + pane["width"] <= agenda["x"], (main, pane, agenda)
        assert max(main["y"], pane["y"], agenda["y"]) - min(main["y"], pane["y"], agenda["y"]) < 40, "one row"
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]

        # The day's agenda opens its lead in the pane, without leaving the inbox.
        page.evaluate("window.__sameDocument = true")
        page.locator(".inbox-agenda li", has_text=title).get_by_role("link").click()
        lead_page = page.locator("[data-pane] [data-lead-page]")
        expect(lead_page.locator("h1")).to_contain_text(name)
        expect(lead_page).to_have_attribute("data-bound", "1")  # the lead page's own module wired its forms
        expect(page.locator(f"#lead-{lead_id}")).to_have_attribute("aria-current", "true")

        # The lead changes elsewhere while the seller types in the pane: the pane shows the change
        # and keeps what was typed.
        note_form = lead_page.locator("form[data-form=note]")
        note_form.locator("textarea[name=body]").fill(note)
        call = requests.post(f"{live_server}/api/v1/leads/{lead_id}/calls", json={"outcome": "no_answer"}, timeout=10,
                             headers={"Authorization": f"Bearer {token_for('a', 'seller')}"})
        assert call.status_code == 201, call.text
        expect(lead_page.locator("[data-timeline]")).to_contain_text("Pas de réponse", timeout=WAIT)
        expect(note_form.locator("textarea[name=body]")).to_have_value(note)

        # The note from the pane reaches the lead; the pane shows it (its form empty), the page stays.
        note_form.locator("button[type=submit]").click()
        expect(lead_page.locator("[data-timeline]")).to_contain_text(note, timeout=WAIT)
        expect(note_form.locator("textarea[name=body]")).to_have_value("")
        assert page.evaluate("window.__sameDocument === true") and page.url.endswith("/home")
        with in_group(app, GROUP_A):
            bodies = db.session.execute(select(LeadEntry.body).where(LeadEntry.lead_id == lead_id,
                                                                     LeadEntry.kind == "note")).scalars().all()
        assert bodies == [note]
        page.screenshot(path=str(artifact_path("desk-1440.png")))

        # Narrower: two columns, the agenda under the inbox.
        page.set_viewport_size({"width": 1100, "height": 900})
        main, pane, agenda = box(page, ".inbox-main"), box(page, "[data-pane]"), box(page, ".inbox-agenda")
        assert agenda["x"] == main["x"] and agenda["y"] >= main["y"] + main["height"] - 1
        assert main["x"] + main["width"] <= pane["x"]
        page.screenshot(path=str(artifact_path("desk-1100.png")))

        # A phone: one column, no pane, the agenda after the list.
        page.set_viewport_size(PHONE)
        expect(page.locator("[data-pane]")).to_be_hidden()
        main, agenda = box(page, ".inbox-main"), box(page, ".inbox-agenda")
        assert agenda["y"] >= main["y"] + main["height"] - 1 and agenda["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifact_path("desk-phone.png")), full_page=True)
        assert not problems, problems
    finally:
        context.close()
