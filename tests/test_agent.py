"""The call-center agent's screen (/widget/agent): lookups while typing, the JSON submit, its guards."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Contact, Lead, OwnedVehicle, StockVehicle, User
from tests.conftest import fresh_phone, in_group

GROUP_A, GROUP_B = "garage-du-parc", "autre-groupe"


def make_contact(app, slug: str, **fields) -> dict:
    phone, e164 = fresh_phone()
    values = {"first_name": "Lou", "last_name": f"Agent{uuid.uuid4().hex[:8]}", "phone": e164,
              "email": f"lou.{uuid.uuid4().hex[:8]}@example.fr", "postal_code": "69007", **fields}
    with in_group(app, slug):
        contact = Contact(**values)
        db.session.add(contact)
        db.session.add(OwnedVehicle(contact=contact, make="Dacia", model="Sandero", year=2019, mileage_km=61000,
                                    plate="EF-456-GH"))
        db.session.commit()
        values["id"] = str(contact.id)
    return {**values, "national": phone}


def lead_body(**overrides) -> dict:
    phone, _ = fresh_phone()
    body = {"kind": "VO", "customer": {"first_name": "Nina", "last_name": f"Appel{uuid.uuid4().hex[:6]}", "phone": phone},
            "interest": "hot", "message": "Veut un essai", "callback": {"when": "morning"}}
    body.update(overrides)
    return body


def test_lookup_by_national_phone_finds_the_e164_contact(app, login):
    contact = make_contact(app, GROUP_A)
    agent = login("a", "call_center")
    typed = contact["national"][:8]  # "06 12 34": what the agent has typed so far
    found = agent.get(f"/widget/agent/customers?q={typed}").get_json()["customers"]
    assert contact["id"] in [c["id"] for c in found]
    assert len(found) <= 8
    mine = next(c for c in found if c["id"] == contact["id"])
    assert mine["phone"] == contact["phone"] and mine["phone_display"] == contact["national"]
    assert mine["owned_vehicles"][0]["plate"] == "EF-456-GH" and mine["open_leads"] == 0
    full = agent.get("/widget/agent/customers", query_string={"q": contact["national"]}).get_json()["customers"]
    assert [c["id"] for c in full] == [contact["id"]]
    international = agent.get("/widget/agent/customers", query_string={"q": contact["phone"]}).get_json()
    assert [c["id"] for c in international["customers"]] == [contact["id"]]


def test_lookup_by_email_and_name_prefix(app, login):
    contact = make_contact(app, GROUP_A, email=f"zo_{uuid.uuid4().hex[:8]}@example.fr")
    agent = login("a", "call_center")
    by_email = agent.get("/widget/agent/customers", query_string={"q": contact["email"][:9].upper()}).get_json()
    assert [c["id"] for c in by_email["customers"]] == [contact["id"]]
    by_name = agent.get("/widget/agent/customers", query_string={"q": contact["last_name"].lower()}).get_json()
    assert [c["id"] for c in by_name["customers"]] == [contact["id"]]
    # '_' is not a wildcard: "zo%" must not match what "zo_" does not.
    assert agent.get("/widget/agent/customers?q=zo%25").get_json()["customers"] == []
    assert agent.get("/widget/agent/customers?q=zo").get_json()["customers"] == [], "3 characters at least"


def test_another_groups_customers_never_appear(app, login):
    theirs = make_contact(app, GROUP_B, last_name=f"Ailleurs{uuid.uuid4().hex[:8]}")
    agent = login("a", "call_center")
    for query in (theirs["last_name"], theirs["email"], theirs["national"], theirs["phone"]):
        response = agent.get("/widget/agent/customers", query_string={"q": query})
        assert response.status_code == 200
        assert response.get_json()["customers"] == [], query
    other = login("b", "call_center")
    found = other.get("/widget/agent/customers", query_string={"q": theirs["last_name"]}).get_json()["customers"]
    assert [c["id"] for c in found] == [theirs["id"]], "the lookup itself works in group B"


def test_stock_search(app, login):
    with in_group(app, GROUP_A):
        vehicle = db.session.execute(
            select(StockVehicle).where(StockVehicle.status == "available").order_by(StockVehicle.id).limit(1)
        ).scalar_one()
        ref, make, model, site = vehicle.stock_ref, vehicle.make, vehicle.model, vehicle.site.name
        sold = db.session.execute(select(StockVehicle.stock_ref).where(StockVehicle.status == "sold").limit(1)).scalar()
    agent = login("a", "call_center")
    found = agent.get("/widget/agent/stock", query_string={"q": f"{make} {model}"}).get_json()["vehicles"]
    assert 0 < len(found) <= 8
    assert all(make.lower() in v["make"].lower() and model.lower() in v["model"].lower() for v in found)
    by_ref = agent.get("/widget/agent/stock", query_string={"q": ref}).get_json()["vehicles"]
    assert by_ref[0]["stock_ref"] == ref and by_ref[0]["site"]["name"] == site
    assert by_ref[0]["price_eur"] > 0 and "€" in by_ref[0]["price_label"]
    if sold:
        assert agent.get("/widget/agent/stock", query_string={"q": sold}).get_json()["vehicles"] == []


def test_submit_creates_the_lead_and_it_shows_in_the_agents_list(app, login):
    agent = login("a", "call_center")
    page = agent.get("/widget/agent")
    assert page.status_code == 200
    assert 'name="csrf-token"' in page.get_data(as_text=True)
    with in_group(app, GROUP_A):
        ref = db.session.execute(
            select(StockVehicle.stock_ref).where(StockVehicle.status == "available", StockVehicle.kind == "VO").limit(1)
        ).scalar_one()
    body = lead_body(vehicle={"stock_ref": ref}, trade_in={"make": "Fiat", "model": "Panda", "year": 2012},
                     timeframe="now", financing=False, source="someone-else", external_id="X-1")
    response = agent.post("/widget/agent/leads", json=body)
    assert response.status_code == 202, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "received" and answer["outcome"] == "created"
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, int(answer["id"]))
        agent_id = db.session.execute(select(User.id).where(User.email == agent.user["email"])).scalar_one()
        assert (lead.channel, lead.source, lead.created_by_id) == ("call_center", "call_center", agent_id)
        assert lead.external_id is None, "an agent does not choose the source's external id"
        assert (lead.interest, lead.timeframe, lead.financing) == ("hot", "now", False)
        assert lead.stock_vehicle.stock_ref == ref and lead.trade_in.model == "Panda"
        assert lead.message == "Veut un essai\n\nRappel souhaité : le matin"
    listed = agent.get("/api/v1/call-center/leads").get_json()["leads"]
    assert listed[0]["id"] == answer["id"]
    assert listed[0]["channel"] == "call_center"


def test_a_callback_at_a_given_time_and_a_second_call_joining(app, login):
    agent = login("a", "call_center")
    body = lead_body(kind="ATELIER", workshop={"service": "Pneus"}, callback={"when": "at", "at": "2031-05-06T14:30"})
    first = agent.post("/widget/agent/leads", json=body).get_json()
    with in_group(app, GROUP_A):
        message = db.session.get(Lead, int(first["id"])).message
    assert message.startswith("Veut un essai\n\nRappel souhaité : ") and "14:30" in message and "mai" in message
    again = agent.post("/widget/agent/leads", json={**body, "callback": {"when": "asap"}, "message": "Rappelle"})
    assert again.status_code == 202
    assert again.get_json() == {"id": first["id"], "status": "received", "outcome": "joined"}
    past = agent.post("/widget/agent/leads", json=lead_body(callback={"when": "at", "at": "2001-01-01T10:00"}))
    assert past.status_code == 422 and "callback.at" in past.get_json()["error"]["fields"]


def test_422_names_the_fields(app, login):
    agent = login("a", "call_center")
    response = agent.post("/widget/agent/leads", json=lead_body(customer={"last_name": "Durand", "phone": "01 23"}))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["customer.phone"]
    assert re.search("numéro", error["fields"]["customer.phone"][0])
    assert agent.post("/widget/agent/leads", json=lead_body(kind="BOAT")).get_json()["error"]["fields"].keys() == {"kind"}
    malformed = agent.post("/widget/agent/leads", data="{nope", content_type="application/json")
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"] == "malformed_json"


def test_missing_csrf_header_is_refused(app, login):
    agent = login("a", "call_center")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = agent.get("/widget/agent").get_data(as_text=True)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        refused = agent.post("/widget/agent/leads", json=lead_body())
        assert refused.status_code == 400
        assert refused.get_json()["error"]["code"] == "bad_request"
        accepted = agent.post("/widget/agent/leads", json=lead_body(), headers={"X-CSRFToken": token})
        assert accepted.status_code == 202
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("role", ["seller", "cell", "manager", "admin"])
def test_other_roles_get_403(login, role):
    user = login("a", role)
    assert user.get("/widget/agent").status_code == 403
    assert user.get("/widget/agent/customers?q=dupont").status_code == 403
    refused = user.post("/widget/agent/leads", json=lead_body())
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


def test_signed_out_requests_go_to_sign_in(client, demo):
    response = client.get("/widget/agent")
    assert response.status_code == 302 and "/login" in response.location
