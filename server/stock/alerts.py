"""Used-car alerts (SM4, SD4): saved criteria that fire when a matching VO enters stock.

"Enters stock" is detected in ONE place, whatever the path (the /stock/new form, a DMS import, the
demo, a script): an `after_flush` listener on every Session collects the new VO rows that are
available, and after the commit the matching runs in a fresh transaction. Why after the commit,
and not inside the inserting transaction:
  - an import or a form must never fail, nor wait on locks, because an alert could not be written;
  - a vehicle whose insertion is rolled back never fires (on_commit callbacks are then dropped);
  - the session that committed cannot emit SQL any more from its after_commit hook, so the matching
    runs in a new app context, which gives it its own scoped session (and `record_event` writes to
    that session, so the `alert` event is numbered and pushed by the one event mechanism).
"""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.after_commit import on_commit_of
from server.extensions import db
from server.models import Lead, Notification, StockVehicle, VoAlert, utcnow
from server.realtime.events import record_event
from server.stock.labels import euros
from server.tenancy import group_scope

log = logging.getLogger(__name__)


def alert_matches(criteria: dict | None, vehicle: StockVehicle) -> bool:
    """Every criterion set must hold; an unset one does not filter."""
    c = criteria or {}
    if c.get("make") and str(c["make"]).casefold() != vehicle.make.casefold():
        return False
    # "Clio" matches "Clio" and "Clio Estate": sellers type the family, the DMS the exact model.
    if c.get("model") and str(c["model"]).casefold() not in vehicle.model.casefold():
        return False
    if c.get("max_price_cents") is not None and vehicle.price_cents > int(c["max_price_cents"]):
        return False
    if c.get("max_mileage_km") is not None and (vehicle.mileage_km or 0) > int(c["max_mileage_km"]):
        return False
    if c.get("min_year") is not None and (vehicle.year is None or vehicle.year < int(c["min_year"])):
        return False
    if c.get("fuel") and c["fuel"] != vehicle.fuel:
        return False
    return not (c.get("site_id") and int(c["site_id"]) != vehicle.site_id)


def vehicle_json(vehicle: StockVehicle) -> dict:
    return {
        "id": vehicle.id, "stock_ref": vehicle.stock_ref, "kind": vehicle.kind, "label": vehicle.label,
        "make": vehicle.make, "model": vehicle.model, "year": vehicle.year, "mileage_km": vehicle.mileage_km,
        "fuel": vehicle.fuel, "price_cents": vehicle.price_cents, "site_id": vehicle.site_id,
    }


def _latest_lead(contact_id: int | None) -> Lead | None:
    """A customer's alert is told live along with their latest lead: events travel with a lead."""
    if contact_id is None:
        return None
    return db.session.execute(
        select(Lead).where(Lead.contact_id == contact_id).order_by(Lead.received_at.desc(), Lead.id.desc()).limit(1)
    ).scalar_one_or_none()


def fire_alerts(vehicles: list[StockVehicle]) -> int:
    """Fire every active matching alert of the current group for these vehicles; returns how many
    notifications were written. The caller commits."""
    today = date.today()
    alerts = list(db.session.execute(
        select(VoAlert).where(or_(VoAlert.active_until.is_(None), VoAlert.active_until >= today)).order_by(VoAlert.id)
    ).scalars())
    fired = 0
    for vehicle in vehicles:
        if vehicle.kind != "VO" or vehicle.status != "available":
            continue
        payload = vehicle_json(vehicle)
        text = f"{vehicle.label} · {vehicle.year or ''} · {vehicle.mileage_km} km · {euros(vehicle.price_cents)}"
        for alert in alerts:
            if not alert_matches(alert.criteria, vehicle):
                continue
            alert.last_fired_at = utcnow()
            db.session.add(Notification(user_id=alert.user_id, kind="vo_alert", text=text, lead_id=alert.lead_id,
                                        data={"alert_id": alert.id, "vehicle": payload}))
            lead = db.session.get(Lead, alert.lead_id) if alert.lead_id else _latest_lead(alert.contact_id)
            if lead is not None:
                # Only the alert's owner: it is their customer and their saved search.
                record_event("alert", lead, user_ids=(alert.user_id,), extra={"vehicle": payload})
            fired += 1
    return fired


def _match_after_commit(app: Flask, group_id: int, vehicle_ids: list[int]) -> None:
    # A new app context = a new scoped session: the committing one is closed to SQL here.
    with app.app_context(), group_scope(group_id):
        try:
            vehicles = list(db.session.execute(
                select(StockVehicle).where(StockVehicle.id.in_(vehicle_ids)).order_by(StockVehicle.id)
            ).scalars())
            if fire_alerts(vehicles):
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _collect_arrivals(session: Session, _flush_context) -> None:
    """after_flush: new VO rows, available, flushed in this transaction (ids are known now)."""
    arrivals: dict[int, list[int]] = {}
    for obj in session.new:
        if isinstance(obj, StockVehicle) and obj.kind == "VO" and obj.status == "available":
            arrivals.setdefault(obj.group_id, []).append(obj.id)
    if not arrivals:
        return
    if not has_app_context():
        log.warning("VO stock added outside an application context: used-car alerts not checked")
        return
    app = current_app._get_current_object()
    for group_id, ids in arrivals.items():
        on_commit_of(session, _match_after_commit, app, group_id, ids)


def init_app(app: Flask) -> None:
    # On the Session class, once per process: every session of every app sees new stock.
    if not sa_event.contains(Session, "after_flush", _collect_arrivals):
        sa_event.listen(Session, "after_flush", _collect_arrivals)


def alert_form_context(*, contact_id: int | None = None, leads: list[Lead] | None = None,
                       lead_id: int | None = None) -> dict:
    """What the alert form needs when shown inside another page (the customer file)."""
    from server.models import Site
    from server.models.vehicle import FUELS

    sites = list(db.session.execute(select(Site).order_by(Site.code)).scalars())
    return {"contact_id": contact_id, "lead_id": lead_id, "leads": leads or [], "sites": sites, "fuels": FUELS}
