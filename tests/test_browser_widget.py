"""The widget on a dealer's page, in headless Chromium: the CONTRACT snippet, another origin.

The dealer's page is served by a small stdlib HTTP server on its own origin (localhost:<port>,
allowed by the demo key; 127.0.0.2:<port>, not allowed) with hostile CSS; the widget comes from
the live eSeller server (127.0.0.1:<port>) and posts to its intake API across origins.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Contact, Lead
from tests.conftest import PHONE, artifact_path, free_port, fresh_phone, in_group

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1280, "height": 900}
PENDING = "eseller:pending:"
HOSTILE_CSS = """
body * { color: red !important; font-size: 40px !important; display: block; font-family: "Comic Sans MS", cursive !important;
         letter-spacing: 4px !important; text-transform: uppercase !important; line-height: 3 !important; }
input, select, textarea, button { display: none !important; }
div { border: 3px dashed orange; padding: 20px; margin: 10px; }
.es-card, .es-title, .es-submit { background: black !important; border-radius: 0 !important; }
h1, p { overflow-wrap: anywhere; }
"""


def page_html(server: str, key: str, body: str, lang: str = "fr", head: str = "") -> str:
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Garage du Parc</title><style>{HOSTILE_CSS}</style>{head}</head>
<body>
<h1>Peugeot 3008 d'occasion</h1>
<p class="es-card" id="outside">Texte de la page du concessionnaire.</p>
{body}
<script async src="{server}/widget/v1/loader.js" data-key="{key}"></script>
</body></html>"""


