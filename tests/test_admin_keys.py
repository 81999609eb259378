"""Capture settings (admins): widget keys, API keys, the consent text and the widget preview.

Each test makes its own keys next to the demo's (never revokes a demo key), and the consent test
works on the second demo group and puts its text back, since other tests read group A's.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import ApiKey, Site, WidgetKey
from tests.conftest import in_group

GROUP_A, GROUP_B = "garage-du-parc", "autre-groupe"
DEALER = "https://www.garage-du-parc.example"
OWN = "http://localhost"  # the test client's host_url, without its slash


def a_lead() -> dict:
    return {"kind": "VO", "customer": {"last_name": "Martin", "email": f"k-{uuid.uuid4().hex[:12]}@example.fr"},
            "consent": {"contact": True, "text_version": "2026-01"}}


def widget_form(**overrides) -> dict:
    data = {"name": "Site VO", "source": "website", "allowed_origins": f"{DEALER}\nhttp://localhost:*",
            "default_kind": "VO", "site": "", "colour": "#aa3300"}
    return {**data, **overrides}


def create_widget_key(admin, **overrides) -> int:
    response = admin.post("/admin/keys/widget/new", data=widget_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/admin/keys/widget/(\d+)$", response.location).group(1))


def widget_key(app, key_id: int, slug: str = GROUP_A) -> WidgetKey:
    with in_group(app, slug):
        key = db.session.execute(select(WidgetKey).where(WidgetKey.id == key_id)).scalar_one()
        db.session.expunge(key)
        return key


def send_widget_lead(client, public_key: str, origin: str = DEALER):
    return client.post("/api/v1/leads", json=a_lead(), headers={"X-Widget-Key": public_key, "Origin": origin})


def test_non_admins_are_refused(login, demo):
    for role in ("call_center", "cell", "seller", "manager"):
        user = login("a", role)
        for url in ("/admin/keys", "/admin/keys/widget/new", "/admin/keys/api/new", "/admin/keys/consent"):
            assert user.get(url).status_code == 403, (role, url)
        assert user.post("/admin/keys/api/new", data={"name": "x", "source": "x"}).status_code == 403


def test_the_page_lists_the_groups_keys(login, demo):
    page = login("a", "admin").get("/admin/keys")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert demo["a"]["widget_key"] in body and demo["a"]["api_key"][:12] in body
    assert demo["a"]["api_key"] not in body  # a prefix only, never the secret
    assert demo["b"]["widget_key"] not in body
    assert "http://localhost:*" in body and "Garage du Parc" in body


def test_widget_key_errors_are_shown_next_to_their_fields(app, login, demo):
    admin = login("a", "admin")
    with in_group(app, GROUP_B):
        their_site = db.session.execute(select(Site.id)).scalars().first()
    bad = widget_form(name="", source="Site Web", colour="red", site=str(their_site),
                      allowed_origins="https://www.garage.fr/contact\n*\nhttps://*.garage.fr\nhttp://www.garage.fr")
    response = admin.post("/admin/keys/widget/new", data=bad)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for name in ("name", "source", "colour", "site", "allowed_origins"):
        assert f'id="{name}-error"' in body, name
        assert re.search(rf'<(input|select|textarea)[^>]*aria-invalid="true"[^>]*id="{name}"|id="{name}"[^>]*aria-invalid', body), name
    # The demo admin reads French: one reason per refused line.
    origins_error = re.search(r'id="allowed_origins-error">([^<]*)<', body).group(1)
    assert "« https://www.garage.fr/contact » n&#39;est pas une origine" in origins_error
    assert "sans chemin" in origins_error
    assert "« * » : le joker * n&#39;est permis qu&#39;à la place du port" in origins_error
    assert "« https://*.garage.fr » : le joker" in origins_error
    assert "« http://www.garage.fr » : utilisez https://" in origins_error
    assert admin.post("/admin/keys/widget/new", data=widget_form(allowed_origins=" \n")).status_code == 422
    with in_group(app, GROUP_A):
        assert db.session.execute(select(WidgetKey).where(WidgetKey.name == "")).first() is None


def test_a_default_request_the_site_does_not_handle_is_refused(app, login, demo):
    admin = login("a", "admin")
    with in_group(app, GROUP_A):
        vo_centre = db.session.execute(select(Site).where(Site.code == "vo-center")).scalar_one().id
    response = admin.post("/admin/keys/widget/new", data=widget_form(site=str(vo_centre), default_kind="ATELIER"))
    assert response.status_code == 422
    assert 'id="default_kind-error"' in response.get_data(as_text=True)
    create_widget_key(admin, site=str(vo_centre), default_kind="VO")


def test_create_then_edit_a_widget_key(app, client, login, demo):
    admin = login("a", "admin")
    key_id = create_widget_key(admin, allowed_origins=f"{DEALER.upper()}/\nhttps://www.garage-du-parc.example:443\n"
                                                      "https://shop.example:8443\nhttp://localhost:*")
    key = widget_key(app, key_id)
    assert re.fullmatch(r"wk_[0-9a-f]{32}", key.key)
    assert key.allowed_origins == [DEALER, "https://shop.example:8443", "http://localhost:*"]
    assert (key.source, key.default_kind, key.site_id, key.colour) == ("website", "VO", None, "#aa3300")

    page = admin.get(f"/admin/keys/widget/{key_id}").get_data(as_text=True)
    snippet = (f'&lt;script async src=&#34;http://localhost/widget/v1/loader.js&#34; data-key=&#34;{key.key}&#34;&gt;'
               "&lt;/script&gt;\n&lt;div data-eseller-form data-kind=&#34;VO&#34;&gt;&lt;/div&gt;")
    assert snippet in page
    assert 'data-copy="snippet"' in page
    assert f'src="/admin/keys/widget/{key_id}/preview"' in page

    with in_group(app, GROUP_A):
        site = db.session.execute(select(Site).where(Site.code == "lyon-centre")).scalar_one()
    response = admin.post(f"/admin/keys/widget/{key_id}", data=widget_form(
        name="Site Lyon", source="site-lyon", colour="#1D7A46", site=str(site.id), default_kind="ATELIER",
        allowed_origins="https://lyon.example"))
    assert response.status_code == 302
    key = widget_key(app, key_id)
    assert (key.name, key.source, key.colour, key.site_id, key.default_kind) == (
        "Site Lyon", "site-lyon", "#1d7a46", site.id, "ATELIER")
    assert key.allowed_origins == ["https://lyon.example"]
    config = client.get(f"/widget/v1/config?key={key.key}", headers={"Origin": "https://lyon.example"})
    assert config.status_code == 200
    assert (config.json["colour"], config.json["default_kind"], config.json["site"]) == ("#1d7a46", "ATELIER", "lyon-centre")
    assert client.get(f"/widget/v1/config?key={key.key}", headers={"Origin": DEALER}).status_code == 403
    bad = admin.post(f"/admin/keys/widget/{key_id}", data=widget_form(colour="#12345"))
    assert bad.status_code == 422 and 'id="colour-error"' in bad.get_data(as_text=True)
    assert widget_key(app, key_id).colour == "#1d7a46"


def test_rotating_refuses_the_old_key_and_accepts_the_new(app, client, login, demo):
    admin = login("a", "admin")
    old_id = create_widget_key(admin)
    old = widget_key(app, old_id)
    assert send_widget_lead(client, old.key).status_code == 202

    response = admin.post(f"/admin/keys/widget/{old_id}/rotate")
    assert response.status_code == 302
    new_id = int(response.location.rsplit("/", 1)[1])
    old, new = widget_key(app, old_id), widget_key(app, new_id)
    assert old.revoked_at is not None and old.replaced_by_id == new_id and new.revoked_at is None
    assert new.key != old.key
    same = ("name", "source", "allowed_origins", "default_kind", "site_id", "colour")
    assert [getattr(new, a) for a in same] == [getattr(old, a) for a in same]

    refused = send_widget_lead(client, old.key)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_widget_key"
    assert send_widget_lead(client, new.key).status_code == 202
    assert send_widget_lead(client, new.key, origin="https://elsewhere.example").status_code == 403
    page = admin.get(f"/admin/keys/widget/{old_id}").get_data(as_text=True)
    assert new.key in page and "data-eseller-form" not in page  # no snippet for a revoked key
    assert admin.post(f"/admin/keys/widget/{old_id}/rotate").status_code == 409
    assert admin.post(f"/admin/keys/widget/{old_id}", data=widget_form()).status_code == 409


def test_a_revoked_widget_key_is_refused_everywhere(app, client, login, demo):
    admin = login("a", "admin")
    key_id = create_widget_key(admin)
    key = widget_key(app, key_id)
    assert admin.post(f"/admin/keys/widget/{key_id}/revoke").status_code == 302
    assert widget_key(app, key_id).revoked_at is not None
    assert send_widget_lead(client, key.key).status_code == 401
    assert client.get(f"/widget/v1/config?key={key.key}", headers={"Origin": DEALER}).status_code == 401


def _database_holds(app, needle: str) -> list[str]:
    """Every table whose rows contain `needle` anywhere, as text."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                if any(needle in str(value) for value in row):
                    found.append(table.name)
                    break
    return found


