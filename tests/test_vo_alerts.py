"""Used-car alerts: saved from a customer file or a lead, fired once for each matching VO that
enters stock by any path (the /stock/new form, or a row inserted by code), to its owner only."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.extensions import db
from server.models import Contact, Event, Lead, Notification, Site, StockVehicle, User, VoAlert
from tests.conftest import demo_user_id, in_group
from tests.test_customers import GROUP_A, GROUP_B


def customer_with_lead(app, slug: str, seller_id: int) -> tuple[int, int]:
    with in_group(app, slug):
        contact = Contact(first_name="Nina", last_name=f"Alerte-{uuid.uuid4().hex[:6]}")
        db.session.add(contact)
        db.session.flush()
        lead = Lead(kind="VO", source="test", channel="direct", contact_id=contact.id, assignee_id=seller_id,
                    status="assigned")
        db.session.add(lead)
        db.session.commit()
        return contact.id, lead.id


def insert_vehicle(app, slug: str, **values) -> int:
    """A stock row written by code, as a DMS import would: no web request involved."""
    with in_group(app, slug):
        site = db.session.execute(select(Site).order_by(Site.id)).scalars().first()
        vehicle = StockVehicle(**{"site_id": site.id, "kind": "VO", "model": "Captur", "year": 2021,
                                  "mileage_km": 30000, "fuel": "petrol", "price_cents": 1_800_000,
                                  "stock_ref": f"AL-{uuid.uuid4().hex[:10]}", **values})
        db.session.add(vehicle)
        db.session.commit()
        return vehicle.id


def notifications(app, slug: str, make: str) -> list[Notification]:
    with in_group(app, slug):
        rows = db.session.execute(select(Notification).where(Notification.kind == "vo_alert")).scalars().all()
        return [n for n in rows if n.data.get("vehicle", {}).get("make") == make]


def alert_events(app, slug: str, lead_id: int) -> list[Event]:
    with in_group(app, slug):
        return list(db.session.execute(
            select(Event).where(Event.lead_id == lead_id, Event.type == "alert")).scalars())


def test_an_alert_fires_once_per_matching_vo_by_any_path(app, demo, login):
    make = f"Marque{uuid.uuid4().hex[:6]}"
    seller_id = demo_user_id(app, demo, "b", "seller")
    contact_id, lead_id = customer_with_lead(app, GROUP_B, seller_id)
    seller = login("b", "seller")
    # The form is on the customer file.
    assert 'action="/stock/alerts"' in seller.get(f"/customers/{contact_id}").get_data(as_text=True)
    response = seller.post("/stock/alerts", data={"lead_id": lead_id, "make": make, "max_price_eur": "20 000",
                                                  "max_mileage_km": "60000", "min_year": "2019"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with in_group(app, GROUP_B):
        alert = db.session.execute(select(VoAlert).where(VoAlert.lead_id == lead_id)).scalar_one()
        assert alert.user_id == seller_id and alert.contact_id == contact_id and alert.last_fired_at is None

    # 1. Through the manager's form.
    manager = login("b", "manager")
    with in_group(app, GROUP_B):
        me = db.session.execute(select(User).where(User.email == manager.user["email"])).scalar_one()
        site_id = sorted(me.site_ids)[0]
    response = manager.post("/stock/new", data={"kind": "VO", "site_id": site_id, "stock_ref": f"F-{make}",
                                                "make": make, "model": "Captur", "year": "2021",
                                                "mileage_km": "30000", "price_eur": "17990", "fuel": "petrol"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    fired = notifications(app, GROUP_B, make)
    assert len(fired) == 1 and fired[0].user_id == seller_id and fired[0].lead_id == lead_id
    assert fired[0].data["vehicle"]["stock_ref"] == f"F-{make}"
    events = alert_events(app, GROUP_B, lead_id)
    assert len(events) == 1 and events[0].user_ids == [seller_id] and events[0].roles == []
    assert events[0].payload["vehicle"]["stock_ref"] == f"F-{make}"

    # 2. Inserted by code (a DMS import, a script): the same single hook fires.
    vehicle_id = insert_vehicle(app, GROUP_B, make=make)
    fired = notifications(app, GROUP_B, make)
    assert len(fired) == 2 and {n.data["vehicle"]["id"] for n in fired} >= {vehicle_id}
    assert len(alert_events(app, GROUP_B, lead_id)) == 2
    with in_group(app, GROUP_B):
        assert db.session.get(VoAlert, alert.id).last_fired_at is not None

    # 3. Not for a VO that does not match, a VN, a VO that is not available, nor another group's car.
    insert_vehicle(app, GROUP_B, make=make, price_cents=2_500_000)
    insert_vehicle(app, GROUP_B, make=make, mileage_km=90000)
    insert_vehicle(app, GROUP_B, make=make, year=2015)
    insert_vehicle(app, GROUP_B, make=make, kind="VN")
    insert_vehicle(app, GROUP_B, make=make, status="reserved")
    insert_vehicle(app, GROUP_A, make=make)
    assert len(notifications(app, GROUP_B, make)) == 2
    assert len(alert_events(app, GROUP_B, lead_id)) == 2

    # The owner sees the fired alerts with the vehicle.
    page = seller.get("/stock/alerts").get_data(as_text=True)
    assert f"/stock/{vehicle_id}" in page and f"F-{make}" in page


def test_another_groups_alert_does_not_fire(app, demo, login):
    make = f"Marque{uuid.uuid4().hex[:6]}"
    seller_a = demo_user_id(app, demo, "a", "seller")
    contact_id, _lead_id = customer_with_lead(app, GROUP_A, seller_a)
    response = login("a", "seller").post("/stock/alerts", data={"contact_id": contact_id, "make": make})
    assert response.status_code == 302
    insert_vehicle(app, GROUP_B, make=make)
    assert notifications(app, GROUP_B, make) == [] and notifications(app, GROUP_A, make) == []
    # Its own group's car fires it: a notification only, since the alert has no lead (no event).
    insert_vehicle(app, GROUP_A, make=make)
    fired = notifications(app, GROUP_A, make)
    assert len(fired) == 1 and fired[0].user_id == seller_a and fired[0].lead_id is None


def test_alerts_are_for_visible_customers_and_deleted_by_their_owner(app, demo, login):
    seller_id = demo_user_id(app, demo, "a", "seller")
    contact_id, lead_id = customer_with_lead(app, GROUP_A, seller_id)
    other = login("a", "seller", 1)
    assert other.post("/stock/alerts", data={"lead_id": lead_id, "make": "Renault"}).status_code == 404
    assert other.post("/stock/alerts", data={"contact_id": contact_id, "make": "Renault"}).status_code == 404
    assert login("b", "admin").post("/stock/alerts", data={"contact_id": contact_id, "make": "Renault"}).status_code == 404
    seller = login("a", "seller")
    assert seller.post("/stock/alerts", data={"contact_id": contact_id}).status_code == 422  # no criterion
    assert seller.post("/stock/alerts", data={"contact_id": contact_id, "model": "Clio"}).status_code == 302
    with in_group(app, GROUP_A):
        alert_id = db.session.execute(select(VoAlert.id).where(VoAlert.contact_id == contact_id)).scalar_one()
    assert other.post("/stock/alerts/delete", data={"alert_id": alert_id}).status_code == 404
    assert login("b", "seller").post("/stock/alerts/delete", data={"alert_id": alert_id}).status_code == 404
    assert seller.post("/stock/alerts/delete", data={"alert_id": alert_id}).status_code == 302
    with in_group(app, GROUP_A):
        assert db.session.get(VoAlert, alert_id) is None