@contextmanager
def dealer_site(host: str, pages: dict[str, str]) -> Iterator[str]:
    """Serve `pages` ({path: html}) on http://<host>:<free port>; yields the origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            html = pages.get(self.path.split("?")[0])
            body = (html or "not found").encode()
            self.send_response(200 if html else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    bind = "127.0.0.1" if host == "localhost" else host
    server = ThreadingHTTPServer((bind, free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def phone_page(browser, viewport=PHONE, **options):
    context = browser.new_context(viewport=viewport, device_scale_factor=2, is_mobile=viewport == PHONE,
                                  has_touch=viewport == PHONE, **options)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def vo_page(live_server, demo) -> str:
    return page_html(live_server, demo["a"]["widget_key"],
                     '<div data-eseller-form data-kind="VO" data-stock-ref="VO-1042"></div>')


def unique_person() -> tuple[str, str]:
    """An e-mail and a valid French mobile number nobody else has: intake joins a known person's leads.

    The number must exist in the numbering plan (06 39 or 06 9x do not): the widget's own check is
    looser, and a replayed submission the server refuses is forgotten, which would look like a loss.
    """
    phone, _ = fresh_phone()
    return f"camille.{uuid.uuid4().hex[:10]}@example.fr", phone


def fill_contact(page, email: str, phone: str = "06 12 34 56 78") -> None:
    page.get_by_role("textbox", name="Prénom").fill("Camille")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Martin")
    page.get_by_role("textbox", name="Téléphone").fill(phone)
    page.get_by_role("textbox", name="E-mail").fill(email)
    page.get_by_role("textbox", name="Code postal").fill("69003")


def leads_for(app, email: str) -> list[Lead]:
    with in_group(app, "garage-du-parc"):
        leads = db.session.execute(
            select(Lead).join(Contact, Lead.contact_id == Contact.id).where(Contact.email == email)
        ).scalars().all()
        for lead in leads:  # load what the tests look at before the session closes
            _ = (lead.contact.phone, lead.stock_vehicle and lead.stock_vehicle.stock_ref)
        return leads


def pending_of(page, key: str) -> list:
    return json.loads(page.evaluate("k => localStorage.getItem(k) || '[]'", PENDING + key))


def test_the_form_renders_untouched_by_a_hostile_page(browser, live_server, demo):
    with dealer_site("localhost", {"/": vo_page(live_server, demo)}) as origin, phone_page(browser) as page:
        page.goto(origin + "/")
        heading = page.get_by_role("heading", name="Ce véhicule vous intéresse ?")
        heading.wait_for()
        assert page.get_by_text("Véhicule : VO-1042").is_visible()
        assert page.get_by_text("Garage du Parc vous recontacte rapidement.").is_visible()
        # The page hides every input and paints everything red at 40px: not inside the widget.
        last_name = page.get_by_role("textbox", name="Nom", exact=True)
        assert last_name.is_visible()
        style = last_name.evaluate("e => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.display] }")
        assert style == ["16px", "rgb(17, 24, 39)", "block"]
        title = heading.evaluate("e => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.textTransform] }")
        assert title == ["22px", "rgb(17, 24, 39)", "none"]
        assert page.get_by_role("button", name="Envoyer ma demande").is_visible()
        # The kind is forced by data-kind: no switch; the sales fields are there, not the workshop's.
        assert page.get_by_role("radio").count() == 0
        assert page.get_by_label("Projet d'achat").is_visible()
        assert page.get_by_label("Prestation").count() == 0 or not page.get_by_label("Prestation").is_visible()
        # Our styles stay in: the page's own element named like ours keeps the page's look.
        outside = page.locator("#outside").evaluate("e => [getComputedStyle(e).boxShadow, getComputedStyle(e).maxWidth]")
        assert outside == ["none", "none"]
        box = page.locator("[data-eseller-form]").bounding_box()
        assert box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # Every field has a label, required ones are marked for assistive technologies.
        unlabeled = page.locator("[data-eseller-form]").evaluate(
            """host => [...host.shadowRoot.querySelectorAll('input,select,textarea')]
                 .filter(e => !e.labels || !e.labels.length).map(e => e.name)""")
        assert unlabeled == []
        assert last_name.get_attribute("aria-required") == "true" or last_name.evaluate("e => e.required")


def test_a_lead_goes_from_the_page_into_the_database(app, browser, live_server, demo):
    email, phone = unique_person()
    key = demo["a"]["widget_key"]
    with dealer_site("localhost", {"/": vo_page(live_server, demo)}) as origin, phone_page(browser) as page:
        page.goto(origin + "/")
        fill_contact(page, email, phone)
        page.get_by_label("Projet d'achat").select_option("within_1_month")
        page.get_by_label("Je souhaite une proposition de financement").check()
        page.get_by_label("J'accepte d'être contacté(e) par Garage du Parc", exact=False).check()
        page.locator("[data-eseller-form]").screenshot(path=str(artifact_path("widget-phone.png")))
        with page.expect_request(lambda r: r.url.endswith("/api/v1/leads") and r.method == "POST") as sent:
            page.get_by_role("button", name="Envoyer ma demande").click()
        request = sent.value
        page.get_by_text("Votre demande a bien été envoyée").wait_for(timeout=15000)
        assert page.get_by_role("status").get_by_text("Votre demande a bien été envoyée").is_visible()
        assert pending_of(page, key) == []
        page.screenshot(path=str(artifact_path("widget-phone-sent.png")))

    headers = request.headers
    assert headers["x-widget-key"] == key
    assert headers["content-type"] == "application/json"
    assert len(headers["idempotency-key"]) >= 32
    body = request.post_data_json
    assert body["kind"] == "VO"
    assert "source" not in body
    assert body["vehicle"] == {"stock_ref": "VO-1042"}
    assert body["customer"] == {"first_name": "Camille", "last_name": "Martin", "email": email,
                                "phone": phone, "postal_code": "69003", "language": "fr"}
    assert body["timeframe"] == "within_1_month" and body["financing"] is True
    assert body["consent"] == {"contact": True, "marketing": False, "text_version": "2026-01",
                               "page_url": origin + "/"}
    assert body["hp"] == "" and body["elapsed_ms"] >= 3000

    leads = leads_for(app, email)
    assert len(leads) == 1
    lead = leads[0]
    e164 = "+33" + phone.replace(" ", "")[1:]
    assert (lead.contact.first_name, lead.contact.last_name, lead.contact.phone) == ("Camille", "Martin", e164)
    assert lead.kind == "VO"
    assert lead.stock_vehicle is not None and lead.stock_vehicle.stock_ref == "VO-1042"
    assert lead.channel == "widget"
    assert lead.source == "website"


def test_a_page_from_an_origin_off_the_allowlist_gets_no_form(app, browser, live_server, demo):
    email = f"intrus.{uuid.uuid4().hex[:10]}@example.fr"
    key = demo["a"]["widget_key"]
    with dealer_site("127.0.0.2", {"/": vo_page(live_server, demo)}) as origin, phone_page(browser) as page:
        page.goto(origin + "/")
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "Le formulaire est momentanément indisponible." in alert.inner_text()
        assert page.get_by_role("textbox", name="Nom", exact=True).count() == 0
        # Posting by hand from that page is refused as well: nothing is stored.
        outcome = page.evaluate(
            """async ([url, key, email]) => {
                 try {
                   const r = await fetch(url, {method: 'POST', mode: 'cors', headers: {
                     'Content-Type': 'application/json', 'X-Widget-Key': key, 'Idempotency-Key': crypto.getRandomValues(new Uint32Array(4)).join('-')},
                     body: JSON.stringify({kind: 'VO', customer: {last_name: 'Intrus', email},
                                           consent: {contact: true}, hp: '', elapsed_ms: 9000})});
                   return 'status ' + r.status;
                 } catch (e) { return 'blocked'; }
               }""",
            [live_server + "/api/v1/leads", key, email],
        )
        assert outcome in ("blocked", "status 403"), outcome
    assert leads_for(app, email) == []


def test_an_offline_submission_is_kept_and_arrives_once(app, browser, live_server, demo):
    email, phone = unique_person()
    key = demo["a"]["widget_key"]
    with dealer_site("localhost", {"/": vo_page(live_server, demo)}) as origin, phone_page(browser) as page:
        page.goto(origin + "/")
        page.route("**/api/v1/leads", lambda route: route.abort())
        fill_contact(page, email, phone)
        page.get_by_label("J'accepte d'être contacté(e)", exact=False).check()
        page.get_by_role("button", name="Envoyer ma demande").click()
        queued = "Nous n'avons pas pu envoyer votre demande, elle sera renvoyée automatiquement"
        page.get_by_text(queued).wait_for(timeout=15000)
        assert page.get_by_role("status").get_by_text(queued).is_visible()
        saved = pending_of(page, key)
        assert len(saved) == 1
        assert saved[0]["body"]["customer"]["email"] == email
        assert leads_for(app, email) == []

        page.unroute("**/api/v1/leads")
        page.reload()
        page.wait_for_function("k => !localStorage.getItem(k)", arg=PENDING + key, timeout=15000)
        # A second page view has nothing left to send.
        page.reload()
        page.get_by_role("button", name="Envoyer ma demande").wait_for()
        time.sleep(1)
        assert pending_of(page, key) == []
    leads = leads_for(app, email)
    assert len(leads) == 1
    with in_group(app, "garage-du-parc"):
        contacts = db.session.execute(select(func.count()).select_from(Contact).where(Contact.email == email)).scalar()
    assert contacts == 1


def test_a_replay_the_server_refuses_is_handed_back_to_the_visitor_not_lost(app, browser, live_server, demo):
    """Sent offline with a number the form accepts and the numbering plan does not (06 90...): the
    replay from a later page is refused, and the next form shows it again, with the reason."""
    email = f"camille.{uuid.uuid4().hex[:10]}@example.fr"
    no_such_number = "06 90 12 34 56"
    fixed, fixed_e164 = fresh_phone()
    key = demo["a"]["widget_key"]
    pages = {"/": vo_page(live_server, demo),
             "/atelier": page_html(live_server, key, "<p>Horaires de l'atelier, sans formulaire.</p>")}
    with dealer_site("localhost", pages) as origin, phone_page(browser) as page:
        page.goto(origin + "/")
        page.route("**/api/v1/leads", lambda route: route.abort())
        fill_contact(page, email, no_such_number)
        page.get_by_role("textbox", name="Votre message").fill("Toujours disponible ?")
        page.get_by_label("J'accepte d'être contacté(e)", exact=False).check()
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.get_by_text("Nous n'avons pas pu envoyer votre demande").wait_for(timeout=15000)
        page.unroute("**/api/v1/leads")

        # Another page of the site, with no form: the replay goes, is refused, and stays, unsent.
        page.goto(origin + "/atelier")
        page.wait_for_function("k => JSON.parse(localStorage.getItem(k) || '[]').some((s) => s.refused)",
                               arg=PENDING + key, timeout=15000)
        assert [s["refused"]["status"] for s in pending_of(page, key)] == [422]
        assert leads_for(app, email) == []

        # The next form hands it back: what was typed, and what to fix.
        page.goto(origin + "/")
        phone = page.get_by_role("textbox", name="Téléphone")
        phone.wait_for()
        assert phone.input_value() == no_such_number
        assert page.get_by_role("textbox", name="E-mail").input_value() == email
        assert page.get_by_role("textbox", name="Votre message").input_value() == "Toujours disponible ?"
        assert phone.get_attribute("aria-invalid") == "true"
        assert "Téléphone" in page.locator("[aria-live=assertive]").inner_text()
        assert pending_of(page, key) == []
        page.locator("[data-eseller-form]").screenshot(path=str(artifact_path("widget-replay-handed-back.png")))

        phone.fill(fixed)
        page.get_by_label("J'accepte d'être contacté(e)", exact=False).check()
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.get_by_text("Votre demande a bien été envoyée").wait_for(timeout=15000)
    leads = leads_for(app, email)
    assert len(leads) == 1 and leads[0].contact.phone == fixed_e164


def test_server_errors_are_shown_next_to_the_fields(browser, live_server, demo):
    """A 422 is final: the submission is forgotten, the data stays, the fields say what is wrong."""
    key = demo["a"]["widget_key"]
    refusal = {"error": {"code": "invalid", "message": "Invalid lead.",
                         "fields": {"customer.phone": ["Not a valid phone number."], "vehicle.stock_ref": ["Unknown."]}}}
    with dealer_site("localhost", {"/": vo_page(live_server, demo)}) as origin, phone_page(browser) as page:
        warnings = []
        page.on("console", lambda message: warnings.append(message.text))
        page.goto(origin + "/")
        page.route("**/api/v1/leads", lambda route: route.fulfill(
            status=422, json=refusal, headers={"Access-Control-Allow-Origin": origin}))
        fill_contact(page, "refus@example.fr")
        page.get_by_role("button", name="Envoyer ma demande").click()
        # Client-side first: the consent is required.
        consent = page.get_by_label("J'accepte d'être contacté(e)", exact=False)
        assert consent.get_attribute("aria-invalid") == "true"
        assert "Accord pour être recontacté" in page.locator("[aria-live=assertive]").inner_text()
        consent.check()
        page.get_by_role("button", name="Envoyer ma demande").click()
        phone = page.get_by_role("textbox", name="Téléphone")
        page.wait_for_function(
            "() => document.querySelector('[data-eseller-form]').shadowRoot"
            ".querySelector('#es-phone').getAttribute('aria-invalid') === 'true'", timeout=15000)
        error_id = phone.get_attribute("aria-describedby").split()[-1]
        error = page.locator(f"[data-eseller-form] #{error_id}")
        assert error.inner_text() == "Ce numéro de téléphone n'est pas valide."
        summary = page.locator("[aria-live=assertive]").inner_text()
        assert summary == "Votre demande n'a pas pu être enregistrée. Merci de vérifier : Téléphone."
        assert any("vehicle.stock_ref" in text for text in warnings), "what the visitor cannot fix goes to the console"
        assert page.get_by_role("textbox", name="Nom", exact=True).input_value() == "Martin"
        assert pending_of(page, key) == []
        page.locator("[data-eseller-form]").screenshot(path=str(artifact_path("widget-phone-errors.png")))


def test_the_launcher_opens_a_dialog_with_the_keyboard_in_english(browser, live_server, demo):
    html = page_html(live_server, demo["a"]["widget_key"], "<p>No form on this page.</p>", lang="en-GB")
    with dealer_site("localhost", {"/": html}) as origin, phone_page(browser, viewport=DESKTOP) as page:
        page.goto(origin + "/")
        launcher = page.get_by_role("button", name="Contact us")
        launcher.wait_for()
        launcher.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Your new car project")
        dialog.wait_for()
        assert page.get_by_role("radio", name="Used").is_visible()
        page.screenshot(path=str(artifact_path("widget-dialog-desktop.png")))
        page.get_by_role("radio", name="Service").check()
        assert page.get_by_role("heading", name="Book a service").is_visible()
        assert page.get_by_label("Preferred date").is_visible()
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        focused = page.evaluate("() => document.activeElement.shadowRoot?.activeElement?.textContent")
        assert focused == "Contact us"


def test_commands_queued_before_the_loader_run(browser, live_server, demo):
    """eseller('open', {...}) called before the bundle arrives opens the dialog once it does."""
    stub = ("<script>window.eseller=window.eseller||function(){(eseller.q=eseller.q||[]).push(arguments)};"
            "eseller('open',{kind:'ATELIER'});</script>")
    html = page_html(live_server, demo["a"]["widget_key"], '<div data-eseller-form></div>', head=stub)
    with dealer_site("localhost", {"/": html}) as origin, phone_page(browser) as page:
        page.goto(origin + "/")
        dialog = page.get_by_role("dialog", name="Rendez-vous atelier")
        dialog.wait_for()
        assert dialog.get_by_label("Prestation").is_visible()
        page.screenshot(path=str(artifact_path("widget-dialog-phone.png")))
        page.get_by_role("button", name="Fermer").click()
        dialog.wait_for(state="hidden")
        # The inline form is there too, with the kind switch (no data-kind on it).
        assert page.get_by_role("radio", name="Occasion").count() == 1


def test_a_robot_filling_the_honeypot_is_thanked_and_ignored(browser, live_server, demo):
    posts = []
    with dealer_site("localhost", {"/": vo_page(live_server, demo)}) as origin, phone_page(browser) as page:
        page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
        page.goto(origin + "/")
        fill_contact(page, "robot@example.fr")
        page.locator("[data-eseller-form] input[name=website]").fill("https://spam.example")
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.get_by_role("status").get_by_text("Votre demande a bien été envoyée").wait_for()
        page.wait_for_timeout(500)
        assert posts == []
        assert pending_of(page, demo["a"]["widget_key"]) == []
