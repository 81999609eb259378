"""The customer file (SM2, SD5): search by phone/name/e-mail, the file with history and leads,
who may open it, and the edition gate (LM1 needs the DMS option)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select

from server.extensions import db
from server.models import (
    Consent,
    Contact,
    DealerGroup,
    Lead,
    OwnedVehicle,
    PurchaseLine,
    Site,
    WorkshopLine,
)
from tests.conftest import demo_user_id, fresh_phone, in_group

GROUP_A, GROUP_B = "garage-du-parc", "autre-groupe"


def make_contact(app, slug: str = GROUP_A, *, phone: str | None = None, history: bool = False,
                 lead_for: int | None = None) -> dict:
    """A customer of the group (with DMS history, and a lead assigned to `lead_for` if given)."""
    last = f"Fiche-{uuid.uuid4().hex[:8]}"
    with in_group(app, slug):
        contact = Contact(first_name="Léa", last_name=last, phone=phone, email=f"{last.lower()}@example.com")
        db.session.add(contact)
        db.session.flush()
        ids = {"contact": contact.id, "last_name": last}
        if history:
            owned = OwnedVehicle(contact_id=contact.id, make="Peugeot", model="208", year=2017, mileage_km=81000)
            db.session.add(owned)
            db.session.flush()
            db.session.add_all([
                Consent(contact_id=contact.id, channel="email", purpose="marketing", granted=True, text_version="v1",
                        page_url="https://garage.example/old"),
                Consent(contact_id=contact.id, channel="email", purpose="marketing", granted=False,
                        text_version="v2-test", page_url="https://garage.example/withdraw"),
                PurchaseLine(contact_id=contact.id, purchased_on=date(2019, 5, 3), kind="VO", make="Peugeot",
                             model="208", price_cents=1_249_000),
                WorkshopLine(contact_id=contact.id, owned_vehicle_id=owned.id, visited_on=date(2024, 2, 1),
                             description=f"Vidange {last}", mileage_km=76543, amount_cents=18_950),
            ])
        if lead_for is not None:
            site = db.session.execute(select(Site).order_by(Site.id)).scalars().first()
            lead = Lead(kind="VO", source="test", channel="direct", contact_id=contact.id, site_id=site.id,
                        assignee_id=lead_for, status="assigned")
            db.session.add(lead)
            db.session.flush()
            ids["lead"] = lead.id
        db.session.commit()
    return ids


@contextmanager
def editions(app, slug: str, values: list[str]) -> Iterator[None]:
    """Switch a group's editions for the block, and put them back whatever happens."""
    with app.app_context():
        group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == slug)).scalar_one()
        before = list(group.editions)
        group.editions = values
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == slug)).scalar_one()
            group.editions = before
            db.session.commit()


def test_search_by_national_phone_finds_the_e164_contact(app, login):
    national, e164 = fresh_phone("07")
    ids = make_contact(app, phone=e164)
    manager = login("a", "admin")
    page = manager.get("/customers", query_string={"q": national})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'/customers/{ids["contact"]}"' in body and ids["last_name"] in body
    by_name = manager.get("/customers", query_string={"q": ids["last_name"].lower()}).get_data(as_text=True)
    assert f'/customers/{ids["contact"]}"' in by_name
    by_mail = manager.get("/customers", query_string={"q": f'{ids["last_name"].lower()}@example.com'})
    assert f'/customers/{ids["contact"]}"' in by_mail.get_data(as_text=True)


def test_the_file_shows_history_consents_and_leads(app, demo, login):
    seller_id = demo_user_id(app, demo, "a", "seller")
    ids = make_contact(app, history=True, lead_for=seller_id)
    seller = login("a", "seller")
    page = seller.get(f'/customers/{ids["contact"]}')
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'Vidange {ids["last_name"]}' in body  # workshop history
    assert "76543" in body and "Peugeot 208" in body  # mileage, the owned vehicle
    assert "12" in body and "490" in body  # purchase price 12 490 €
    assert "v2-test" in body and "v1" not in body.split("v2-test")[0][-400:]  # the latest consent wins
    assert f'/leads/{ids["lead"]}"' in body
    # The lead page links back to the customer file.
    assert f'/customers/{ids["contact"]}"' in seller.get(f'/leads/{ids["lead"]}').get_data(as_text=True)


def test_a_seller_cannot_open_a_customer_without_a_lead_of_theirs(app, demo, login):
    other_seller = demo_user_id(app, demo, "a", "seller", 1)
    ids = make_contact(app, lead_for=other_seller)
    alone = make_contact(app)
    seller = login("a", "seller")
    assert seller.get(f'/customers/{ids["contact"]}').status_code == 404
    assert seller.get(f'/customers/{alone["contact"]}').status_code == 404
    found = seller.get("/customers", query_string={"q": ids["last_name"]}).get_data(as_text=True)
    assert f'/customers/{ids["contact"]}"' not in found
    # The cell and admins see any customer of their group.
    assert login("a", "cell").get(f'/customers/{alone["contact"]}').status_code == 200
    assert login("a", "call_center").get(f'/customers/{alone["contact"]}').status_code == 403


def test_another_groups_customer_is_not_found(app, login):
    ids = make_contact(app, GROUP_A)
    admin_b = login("b", "admin")
    assert admin_b.get(f'/customers/{ids["contact"]}').status_code == 404
    found = admin_b.get("/customers", query_string={"q": ids["last_name"]}).get_data(as_text=True)
    assert f'/customers/{ids["contact"]}"' not in found and 'class="empty"' in found


def test_lm1_without_the_dms_option_has_no_customer_file(app, login):
    ids = make_contact(app, GROUP_B)
    with editions(app, GROUP_B, ["LM1"]):
        seller = login("b", "seller")
        assert seller.get("/customers").status_code == 403
        assert seller.get(f'/customers/{ids["contact"]}').status_code == 403
        assert 'href="/customers"' not in seller.get("/home").get_data(as_text=True)
    with editions(app, GROUP_B, ["LM1", "DMS"]):
        admin = login("b", "admin")
        assert admin.get(f'/customers/{ids["contact"]}').status_code == 200
        assert 'href="/customers"' in admin.get("/home").get_data(as_text=True)
