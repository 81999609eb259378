"""Sign-in, sessions, tokens, roles, and the protections around them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.auth.tokens import digest
from server.extensions import db
from server.models import ApiToken, User, utcnow
from tests.conftest import demo_user, in_group

WRONG = "not-the-password"


def _post_login(client, email, password, address="127.0.0.1"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_seller_signs_in_and_lands_on_the_french_home_page(login):
    seller = login("a", "seller")
    page = seller.get("/home")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Mes leads" in html


def test_sign_in_failures_look_the_same_whatever_the_account(client, demo, app):
    seller = demo_user(demo, "a", "seller")
    wrong_password = _post_login(client, seller["email"], WRONG)
    unknown = _post_login(client, "nobody@nowhere.example", WRONG)
    assert wrong_password.status_code == unknown.status_code == 401
    assert _flash(wrong_password) == _flash(unknown)

    disabled = demo_user(demo, "a", "seller", 1)
    _set_active(app, disabled["email"], False)
    try:
        refused = _post_login(client, disabled["email"], disabled["password"])
        assert refused.status_code == 401
        assert _flash(refused) == _flash(unknown)
    finally:
        _set_active(app, disabled["email"], True)


def _flash(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('class="flash')
    return html[start : html.index("</div>", start)]


def _set_active(app, email: str, active: bool) -> None:
    with in_group(app, "garage-du-parc"):
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        user.active = active
        user.session_version += 1
        db.session.commit()


def test_wrong_passwords_are_rate_limited_for_existing_and_unknown_accounts(client, demo):
    seller = demo_user(demo, "a", "seller")
    for address, email in (("192.0.2.1", seller["email"]), ("192.0.2.2", "ghost@nowhere.example")):
        codes = [_post_login(client, email, WRONG, address).status_code for _ in range(10)]
        assert codes == [401] * 10
        limited = _post_login(client, email, WRONG, address)
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers


def test_the_limit_follows_the_account_across_addresses(app, demo):
    seller = demo_user(demo, "a", "seller")
    for i in range(10):
        response = app.test_client().post(
            "/login", data={"email": seller["email"], "password": WRONG},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        )
        assert response.status_code == 401
    other_address = app.test_client().post(
        "/login", data={"email": seller["email"], "password": seller["password"]},
        environ_base={"REMOTE_ADDR": "10.0.1.1"},
    )
    assert other_address.status_code == 429


def test_logout_ends_the_session(login):
    seller = login("a", "seller")
    assert seller.post("/logout").status_code == 302
    response = seller.get("/home")
    assert response.status_code == 302
    assert "/login" in response.location


def test_deactivating_a_user_ends_their_session(login, app, demo):
    seller = login("a", "seller", 2)
    assert seller.get("/home").status_code == 200
    _set_active(app, seller.user["email"], False)
    try:
        assert seller.get("/home").status_code == 302
    finally:
        _set_active(app, seller.user["email"], True)


def test_next_parameter_cannot_send_the_user_elsewhere(client, demo):
    seller = demo_user(demo, "a", "seller")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"/login?next={target}", data={"email": seller["email"], "password": seller["password"]})
        assert response.status_code == 302
        assert response.location.endswith("/home"), target
        client.post("/logout")
    response = client.post("/login?next=/leads/1", data={"email": seller["email"], "password": seller["password"]})
    assert response.location.endswith("/leads/1")


def test_token_round_trip(client, demo):
    seller = demo_user(demo, "a", "seller")
    response = client.post("/api/v1/auth/token", json={"email": seller["email"], "password": seller["password"]})
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"token", "expires_at"}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json["email"] == seller["email"]
    assert me.json["role"] == "seller"
    assert me.json["group"] == "garage-du-parc"


def test_token_request_errors(client, demo):
    seller = demo_user(demo, "a", "seller")
    bad = client.post("/api/v1/auth/token", json={"email": seller["email"], "password": WRONG})
    assert bad.status_code == 401
    assert bad.json["error"]["code"] == "invalid_credentials"
    unknown = client.post("/api/v1/auth/token", json={"email": "ghost@nowhere.example", "password": WRONG})
    assert unknown.status_code == 401 and unknown.json == bad.json
    missing = client.post("/api/v1/auth/token", json={"email": seller["email"]})
    assert missing.status_code == 422
    assert missing.json["error"]["fields"] == {"password": ["Missing data for required field."]}
    malformed = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert malformed.json["error"]["code"] == "malformed_json"


def test_expired_forged_and_disabled_tokens_are_refused(client, demo, app, token_for):
    def me(token):
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    token = token_for("a", "seller", 3)
    assert me(token).status_code == 200

    assert me(token[:-2] + ("AA" if not token.endswith("AA") else "BB")).status_code == 401
    assert me("est_" + "x" * 43).status_code == 401
    assert me("garbage").status_code == 401

    with in_group(app, "garage-du-parc"):
        row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == digest(token))).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    expired = me(token)
    assert expired.status_code == 401
    assert expired.json["error"]["code"] == "unauthorized"

    fresh = token_for("a", "seller", 3)
    _set_active(app, demo_user(demo, "a", "seller", 3)["email"], False)
    try:
        assert me(fresh).status_code == 401
    finally:
        _set_active(app, demo_user(demo, "a", "seller", 3)["email"], True)
    assert me(fresh).status_code == 200


def test_passwords_are_stored_as_argon2id(app, demo):
    with in_group(app, "garage-du-parc"):
        hashes = db.session.execute(select(User.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_forms_need_the_csrf_token(app, demo):
    seller = demo_user(demo, "a", "seller")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        refused = client.post("/login", data={"email": seller["email"], "password": seller["password"]})
        assert refused.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        accepted = client.post(
            "/login", data={"email": seller["email"], "password": seller["password"], "csrf_token": token}
        )
        assert accepted.status_code == 302
        assert client.post("/logout").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_security_headers_and_cookie_flags(app, demo):
    seller = demo_user(demo, "a", "seller")
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": seller["email"], "password": seller["password"]},
                               base_url="https://localhost")
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    page = app.test_client().get("/login")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_default_configuration_sets_secure_cookies():
    from server.config import Defaults

    assert Defaults.SESSION_COOKIE_SECURE and Defaults.REMEMBER_COOKIE_SECURE
    assert Defaults.SESSION_COOKIE_HTTPONLY


def test_roles_guard_the_admin_panel(login):
    assert login("a", "admin").get("/admin/users").status_code == 200
    assert login("a", "manager").get("/admin/").status_code == 200
    assert login("a", "manager").get("/admin/users").status_code == 403
    for role in ("seller", "cell", "call_center"):
        assert login("a", role).get("/admin/").status_code == 403, role


def test_each_role_has_its_home_page(login):
    expected = {
        "seller": "Mes leads",
        "cell": "Leads en attente",
        "call_center": "Mes leads saisis",
        "manager": "Vue d’ensemble",
        "admin": "Vue d’ensemble",
    }
    for role, title in expected.items():
        html = login("a", role).get("/home").get_data(as_text=True)
        assert f">{title}<" in html, role


def test_language_follows_the_user(login, app):
    seller = login("a", "seller")
    assert seller.post("/language/en").status_code == 302
    html = seller.get("/home").get_data(as_text=True)
    assert '<html lang="en">' in html and "My leads" in html
    seller.post("/language/fr")
    assert '<html lang="fr">' in seller.get("/home").get_data(as_text=True)


def test_error_pages_are_clean(login, client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert "Cette page n’existe pas" in missing.get_data(as_text=True)
    api_missing = client.get("/api/v1/nothing-here")
    assert api_missing.status_code == 404
    assert api_missing.json["error"]["code"] == "not_found"
    seller = login("a", "seller")
    forbidden = seller.get("/admin/")
    assert forbidden.status_code == 403
    assert "<h1>" in forbidden.get_data(as_text=True)
