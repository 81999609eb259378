"""In real browsers: a lead reaches the right seller's phone live, is acknowledged and called; the
cell sees waiting leads on a desktop and hands one over through the transfer panel, to a phone that
is offline at that moment and catches up when its network comes back.

Routing is made deterministic whatever the time of day: seller A gets an extra duty at the used-car
centre and every other seller of that site an absence, for an hour either side of now.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import delete, select, update

from server.extensions import db
from server.models import DealerGroup, Lead, PlanningException, Site, User, utcnow
from tests.conftest import (
    PHONE,
    artifact_path,
    demo_user,
    fresh_phone,
    in_group,
    signed_in_page,
)

pytestmark = pytest.mark.slow
DESKTOP = {"width": 1280, "height": 800}
GROUP_A = "garage-du-parc"
SITE = "vo-center"  # the demo's rules send used-car (VO) leads there
WAIT = 20_000  # ms: a real worker routes the lead, then the server pushes it


def sign_in(browser, base: str, user: dict, viewport: dict):
    context, page, problems = signed_in_page(browser, base, user, viewport)
    # Connected and caught up: the page marks itself live (and the banner stays hidden).
    expect(page.locator("body.live")).to_have_count(1, timeout=WAIT)
    return context, page, problems


def post_lead(base: str, api_key: str, **fields) -> tuple[str, str]:
    name = f"Direct-{uuid.uuid4().hex[:6]}"
    phone, _e164 = fresh_phone()
    lead = {"kind": "VO", "source": "leboncoin", "customer": {"first_name": "Alex", "last_name": name, "phone": phone,
            "email": f"{name.lower()}@example.fr"}, "vehicle": {"make": "Peugeot", "model": "3008", "year": 2021},
            "message": "Toujours disponible ? Je peux passer samedi.", **fields}
    response = requests.post(base + "/api/v1/leads", json=lead, timeout=10,
                             headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 202, response.text
    return response.json()["id"], name


@pytest.fixture
def only_a_on_duty(app, demo):
    """(seller A, seller B) of the used-car centre; only A is on duty there, now."""
    now = utcnow()
    with in_group(app, GROUP_A):
        site = db.session.execute(select(Site).where(Site.code == SITE)).scalar_one()
        sellers = [u for u in db.session.execute(select(User).where(User.role == "seller", User.active)
                                                 .order_by(User.id)).scalars() if site.id in u.site_ids]
        seller_a, others = sellers[0], sellers[1:]
        assert others, "the demo's used-car centre has two sellers"
        span = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1)}
        rows = [PlanningException(user_id=seller_a.id, kind="extra", site_id=site.id, **span)]
        rows += [PlanningException(user_id=u.id, kind="absence", **span) for u in others]
        db.session.add_all(rows)
        saved_limit = seller_a.max_open_leads
        seller_a.max_open_leads = 10_000  # leads pile up over the suite; routing must not skip A for it
        db.session.commit()
        ids, a_id, a_email, b_email = [r.id for r in rows], seller_a.id, seller_a.email, others[0].email
    users = {u["email"]: u for u in demo["a"]["users"]}
    yield users[a_email] | {"id": a_id}, users[b_email]
    with in_group(app, GROUP_A):
        db.session.execute(delete(PlanningException).where(PlanningException.id.in_(ids)))
        db.session.execute(update(User).where(User.id == a_id).values(max_open_leads=saved_limit))
        db.session.execute(update(DealerGroup).where(DealerGroup.slug == GROUP_A).values(routing_mode="direct"))
        db.session.commit()


def lead_row(app, lead_id: str) -> SimpleNamespace:
    """The lead as the database has it now, with the outcomes of its calls."""
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, int(lead_id))
        return SimpleNamespace(
            assignee_id=lead.assignee_id, status=lead.status, displayed_at=lead.displayed_at,
            acknowledged_at=lead.acknowledged_at, first_contact_at=lead.first_contact_at,
            calls=[entry.data.get("outcome") for entry in lead.entries if entry.kind == "call"],
        )


def test_a_lead_reaches_the_right_sellers_phone_live(browser, live_server, live_worker, demo, app, only_a_on_duty):
    seller_a, seller_b = only_a_on_duty
    context_a, page_a, problems_a = sign_in(browser, live_server, seller_a, PHONE)
    context_b, page_b, problems_b = sign_in(browser, live_server, seller_b, PHONE)
    try:
        page_a.evaluate("window.__sameDocument = true")  # gone if the page reloaded
        lead_id, name = post_lead(live_server, demo["a"]["api_key"])

        card = page_a.locator(f'[data-lead-id="{lead_id}"]')
        try:
            expect(card).to_be_visible(timeout=WAIT)
        except AssertionError:  # say whether routing or the push failed
            raise AssertionError(f"lead not shown; in the database: {lead_row(app, lead_id)}") from None
        expect(card).to_contain_text(name)
        assert page_a.evaluate("window.__sameDocument === true"), "the lead arrived without a reload"
        assert page_a.locator("[data-list] > li").first.get_attribute("data-lead-id") == lead_id, "new leads go on top"
        expect(card.locator("[data-clock]")).to_contain_text("reste")
        expect(card.locator('a[href^="tel:+33"]')).to_have_count(1)
        expect(page_a.locator("[data-conn-banner]")).to_be_hidden()
        assert lead_row(app, lead_id).assignee_id == seller_a["id"]

        # On screen (BX5), then acknowledged: the button goes, the database knows.
        ack = card.get_by_role("button", name="Prendre en charge")
        ack.click()
        expect(ack).to_have_count(0)
        lead = lead_row(app, lead_id)
        assert lead.acknowledged_at is not None and lead.displayed_at is not None and lead.status == "in_progress"

        # The call: the outcome picker, "no answer"; the clock stops at the first contact.
        card.get_by_role("button", name="Noter un appel").click()
        card.get_by_role("button", name="Pas de réponse").click()
        expect(page_a.locator("[data-note]")).to_have_text("Appel enregistré.")
        expect(card.locator(".clock-done")).to_be_visible()
        lead = lead_row(app, lead_id)
        assert lead.first_contact_at is not None and lead.calls == ["no_answer"]
        page_a.screenshot(path=str(artifact_path("inbox-seller-phone.png")))

        # Seller B, on duty elsewhere or not at all, never saw it.
        expect(page_b.locator(f'[data-lead-id="{lead_id}"]')).to_have_count(0)
        assert name not in page_b.content()
        expect(page_b.locator("[data-conn-banner]")).to_be_hidden()
        assert not problems_a and not problems_b, problems_a + problems_b

        # The cell, on a desktop: waiting leads, the transfer panel; a lead handed to A appears on A's phone.
        with in_group(app, GROUP_A):
            db.session.execute(update(DealerGroup).where(DealerGroup.slug == GROUP_A).values(routing_mode="cell_first"))
            db.session.commit()
        context_c, page_c, problems_c = sign_in(browser, live_server, demo_user(demo, "a", "cell"), DESKTOP)
        try:
            waiting_id, _name = post_lead(live_server, demo["a"]["api_key"], source="lacentrale", site=SITE)
            waiting = page_c.locator(f'[data-lead-id="{waiting_id}"]')
            expect(waiting).to_be_visible(timeout=WAIT)
            assert page_c.locator("[data-list] > li").count() > 1
            waiting.get_by_role("button", name="Transférer").click()
            panel = page_c.locator("[data-transfer-panel]")
            radio = f'input[name="user_id"][value="{seller_a["id"]}"]'
            choice = panel.locator(radio)
            expect(choice).to_have_count(1)
            expect(panel.locator(".seller-choice", has=page_c.locator(radio))).to_contain_text("De service")
            choice.check(force=True)  # the radio is drawn by its label
            panel.get_by_role("button", name="Transférer").click()
            expect(panel.locator("[data-transfer-error]")).to_be_visible()  # no reason given yet
            panel.get_by_label("Raison").fill("Client habitué du Centre VO")
            expect(panel.locator("[data-transfer-error]")).to_be_hidden()
            page_c.screenshot(path=str(artifact_path("inbox-cell-desktop.png")))

            # A's phone loses the network (nothing stops on the server) while the cell hands the lead
            # over: the banner says so, and on reconnection the page catches up with what it missed.
            context_a.set_offline(True)
            expect(page_a.locator("[data-conn-banner]")).to_be_visible(timeout=WAIT)
            expect(page_a.locator("[data-conn-banner]")).to_have_text("Connexion perdue — reconnexion…")
            panel.get_by_role("button", name="Transférer").click()
            expect(waiting).to_have_count(0)
            context_a.set_offline(False)
            expect(page_a.locator(f'[data-lead-id="{waiting_id}"]')).to_be_visible(timeout=WAIT)
            expect(page_a.locator("[data-conn-banner]")).to_be_hidden(timeout=WAIT)
            assert lead_row(app, waiting_id).assignee_id == seller_a["id"]
            assert not problems_c, problems_c
        finally:
            context_c.close()
    finally:
        context_a.close()
        context_b.close()
