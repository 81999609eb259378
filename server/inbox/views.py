"""The realtime inboxes (SM1, SD1, CE1, CE5): the pages, the card fragments, and their JSON.

Cards are rendered here, by the same template for the first page and for every live update:
a pushed event only tells the browser which lead changed, and the browser asks this server for
the card as the database has it now. The event log is a hint; the database is the truth.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from server.api.errors import ApiError
from server.auth.access import feature_required, roles_required
from server.extensions import db
from server.inbox import service
from server.leads.visibility import visible_leads
from server.models import Lead, Site, utcnow
from server.notifications.views import unread_of_kind

bp = Blueprint("inbox", __name__)
api = Blueprint("inbox_api", __name__, url_prefix="/api/v1")

SELLER_FEATURES = ("SM1", "SD1")
CELL_FEATURES = ("CE1",)
TRANSFER_FEATURES = ("MG1", "CE5")


def _has_any(features: tuple[str, ...]) -> bool:
    return any(current_user.group.has_feature(fid) for fid in features)


def page_config(mode: str, last_seq: int | None = None) -> dict:
    """What inbox.js needs to know, in one JSON block (the CSP allows no inline script).

    `last_seq` is where the rendered list stands in the event log: read before the list, so that
    an event committed in between is caught up (applied twice at worst, which changes nothing).
    """
    return {
        "mode": mode,
        "user_id": str(current_user.id),
        "last_seq": service.current_seq(current_user.group_id) if last_seq is None else last_seq,
        "now": utcnow().isoformat(),
        "timezone": current_user.group.timezone,
        **service.clock_settings(),
        "urls": {
            "events": url_for("events_api.events"),
            "card": url_for("inbox.card", lead_id=0),
            "lead_api": url_for("lead_api.acknowledge", lead_id=0).removesuffix("/0/ack"),
            "sellers": url_for("inbox_api.sellers"),
            "waiting": url_for("inbox_api.waiting"),
        },
        "texts": js_texts(),
    }


def js_texts() -> dict:
    """The words the browser writes itself (cards come translated from the server)."""
    return {
        "on_time": _("On time"), "at_risk": _("At risk"), "breached": _("Late"), "done": _("Contacted"),
        "left": _("%(time)s left"), "late_by": _("by %(time)s"), "day": _("d"),
        "new_lead": _("New lead"),
        "escalated": _("Escalated: call this customer now."),
        "acknowledged": _("Acknowledged."), "call_logged": _("Call logged."),
        "call_back_planned": _("Call back planned."), "pick_time": _("Choose when to call back."),
        "failed": _("That did not work. Check your connection and try again."),
        "notifications_on": _("Alerts are on for this device."),
        "notifications_denied": _("Alerts are blocked in this browser's settings."),
        "on_duty": _("On duty"), "off_duty": _("Off duty"), "open_leads": _("%(count)s open"),
        "today": _("%(count)s today"), "capacity": _("capacity %(count)s"), "at_limit": _("at the limit"),
        "no_seller": _("No seller works at this site."), "loading": _("Loading…"),
        "reason_required": _("Say why: the seller and the timeline will read it."),
        "seller_required": _("Choose a seller."), "transferred": _("Lead handed to %(name)s."),
        "current": _("holds it now"), "open_full_page": _("Open the full page"),
        "action_due": _("An action is due now."),
        "vo_alert": _("A used car matching your alert has arrived"), "vo_alert_for": _("for %(name)s"), "removed": _("A lead left your list: a colleague has it now, or it is closed."),
    }


def seller_page():
    now = utcnow()
    last_seq = service.current_seq(current_user.group_id)
    leads, total = service.seller_inbox(current_user)
    overdue, today = service.seller_actions(current_user, now)
    config = page_config("seller", last_seq)
    return render_template("inbox/seller.html", leads=leads, total=total, overdue=overdue, today=today,
                           config=config, clock_of=service.clock_of,
                           vo_alerts=unread_of_kind(current_user, "vo_alert", limit=5))


def cell_page():
    last_seq = service.current_seq(current_user.group_id)
    leads, total = service.cell_inbox()
    config = page_config("cell", last_seq)
    return render_template("inbox/cell.html", leads=leads, total=total, config=config, clock_of=service.clock_of,
                           sites=service.assignable_sites(current_user),
                           can_transfer=_has_any(TRANSFER_FEATURES))


@bp.route("/inbox/leads/<int:lead_id>/card")
@login_required
def card(lead_id: int):
    """One card as the inbox shows it now; 204 when the lead no longer belongs in this inbox."""
    if current_user.role == "seller" and _has_any(SELLER_FEATURES):
        template, belongs = "inbox/_seller_card.html", service.in_seller_inbox
    elif current_user.role == "cell" and _has_any(CELL_FEATURES):
        template, belongs = "inbox/_cell_card.html", lambda _user, lead: service.is_waiting(lead)
    else:
        abort(404)
    lead = db.session.execute(visible_leads(current_user).where(Lead.id == lead_id)).scalar_one_or_none()
    if lead is None:
        abort(404)  # not this user's to see (or another group's): say nothing about it
    if not belongs(current_user, lead):
        return "", 204
    html = render_template(template, lead=lead, clock_of=service.clock_of,
                           can_transfer=_has_any(TRANSFER_FEATURES))
    return html, 200, {"Cache-Control": "no-store"}


@api.route("/inbox/waiting")
@roles_required("cell")
@feature_required(*CELL_FEATURES)
def waiting():
    """Ids of the waiting leads the cell's page should hold: its resync after a gap."""
    leads, total = service.cell_inbox()
    return jsonify({"ids": [str(lead.id) for lead in leads], "total": total})


@api.route("/sellers")
@roles_required("cell", "manager", "admin")
@feature_required(*TRANSFER_FEATURES)
def sellers():
    """Who can take a lead at a site now: on duty or not, with open leads, leads today, capacity."""
    allowed = service.assignable_sites(current_user)
    code = request.args.get("site")
    if code:
        site = db.session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
        if site is None:
            raise ApiError(404, "No such site.", fields={"site": ["Unknown site."]})
        if site.id not in {s.id for s in allowed}:
            raise ApiError(403, "This site is not one of yours.")
        sites = [site]
    else:
        sites = allowed
    now = utcnow()
    board = service.seller_board(sites, now)
    return jsonify({
        "at": now.isoformat(),
        "site": sites[0].code if code else None,
        "sites": [{"code": s.code, "name": s.name} for s in allowed],
        "sellers": [entry.as_json() for entry in board],
    })
