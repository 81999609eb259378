"""/stock/alerts: save a used-car alert for a customer or a lead, list mine and what fired, delete."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from server.auth.access import feature_required, roles_required
from server.customers.scope import visible_customers
from server.extensions import db
from server.leads.visibility import visible_leads
from server.models import Contact, Lead, Notification, Site, VoAlert
from server.stock.alerts import alert_form_context
from server.stock.forms import parse_criteria
from server.stock.views import STOCK_ROLES, bp

FIRED_SHOWN = 50


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    contact_id = _id(request.values.get("contact_id"))
    lead_id = _id(request.values.get("lead_id"))
    alerts = list(db.session.execute(
        select(VoAlert).where(VoAlert.user_id == current_user.id).order_by(VoAlert.created_at.desc(), VoAlert.id.desc())
    ).scalars())
    contacts = {c.id: c for c in db.session.execute(
        select(Contact).where(Contact.id.in_({a.contact_id for a in alerts if a.contact_id}))
    ).scalars()}
    fired = list(db.session.execute(
        select(Notification).where(Notification.user_id == current_user.id, Notification.kind == "vo_alert")
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(FIRED_SHOWN)
    ).scalars())
    sites = {s.id: s for s in db.session.execute(select(Site)).scalars()}
    return render_template(
        "stock/alerts.html", alerts=alerts, contacts=contacts, fired=fired, sites=sites,
        form=form or {}, errors=errors or {}, alert=alert_form_context(contact_id=contact_id, lead_id=lead_id),
    ), status


@bp.route("/alerts")
@roles_required(*STOCK_ROLES)
@feature_required("SM4", "SD4")
def alerts():
    return _page()


@bp.route("/alerts", methods=["POST"])
@roles_required(*STOCK_ROLES)
@feature_required("SM4", "SD4")
def create_alert():
    contact_id = _id(request.form.get("contact_id"))
    lead_id = _id(request.form.get("lead_id"))
    lead = contact = None
    if lead_id is not None:
        lead = db.session.execute(visible_leads(current_user).where(Lead.id == lead_id)).scalar_one_or_none()
        if lead is None:
            abort(404)
        contact_id = contact_id or lead.contact_id
    if contact_id is not None:
        contact = db.session.execute(
            visible_customers(current_user).where(Contact.id == contact_id)
        ).scalar_one_or_none()
        if contact is None:
            abort(404)
    if contact is None or (lead is not None and lead.contact_id != contact.id):
        # An alert is always for somebody the seller will call back: a customer, or a lead's.
        abort(400)
    site_ids = set(db.session.execute(select(Site.id)).scalars())
    criteria, errors = parse_criteria(request.form, site_ids)
    if errors:
        return _page(request.form, errors, 422)
    active_until = None
    if request.form.get("active_until"):
        try:
            active_until = date.fromisoformat(request.form["active_until"])
        except ValueError:
            return _page(request.form, {"active_until": _("A date, please.")}, 422)
    db.session.add(VoAlert(user_id=current_user.id, contact_id=contact.id, lead_id=lead.id if lead else None,
                           criteria=criteria, active_until=active_until))
    db.session.commit()
    flash(_("Alert saved: you will be notified when a matching used car arrives."), "success")
    return redirect(url_for("stock.alerts"))


@bp.route("/alerts/delete", methods=["POST"])
@roles_required(*STOCK_ROLES)
@feature_required("SM4", "SD4")
def delete_alert():
    # The id travels in the form, not the path: a user deletes only their own alerts.
    alert_id = _id(request.form.get("alert_id"))
    alert = db.session.execute(
        select(VoAlert).where(VoAlert.id == alert_id, VoAlert.user_id == current_user.id)
    ).scalar_one_or_none() if alert_id else None
    if alert is None:
        abort(404)
    db.session.delete(alert)
    db.session.commit()
    flash(_("Alert deleted."), "success")
    return redirect(url_for("stock.alerts"))

