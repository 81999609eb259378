"""The widget key page in headless Chromium: an admin creates a key and sees the live preview.

The key allows one dealer origin only, so the preview (served by eSeller, framed by the key's
page) gets its config through the admin-only path of /widget/v1/config, not the allowlist.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Contact, Lead, WidgetKey
from tests.conftest import artifact_path, demo_user, in_group, sign_in_page

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1280, "height": 800}
GROUP_A = "garage-du-parc"




def _background(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).backgroundColor")


def test_the_admin_previews_a_widget_key(app, browser, live_server, demo):
    admin = demo_user(demo, "a", "admin")
    name = f"Site vitrine {uuid.uuid4().hex[:6]}"
    email = f"apercu-{uuid.uuid4().hex[:10]}@example.fr"
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/v1/leads" in r.url else None)
    try:
        sign_in_page(page, live_server, admin)
        page.goto(live_server + "/admin/keys")
        page.get_by_role("link", name="Nouvelle clé de widget").click()
        page.get_by_label("Nom", exact=True).fill(name)
        page.get_by_label("Origines autorisées").fill("https://www.garage-du-parc.example")
        page.get_by_label("Demande par défaut").select_option("VO")
        page.get_by_label("Couleur").fill("#c2410c")
        page.get_by_role("button", name="Créer la clé").click()
        page.get_by_role("heading", name=name).wait_for()
        with in_group(app, GROUP_A):
            key = db.session.execute(select(WidgetKey).where(WidgetKey.name == name)).scalar_one()
            assert key.allowed_origins == ["https://www.garage-du-parc.example"]
            public_key = key.key
        assert public_key in page.locator("#snippet").inner_text()

        preview = page.frame_locator("iframe[title='Le formulaire tel que les visiteurs le voient']")
        submit = preview.get_by_role("button", name="Envoyer ma demande")
        submit.wait_for(timeout=15000)
        assert _background(submit) == "rgb(194, 65, 12)"
        assert preview.get_by_text("Aperçu — envoi désactivé").is_visible()
        assert preview.get_by_role("radio", name="Occasion").is_checked()
        assert preview.get_by_text("J'accepte d'être contacté(e) par Garage du Parc", exact=False).is_visible()
        page.get_by_role("button", name="Copier").click()
        page.get_by_role("button", name="Copié").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == (
            f'<script async src="{live_server}/widget/v1/loader.js" data-key="{public_key}"></script>\n'
            '<div data-eseller-form data-kind="VO"></div>')
        page.screenshot(path=str(artifact_path("admin-keys.png")))

        # A save reloads the preview with the new settings at once (no minute-old config).
        page.get_by_label("Couleur").fill("#1d7a46")
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_text("Enregistré : l'aperçu montre le formulaire").wait_for()
        submit.wait_for(timeout=15000)
        assert _background(submit) == "rgb(29, 122, 70)"

        # Submitting in the preview goes the visitor's whole way, and sends nothing.
        preview.get_by_role("textbox", name="Nom", exact=True).fill("Martin")
        preview.get_by_role("textbox", name="E-mail").fill(email)
        preview.get_by_label("J'accepte d'être contacté(e) par Garage du Parc", exact=False).check()
        submit.click()
        preview.get_by_text("Votre demande a bien été envoyée").wait_for(timeout=5000)
        page.wait_for_timeout(500)
        assert sent == []
        pending = preview.locator("body").evaluate(f"() => localStorage.getItem('eseller:pending:{public_key}')")
        assert pending is None
        page.goto(live_server + "/admin/keys")
        assert page.get_by_role("link", name=name).is_visible()
        page.screenshot(path=str(artifact_path("admin-keys-list.png")), full_page=True)
    finally:
        context.close()
    with in_group(app, GROUP_A):
        count = db.session.scalar(select(func.count(Lead.id)).join(Contact, Lead.contact_id == Contact.id)
                                  .where(Contact.email == email))
        assert count == 0
