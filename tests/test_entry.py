"""Direct entry of a lead (/leads/new): the seller's own lead, the cell's routed one, errors, joins."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Contact, DealerGroup, Lead, RoutingOutbox, StockVehicle, User
from tests.conftest import fresh_phone, in_group

GROUP_A = "garage-du-parc"


def entry(**fields) -> dict:
    phone, _ = fresh_phone()
    data = {"kind": "VO", "source": "showroom", "first_name": "Camille", "last_name": f"Test-{uuid.uuid4().hex[:8]}",
            "phone": phone, "email": "", "postal_code": "69003", "interest": "warm", "financing": "", "timeframe": ""}
    data.update(fields)
    return data


def lead_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/leads/(\d+)$", response.location)
    assert match, response.location
    return int(match.group(1))


def user_id(app, email: str) -> int:
    with in_group(app, GROUP_A):
        return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


def test_a_seller_enters_a_showroom_lead_with_a_trade_in(app, login):
    seller = login("a", "seller")
    home = seller.get("/home").get_data(as_text=True)
    assert 'href="/leads/new"' in home, "the seller's home page leads to the entry form"
    page = seller.get("/leads/new")
    assert page.status_code == 200
    assert 'name="kind"' in page.get_data(as_text=True)

    data = entry(trade_make="Renault", trade_model="Clio", trade_year="2015", trade_mileage="98000",
                 trade_plate="ab 123 cd", timeframe="within_1_month", financing="yes", message="Essai samedi ?")
    response = seller.post("/leads/new", data=data)
    lead_id = lead_id_of(response)
    me = user_id(app, seller.user["email"])

    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert (lead.channel, lead.source, lead.kind) == ("direct", "showroom", "VO")
        assert lead.assignee_id == me and lead.created_by_id == me and lead.status == "assigned"
        assert lead.site is not None and lead.site.code in {s.code for s in lead.assignee.sites}
        assert (lead.timeframe, lead.financing, lead.message) == ("within_1_month", True, "Essai samedi ?")
        assert lead.trade_in is not None
        assert (lead.trade_in.make, lead.trade_in.model, lead.trade_in.year, lead.trade_in.mileage_km,
                lead.trade_in.plate) == ("Renault", "Clio", 2015, 98000, "AB-123-CD")
        assert lead.trade_in.contact_id == lead.contact_id
        assert lead.contact.phone.startswith("+336")
        assert [e.kind for e in lead.entries][:2] == ["received", "assigned"]
        # A seller's own lead is not routed: nothing waits in the outbox for it.
        assert db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead_id)).first() is None

    page = seller.get(response.location)
    assert page.status_code == 200
    assert data["last_name"] in page.get_data(as_text=True)


def test_a_stock_vehicle_is_found_by_its_reference(app, login):
    with in_group(app, GROUP_A):
        vehicle = db.session.execute(
            select(StockVehicle).where(StockVehicle.status == "available", StockVehicle.kind == "VO").limit(1)
        ).scalar_one()
        ref, label = vehicle.stock_ref, vehicle.model
    seller = login("a", "seller")
    found = seller.get(f"/leads/new/stock?q={label}&kind=VO").get_json()["vehicles"]
    assert any(v["stock_ref"] == ref for v in found)
    lead_id = lead_id_of(seller.post("/leads/new", data=entry(stock_ref=ref.lower())))
    with in_group(app, GROUP_A):
        assert db.session.get(Lead, lead_id).stock_vehicle.stock_ref == ref
    response = seller.post("/leads/new", data=entry(stock_ref="NO-SUCH-REF"))
    assert response.status_code == 422
    assert "stock_ref-error" in response.get_data(as_text=True)


def test_the_cells_entry_goes_to_routing(app, login):
    cell = login("a", "cell")
    assert 'href="/leads/new"' in cell.get("/home").get_data(as_text=True)
    lead_id = lead_id_of(cell.post("/leads/new", data=entry(source="salon", kind="VN", make="Peugeot", model="3008")))
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert lead.assignee_id is None and lead.status == "new"
        assert (lead.channel, lead.source, lead.brand) == ("direct", "salon", "Peugeot")
        assert lead.created_by_id == user_id(app, cell.user["email"])
        assert db.session.execute(select(RoutingOutbox).where(RoutingOutbox.lead_id == lead_id)).scalar_one()


def test_a_workshop_request(app, login):
    manager = login("a", "manager")
    data = entry(kind="ATELIER", service="Révision", preferred_date="2030-03-12", make="Ignored", trade_plate="GH-456-JK",
                 trade_make="Peugeot", trade_model="208")
    lead_id = lead_id_of(manager.post("/leads/new", data=data))
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert lead.kind == "ATELIER" and lead.assignee_id is None
        assert lead.workshop == {"service": "Révision", "preferred_date": "2030-03-12", "plate": "GH-456-JK"}
        assert lead.vehicle == {}, "what the workshop form hides is not stored"
        # A manager's entry stays on one of their sites, where they can follow it.
        assert lead.site_id in {s.id for s in db.session.get(User, user_id(app, manager.user["email"])).sites}


def _count(app, model) -> int:
    with in_group(app, GROUP_A):
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("fields", "field_id", "text"),
    [
        ({"phone": "", "email": ""}, "phone", "Saisissez un numéro de téléphone ou une adresse e-mail."),
        ({"phone": "01 23"}, "phone", "Ce numéro de téléphone n’existe pas"),
        ({"email": "pas-un-email", "phone": ""}, "email", "Cette adresse e-mail n’est pas valide."),
        ({"first_name": "", "last_name": ""}, "last_name", "Saisissez un prénom ou un nom."),
        ({"trade_year": "deux mille"}, "trade_year", None),
    ],
)
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_stored(app, login, fields, field_id, text):
    seller = login("a", "seller")
    data = entry(**fields)
    before = (_count(app, Lead), _count(app, Contact))
    response = seller.post("/leads/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in body
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field_id}"', body)
    if text:
        error = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', body).group(1)
        assert text in error.replace("&#39;", "’").replace("'", "’")
    assert (_count(app, Lead), _count(app, Contact)) == before, "nothing is stored"
    if data["last_name"]:
        assert data["last_name"] in body, "what was typed is kept"


def test_markup_is_stored_as_text_and_shown_escaped(app, login):
    seller = login("a", "seller")
    script = "<script>alert(1)</script>"
    lead_id = lead_id_of(seller.post("/leads/new", data=entry(first_name=script, message=f"Bonjour {script}")))
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert lead.contact.first_name == script and lead.message == f"Bonjour {script}"
    for url in (f"/leads/{lead_id}", "/home"):
        body = seller.get(url).get_data(as_text=True)
        assert script not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_second_entry_for_the_same_customer_joins_the_open_lead(app, login):
    seller = login("a", "seller")
    data = entry(email=f"{uuid.uuid4().hex[:10]}@example.fr")
    first = lead_id_of(seller.post("/leads/new", data=data))
    again = seller.post("/leads/new", data={**data, "message": "Revenu avec son épouse", "phone": "",
                                            "source": "phone"}, follow_redirects=True)
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert "avait déjà un lead ouvert" in page
    with in_group(app, GROUP_A):
        assert db.session.scalar(select(func.count()).select_from(Lead).where(Lead.contact_id == db.session.get(
            Lead, first).contact_id)) == 1
        entries = db.session.get(Lead, first).entries
        joined = [e for e in entries if e.kind == "duplicate_joined"]
        assert len(joined) == 1 and "Revenu avec son épouse" in joined[0].body
        assert joined[0].data["channel"] == "direct"


@pytest.mark.parametrize("role", ["call_center", "admin"])
def test_other_roles_may_not_enter_leads(login, role):
    user = login("a", role)
    assert user.get("/leads/new").status_code == 403
    assert user.post("/leads/new", data=entry()).status_code == 403
    assert user.get("/leads/new/stock?q=peugeot").status_code == 403


def test_a_group_without_the_feature_may_not_enter_leads(app, login, demo):
    """SM3 (LM1, LM2) or CE2 (LM2): a group on the seller desktop edition alone has neither."""
    seller = login("b", "seller")
    with app.app_context():
        group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == "autre-groupe")).scalar_one()
        editions = list(group.editions)
        group.editions = ["SD"]
        db.session.commit()
    try:
        assert seller.get("/leads/new").status_code == 403
        assert 'href="/leads/new"' not in seller.get("/home").get_data(as_text=True)
    finally:
        with app.app_context():
            group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == "autre-groupe")).scalar_one()
            group.editions = editions
            db.session.commit()
    assert seller.get("/leads/new").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, demo):
    response = client.get("/leads/new")
    assert response.status_code == 302 and "/login" in response.location