def test_an_api_key_is_shown_once_stored_hashed_and_works(app, client, login, demo):
    admin = login("a", "admin")
    assert admin.post("/admin/keys/api/new", data={"name": "", "source": "La Centrale"}).status_code == 422
    response = admin.post("/admin/keys/api/new", data={"name": "La Centrale", "source": "lacentrale"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    raw = re.search(r"esk_[0-9a-f]{40}", body).group(0)
    assert "elle ne sera plus jamais affichée" in body

    with in_group(app, GROUP_A):
        key = db.session.execute(select(ApiKey).where(ApiKey.key_hash == hashlib.sha256(raw.encode()).hexdigest())).scalar_one()
        assert (key.name, key.source, key.prefix, key.revoked_at) == ("La Centrale", "lacentrale", raw[:12], None)
        assert key.created_by_id is not None
        key_id = key.id
    assert _database_holds(app, raw) == []
    listing = admin.get("/admin/keys").get_data(as_text=True)
    assert raw[:12] in listing and raw not in listing

    bearer = {"Authorization": f"Bearer {raw}"}
    accepted = client.post("/api/v1/leads", json=a_lead(), headers=bearer)
    assert accepted.status_code == 202
    with in_group(app, GROUP_A):
        assert db.session.get(ApiKey, key_id).last_used_at is not None

    assert admin.post(f"/admin/keys/api/{key_id}/revoke").status_code == 302
    refused = client.post("/api/v1/leads", json=a_lead(), headers=bearer)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_api_key"


@pytest.fixture
def group_b_consent(app):
    """Group B's consent as it was, put back after the test."""
    with in_group(app, GROUP_B) as group:
        saved = (group.consent_text, group.consent_version, dict(group.settings or {}))
    yield saved
    with in_group(app, GROUP_B) as group:
        group.consent_text, group.consent_version, group.settings = saved
        db.session.commit()


def test_a_changed_consent_text_gets_a_new_version(app, client, login, demo, group_b_consent):
    old_text, old_version, _ = group_b_consent
    admin = login("b", "admin")
    assert admin.post("/admin/keys/consent", data={"text": "  "}).status_code == 422
    assert admin.post("/admin/keys/consent", data={"text": old_text}).status_code == 302
    with in_group(app, GROUP_B) as group:
        assert group.consent_version == old_version  # the same text keeps its version

    assert admin.post("/admin/keys/consent", data={"text": "J'accepte d'être rappelé(e).\r\n"}).status_code == 302
    with in_group(app, GROUP_B) as group:
        first = group.consent_version
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first) and first != old_version
        assert group.consent_text == "J'accepte d'être rappelé(e)."
        history = group.settings["consent_history"]
        assert [(h["version"], h["text"]) for h in history] == [(old_version, old_text)]
        assert history[0]["until"]
    config = client.get(f"/widget/v1/config?key={demo['b']['widget_key']}", headers={"Origin": "http://localhost:5000"})
    assert (config.json["consent_text"], config.json["consent_version"]) == ("J'accepte d'être rappelé(e).", first)

    assert admin.post("/admin/keys/consent", data={"text": "Troisième texte."}).status_code == 302
    with in_group(app, GROUP_B) as group:
        assert group.consent_version == first + ".2"
        assert [h["version"] for h in group.settings["consent_history"]] == [old_version, first]
    page = admin.get("/admin/keys/consent").get_data(as_text=True)
    assert "J&#39;accepte d&#39;être rappelé(e)." in page and first in page


def test_another_groups_keys_are_not_found(app, login, demo):
    with in_group(app, GROUP_A):
        widget_id = db.session.execute(select(WidgetKey.id).where(WidgetKey.key == demo["a"]["widget_key"])).scalar_one()
        api_id = db.session.execute(select(ApiKey.id).limit(1)).scalar_one()
    other = login("b", "admin")
    for url in (f"/admin/keys/widget/{widget_id}", f"/admin/keys/widget/{widget_id}/preview"):
        assert other.get(url).status_code == 404
    for url in (f"/admin/keys/widget/{widget_id}", f"/admin/keys/widget/{widget_id}/rotate",
                f"/admin/keys/widget/{widget_id}/revoke", f"/admin/keys/api/{api_id}/revoke"):
        assert other.post(url, data=widget_form()).status_code == 404
    with in_group(app, GROUP_A):
        assert db.session.get(WidgetKey, widget_id).revoked_at is None


def test_the_preview_page_may_be_framed_by_eseller_only(app, login, demo):
    admin = login("a", "admin")
    key_id = create_widget_key(admin)
    key = widget_key(app, key_id)
    response = admin.get(f"/admin/keys/widget/{key_id}/preview")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    body = response.get_data(as_text=True)
    assert "<div data-eseller-form data-preview></div>" in body
    assert f'src="http://localhost/widget/v1/loader.js" data-key="{key.key}"' in body
    assert "<script>" not in body and " style=" not in body


def test_the_config_answers_the_preview_of_the_groups_admins_only(app, client, login, demo):
    """eSeller's own origin is on no allowlist: it gets the config only for an admin of the key's group."""
    admin = login("a", "admin")
    key_id = create_widget_key(admin, allowed_origins=DEALER)
    url = f"/widget/v1/config?key={widget_key(app, key_id).key}"
    for headers in ({"Origin": OWN}, {}):
        response = admin.get(url, headers=headers)
        assert response.status_code == 200, headers
        assert response.json["colour"] == "#aa3300"
        assert response.headers["Cache-Control"] == "private, no-store"  # each save shows at once
    assert admin.get(url, headers={"Origin": "https://elsewhere.example"}).status_code == 403
    assert login("a", "manager").get(url, headers={"Origin": OWN}).status_code == 403
    assert login("b", "admin").get(url, headers={"Origin": OWN}).status_code == 403
    assert client.get(url, headers={"Origin": OWN}).status_code == 403
    public = client.get(url)
    assert public.status_code == 200 and public.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(url, headers={"Origin": DEALER}).status_code == 200


def test_the_nav_links_admins_to_the_keys(login, demo):
    assert 'href="/admin/keys"' in login("a", "admin").get("/admin/").get_data(as_text=True)
    assert 'href="/admin/keys"' not in login("a", "manager").get("/admin/").get_data(as_text=True)
