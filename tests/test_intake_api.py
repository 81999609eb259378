"""The intake API per CONTRACT: what it accepts, every bad input it refuses, and nothing lost."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Contact, Event, ExternalRef, IdempotencyRecord, Lead, LeadEntry, RoutingOutbox
from tests.conftest import in_group

ORIGIN = "http://localhost:8123"


def unique_email() -> str:
    return f"client-{uuid.uuid4().hex[:12]}@example.fr"


def unique_phone() -> str:
    """A valid French mobile number nobody else in the suite uses."""
    return "06 1" + f"{uuid.uuid4().int % 10**7:07d}"


def a_lead(**overrides) -> dict:
    lead = {
        "kind": "VO",
        "source": "website",
        "customer": {"first_name": "Camille", "last_name": "Martin", "email": unique_email(),
                     "phone": unique_phone(), "postal_code": "69003", "city": "Lyon"},
        "vehicle": {"make": "Peugeot", "model": "3008", "stock_ref": "VO-1042", "price_eur": 24990},
        "trade_in": {"make": "Renault", "model": "Clio", "year": 2015, "mileage_km": 98000, "plate": "ab-123-cd"},
        "message": "Disponible pour un essai samedi ?",
        "timeframe": "within_1_month",
        "financing": True,
        "consent": {"contact": True, "marketing": False, "text_version": "2026-01", "page_url": "https://x.example/a"},
    }
    lead.update(overrides)
    return lead


@pytest.fixture
def api(client, demo):
    key = demo["a"]["api_key"]

    def post(body=None, *, headers=None, path="/api/v1/leads", **kwargs):
        all_headers = {"Authorization": f"Bearer {key}", **(headers or {})}
        if body is not None and "data" not in kwargs:
            kwargs["json"] = body
        return client.post(path, headers=all_headers, **kwargs)

    return post


def _lead_count(app) -> int:
    with in_group(app, "garage-du-parc"):
        return db.session.scalar(select(func.count(Lead.id)))


def test_a_lead_is_stored_before_the_202(app, api):
    email = unique_email()
    payload = a_lead(customer={"first_name": "Léa", "last_name": "Roux", "email": email, "phone": "0611223344"})
    response = api(payload)
    assert response.status_code == 202
    assert set(response.json) == {"id", "status"} and response.json["status"] == "received"
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, int(response.json["id"]))
        assert lead.kind == "VO" and lead.channel == "api" and lead.source == "website"
        assert lead.contact.email == email and lead.contact.phone == "+33611223344"
        assert lead.stock_vehicle.stock_ref == "VO-1042"
        assert lead.site is not None, "the stock vehicle's site is the lead's site"
        assert lead.trade_in.plate == "AB-123-CD" and lead.trade_in.contact_id == lead.contact_id
        assert lead.first_contact_due_at > lead.received_at
        assert '"Disponible pour un essai samedi ?"' in lead.raw_payload
        assert db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead.id)).scalar_one()
        assert [e.kind for e in lead.entries] == ["received"]
        event = db.session.execute(select(Event).where(Event.lead_id == lead.id)).scalar_one()
        assert event.type == "lead.created" and event.payload["lead"]["id"] == str(lead.id)
        consents = {(c.channel, c.purpose, c.granted) for c in lead.contact.consents}
        assert ("email", "contact", True) in consents and ("email", "marketing", False) in consents


def test_event_sequence_grows_by_one_per_group(app, api):
    ids = [api(a_lead()).json["id"] for _ in range(3)]
    with in_group(app, "garage-du-parc"):
        seqs = db.session.execute(select(Event.seq).where(Event.lead_id.in_([int(i) for i in ids])).order_by(Event.seq)).scalars().all()
    assert len(seqs) == 3 and seqs == list(range(seqs[0], seqs[0] + 3))


def test_the_customer_is_matched_and_a_second_request_joins_the_open_lead(app, api):
    email = unique_email()
    first = api(a_lead(customer={"last_name": "Garnier", "email": email.upper()})).json["id"]
    second = api(a_lead(customer={"last_name": "Garnier", "email": email}, message="Encore moi")).json["id"]
    assert first == second
    other_kind = api(a_lead(kind="ATELIER", customer={"last_name": "Garnier", "email": email})).json["id"]
    assert other_kind != first
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, int(first))
        joined = [entry for entry in lead.entries if entry.kind == "duplicate_joined"]
        assert len(joined) == 1 and "Encore moi" in joined[0].body
        assert db.session.scalar(select(func.count(Contact.id)).where(Contact.email == email)) == 1


def test_national_and_international_phones_are_the_same_person(app, api):
    phone_digits = unique_phone().replace(" ", "")[1:]
    first = api(a_lead(customer={"last_name": "Tel", "phone": "0" + phone_digits})).json["id"]
    second = api(a_lead(customer={"last_name": "Tel", "phone": "+33 " + phone_digits})).json["id"]
    assert first == second


def test_a_resend_updates_and_never_duplicates(app, api):
    external = f"LC-{uuid.uuid4().hex[:8]}"
    first = api(a_lead(source="lacentrale", external_id=external, message="v1"))
    again = api(a_lead(source="lacentrale", external_id=external, message="v2"))
    assert first.status_code == again.status_code == 202
    assert first.json["id"] == again.json["id"]
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, int(first.json["id"]))
        assert lead.message == "v2"
        assert [e.kind for e in lead.entries].count("resent") == 1
        assert db.session.scalar(select(func.count(ExternalRef.id)).where(ExternalRef.external_id == external)) == 1


def test_idempotent_replay_returns_the_first_answer_and_creates_nothing(app, api):
    key = str(uuid.uuid4())
    body = a_lead()
    first = api(body, headers={"Idempotency-Key": key})
    before = _lead_count(app)
    replay = api(body, headers={"Idempotency-Key": key})
    assert replay.status_code == 202 and replay.json == first.json
    assert _lead_count(app) == before
    other = api(a_lead(), headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    with in_group(app, "garage-du-parc"):
        assert db.session.scalar(select(func.count(IdempotencyRecord.id)).where(IdempotencyRecord.key == key)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": {"last_name": "X", "phone": "0612345678"}}, "kind"),
        ({"kind": "CAR", "customer": {"last_name": "X", "phone": "0612345678"}}, "kind"),
        ({"kind": "VN"}, "customer"),
        ({"kind": "VN", "customer": "Camille"}, "customer"),
        ({"kind": "VN", "customer": {"last_name": "X"}}, "customer.phone"),
        ({"kind": "VN", "customer": {"phone": "0612345678"}}, "customer.last_name"),
        ({"kind": "VN", "customer": {"last_name": "X", "phone": "12"}}, "customer.phone"),
        ({"kind": "VN", "customer": {"last_name": "X", "email": "not-an-email"}}, "customer.email"),
        ({"kind": "VN", "customer": {"last_name": 42, "email": "a@b.fr"}}, "customer.last_name"),
        ({"kind": "VN", "customer": {"last_name": "X", "email": "a@b.fr"}, "vehicle": {"year": "old"}}, "vehicle.year"),
        ({"kind": "VN", "customer": {"last_name": "X", "email": "a@b.fr"}, "financing": "maybe"}, "financing"),
        ({"kind": "VN", "customer": {"last_name": "X", "email": "a@b.fr"}, "timeframe": "someday"}, "timeframe"),
        ({"kind": "VN", "customer": {"last_name": "X", "email": "a@b.fr"}, "site": "atlantis"}, "site"),
        ({"kind": "VN", "customer": {"last_name": "X" * 101, "email": "a@b.fr"}}, "customer.last_name"),
        ([{"kind": "VN"}], "_schema"),
    ],
)
def test_invalid_leads_get_422_naming_the_field_and_store_nothing(app, api, body, field):
    before = _lead_count(app)
    response = api(body)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert _lead_count(app) == before


def test_malformed_json_is_400(app, api):
    before = _lead_count(app)
    response = api(data='{"kind": "VN", "customer": {', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert _lead_count(app) == before


def test_wrong_content_type_is_415(api):
    response = api(data="kind=VN", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    xml_on_json = api(data="<adf/>", headers={"Content-Type": "application/xml"})
    assert xml_on_json.status_code == 415
    json_on_adf = api(a_lead(), path="/api/v1/leads/adf")
    assert json_on_adf.status_code == 415


def test_a_one_megabyte_body_is_413(app, api):
    before = _lead_count(app)
    huge = a_lead(message="x" * (1024 * 1024))
    response = api(huge)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert _lead_count(app) == before


def test_missing_unknown_and_revoked_keys_are_401(app, client, demo):
    missing = client.post("/api/v1/leads", json=a_lead())
    assert missing.status_code == 401 and missing.json["error"]["code"] == "unauthorized"
    unknown = client.post("/api/v1/leads", json=a_lead(), headers={"Authorization": "Bearer esk_" + "0" * 40})
    assert unknown.status_code == 401 and unknown.json["error"]["code"] == "invalid_api_key"
    widget = client.post("/api/v1/leads", json=a_lead(), headers={"X-Widget-Key": "wk_nope", "Origin": ORIGIN})
    assert widget.status_code == 401 and widget.json["error"]["code"] == "invalid_widget_key"
    user_token_is_not_an_api_key = client.post(
        "/api/v1/leads", json=a_lead(), headers={"Authorization": "Bearer est_abc"})
    assert user_token_is_not_an_api_key.status_code == 401


def test_revoked_api_key_is_refused(app, client, demo):
    from server.cli import cli
    from server.models import ApiKey, utcnow

    with in_group(app, "autre-groupe"):
        key = db.session.execute(select(ApiKey)).scalars().first()
        key.revoked_at = utcnow()
        db.session.commit()
    try:
        response = client.post("/api/v1/leads", json=a_lead(),
                               headers={"Authorization": f"Bearer {demo['b']['api_key']}"})
        assert response.status_code == 401
    finally:
        # `eseller demo` restores the demo keys.
        assert app.test_cli_runner().invoke(cli, ["demo", "--group", "autre-groupe", "--json"]).exit_code == 0
    ok = client.post("/api/v1/leads", json=a_lead(), headers={"Authorization": f"Bearer {demo['b']['api_key']}"})
    assert ok.status_code == 202


def test_a_lead_goes_to_the_keys_group_only(app, client, demo):
    email = unique_email()
    response = client.post("/api/v1/leads", json=a_lead(customer={"last_name": "B", "email": email}),
                           headers={"Authorization": f"Bearer {demo['b']['api_key']}"})
    assert response.status_code == 202
    with in_group(app, "garage-du-parc"):
        assert db.session.get(Lead, int(response.json["id"])) is None
    with in_group(app, "autre-groupe"):
        assert db.session.get(Lead, int(response.json["id"])).contact.email == email


def test_widget_key_needs_an_allowed_origin_and_cors_reflects_only_it(app, client, demo):
    headers = {"X-Widget-Key": demo["a"]["widget_key"]}
    ok = client.post("/api/v1/leads", json=a_lead(), headers={**headers, "Origin": ORIGIN})
    assert ok.status_code == 202
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN and "Origin" in ok.headers["Vary"]
    with in_group(app, "garage-du-parc"):
        assert db.session.get(Lead, int(ok.json["id"])).channel == "widget"
    before = _lead_count(app)
    for origin in ("https://evil.example", None):
        refused = client.post("/api/v1/leads", json=a_lead(),
                              headers={**headers, **({"Origin": origin} if origin else {})})
        assert refused.status_code == 403 and refused.json["error"]["code"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in refused.headers
    assert _lead_count(app) == before


def test_cors_preflight(client, demo):
    allowed = client.options("/api/v1/leads", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-widget-key,idempotency-key"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Widget-Key" in allowed.headers["Access-Control-Allow-Headers"]
    refused = client.options("/api/v1/leads", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


def test_widget_bots_are_refused(app, client, demo):
    headers = {"X-Widget-Key": demo["a"]["widget_key"], "Origin": ORIGIN}
    before = _lead_count(app)
    honeypot = client.post("/api/v1/leads", json=a_lead(hp="http://spam.example"), headers=headers)
    too_fast = client.post("/api/v1/leads", json=a_lead(elapsed_ms=400), headers=headers)
    assert honeypot.status_code == too_fast.status_code == 422
    assert _lead_count(app) == before
    human = client.post("/api/v1/leads", json=a_lead(hp="", elapsed_ms=9000), headers=headers)
    assert human.status_code == 202


def test_widget_is_rate_limited_per_address_with_retry_after(client, demo):
    headers = {"X-Widget-Key": demo["a"]["widget_key"], "Origin": ORIGIN}
    codes = [client.post("/api/v1/leads", json=a_lead(), headers=headers,
                         environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code for _ in range(20)]
    assert codes == [202] * 20
    limited = client.post("/api/v1/leads", json=a_lead(), headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Access-Control-Allow-Origin"] == ORIGIN, "the widget can read the 429"
    other_visitor = client.post("/api/v1/leads", json=a_lead(), headers=headers,
                                environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert other_visitor.status_code == 202


def test_api_keys_are_rate_limited_per_key(app, api):
    app.config["INTAKE_KEY_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [api(a_lead()).status_code for _ in range(4)]
    finally:
        app.config["INTAKE_KEY_RATE_LIMIT"] = "6000 per minute"
    assert codes == [202, 202, 202, 429]


SCRIPT = "<script>alert('x')</script>"


def test_script_in_every_text_field_is_stored_as_text_and_escaped_everywhere(app, api, login):
    payload = a_lead(
        brand=SCRIPT, message=SCRIPT, external_id=f"{SCRIPT}-{uuid.uuid4().hex[:6]}", source="portal<b>",
        customer={"first_name": SCRIPT, "last_name": SCRIPT, "email": unique_email(), "phone": "0612345678",
                  "postal_code": "<i>1</i>", "city": SCRIPT},
        vehicle={"make": SCRIPT, "model": SCRIPT, "version": SCRIPT, "stock_ref": SCRIPT},
        trade_in={"make": SCRIPT, "model": SCRIPT, "plate": "<b>"},
        workshop={"service": SCRIPT, "plate": "<b>"},
    )
    response = api(payload)
    assert response.status_code == 202
    lead_id = int(response.json["id"])
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, lead_id)
        assert lead.message == SCRIPT and lead.contact.first_name == SCRIPT and lead.vehicle["make"] == SCRIPT
    # The cell and the admin see the lead (it has no site yet: the manager's sites do not cover it).
    for role in ("cell", "admin"):
        browser = login("a", role)
        for url in (f"/leads/{lead_id}", "/home"):
            page = browser.get(url)
            assert page.status_code == 200
            html = page.get_data(as_text=True)
            assert "<script>alert" not in html, (role, url)
            assert "&lt;script&gt;alert" in html, (role, url)
    api_json = login("a", "admin").get(f"/api/v1/leads/{lead_id}").json
    assert api_json["message"] == SCRIPT


def test_lead_api_json_roundtrip(app, api, login):
    response = api(a_lead(message="Bonjour"))
    lead_id = response.json["id"]
    lead = login("a", "admin").get(f"/api/v1/leads/{lead_id}").json
    assert lead["id"] == lead_id and lead["kind"] == "VO" and lead["message"] == "Bonjour"
    assert lead["customer"]["phone"].startswith("+3361")
    assert lead["vehicle"]["stock_ref"] == "VO-1042"


def test_timeline_says_why_a_lead_was_joined(app, api):
    email = unique_email()
    first = api(a_lead(customer={"last_name": "Why", "email": email})).json["id"]
    api(a_lead(customer={"last_name": "Why", "email": email}, source="leboncoin"))
    with in_group(app, "garage-du-parc"):
        entry = db.session.execute(select(LeadEntry).where(LeadEntry.lead_id == int(first),
                                                           LeadEntry.kind == "duplicate_joined")).scalar_one()
        assert "leboncoin" in entry.body and entry.data["source"] == "leboncoin"
