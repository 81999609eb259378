"""VN/VO stock (SM4, SD4): filters, stable paging, the vehicle page, proposing it to a lead,
tenant isolation and the edition gate."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from server.extensions import db
from server.models import Contact, Event, Lead, LeadEntry, Site, StockVehicle
from tests.conftest import demo_user_id, in_group
from tests.test_customers import GROUP_A, GROUP_B, editions

REF = re.compile(r"T\d+-[0-9a-f]{6}-\d+")


def add_vehicles(app, specs: list[dict], slug: str = GROUP_A) -> list[int]:
    """Stock rows for one test; a made-up make keeps them apart from the demo's and other tests'.
    Bulk rows go to group B: tests/test_demo.py counts group A's stock as the demo made it."""
    with in_group(app, slug):
        site = db.session.execute(select(Site).order_by(Site.id)).scalars().first()
        rows = []
        for spec in specs:
            values = {"site_id": site.id, "kind": "VO", "model": "Modèle", "year": 2020, "mileage_km": 50000,
                      "fuel": "diesel", "price_cents": 1_500_000, "status": "available", **spec}
            rows.append(StockVehicle(**values))
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def refs_in(body: str) -> list[str]:
    return REF.findall(body)


def unique_make() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:6]
    return f"Marque{tag}", tag


def test_filters(app, login):
    make, tag = unique_make()

    def ref(n: int) -> str:
        return f"T1-{tag}-{n}"

    add_vehicles(app, [
        {"make": make, "stock_ref": ref(1), "price_cents": 1_000_000, "mileage_km": 20000, "year": 2022, "fuel": "petrol"},
        {"make": make, "stock_ref": ref(2), "price_cents": 2_000_000, "mileage_km": 90000, "year": 2018},
        {"make": make, "stock_ref": ref(3), "kind": "VN", "price_cents": 3_000_000, "mileage_km": 10, "year": 2026},
        {"make": make, "stock_ref": ref(4), "status": "sold"},
        {"make": make, "stock_ref": ref(5), "model": "Autre", "price_cents": 1_200_000},
    ], slug=GROUP_B)
    seller = login("b", "seller")

    def found(**args) -> list[str]:
        response = seller.get("/stock", query_string={"make": make, **args})
        assert response.status_code == 200
        return refs_in(response.get_data(as_text=True))

    assert found() == [ref(1), ref(5), ref(2), ref(3)]  # available only, cheapest first
    assert found(sort="price_desc") == [ref(3), ref(2), ref(5), ref(1)]
    assert found(kind="VO") == [ref(1), ref(5), ref(2)]
    assert found(kind="VN") == [ref(3)]
    assert found(model="autr") == [ref(5)]
    assert found(min_price="11000", max_price="25000") == [ref(5), ref(2)]
    assert found(max_mileage="50000") == [ref(1), ref(5), ref(3)]
    assert found(min_year="2021") == [ref(1), ref(3)]
    assert found(fuel="petrol") == [ref(1)]
    assert found(status="sold") == [ref(4)]
    assert ref(4) in found(status="all")
    assert found(site_id="999999") == []


def test_pagination_is_stable(app, login):
    make, tag = unique_make()
    # The same price everywhere: only the id tie-break keeps the pages apart.
    add_vehicles(app, [{"make": make, "stock_ref": f"T2-{tag}-{n}"} for n in range(25)], slug=GROUP_B)
    seller = login("b", "seller")
    first = seller.get("/stock", query_string={"make": make}).get_data(as_text=True)
    second = seller.get("/stock", query_string={"make": make, "page": 2}).get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="next"' not in second
    pages = refs_in(first) + refs_in(second)
    assert len(refs_in(first)) == 20
    assert sorted(pages) == sorted(f"T2-{tag}-{n}" for n in range(25))
    assert refs_in(seller.get("/stock", query_string={"make": make}).get_data(as_text=True)) == refs_in(first)


def test_vehicle_page_and_proposing_it_to_a_lead(app, demo, login):
    make, tag = unique_make()
    [vehicle_id] = add_vehicles(app, [{"make": make, "stock_ref": f"T3-{tag}-1", "colour": "Bleu Tempête"}])
    seller_id = demo_user_id(app, demo, "a", "seller")
    with in_group(app, GROUP_A):
        contact = Contact(first_name="Paul", last_name=f"Propose-{tag}")
        db.session.add(contact)
        db.session.flush()
        lead = Lead(kind="VO", source="test", channel="direct", contact_id=contact.id, assignee_id=seller_id,
                    status="assigned")
        db.session.add(lead)
        db.session.commit()
        lead_id = lead.id
    seller = login("a", "seller")
    page = seller.get(f"/stock/{vehicle_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Bleu Tempête" in body and f'value="{lead_id}"' in body
    response = seller.post(f"/stock/{vehicle_id}/propose", data={"lead_id": lead_id})
    assert response.status_code == 302 and response.location.endswith(f"/leads/{lead_id}")
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, lead_id)
        assert lead.stock_vehicle_id == vehicle_id
        entries = db.session.execute(
            select(LeadEntry).where(LeadEntry.lead_id == lead_id, LeadEntry.kind == "vehicle_proposed")
        ).scalars().all()
        assert len(entries) == 1 and entries[0].data["stock_vehicle_id"] == vehicle_id
        events = db.session.execute(select(Event).where(Event.lead_id == lead_id, Event.type == "lead.updated")).scalars().all()
        assert len(events) == 1 and seller_id in events[0].user_ids
    # A lead the seller cannot see cannot be given a vehicle.
    other = login("a", "seller", 1)
    assert other.post(f"/stock/{vehicle_id}/propose", data={"lead_id": lead_id}).status_code == 404


def test_another_groups_vehicle_is_not_found(app, login):
    make, tag = unique_make()
    [vehicle_id] = add_vehicles(app, [{"make": make, "stock_ref": f"T4-{tag}-1"}])
    admin_b = login("b", "admin")
    assert admin_b.get(f"/stock/{vehicle_id}").status_code == 404
    assert admin_b.post(f"/stock/{vehicle_id}/propose", data={"lead_id": 1}).status_code == 404
    assert refs_in(admin_b.get("/stock", query_string={"make": make}).get_data(as_text=True)) == []


def test_stock_belongs_to_its_editions(app, login):
    make, tag = unique_make()
    [vehicle_id] = add_vehicles(app, [{"make": make, "stock_ref": f"T5-{tag}-1"}], slug=GROUP_B)
    with editions(app, GROUP_B, ["LM1"]):
        seller = login("b", "seller")
        assert seller.get("/stock").status_code == 403
        assert seller.get(f"/stock/{vehicle_id}").status_code == 403
        assert 'href="/stock"' not in seller.get("/home").get_data(as_text=True)
    with editions(app, GROUP_B, ["LM1", "DMS"]):
        seller = login("b", "seller")
        assert seller.get(f"/stock/{vehicle_id}").status_code == 200
        assert 'href="/stock"' in seller.get("/home").get_data(as_text=True)
    assert login("a", "call_center").get("/stock").status_code == 403
    assert login("a", "seller").get("/stock/new").status_code == 403
