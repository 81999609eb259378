"""Direct entry of a lead (CE2, CE3, SM3, SM5): the showroom, the phone, a trade fair.

The form becomes a CONTRACT lead, goes through the same validator and the same capture service as
every other channel, and is committed once here. A seller's lead is theirs at once; the cell's and
a manager's go to routing like any incoming lead.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from server.agent.lookup import find_stock_vehicle, search_stock, stock_json
from server.auth.access import feature_required, roles_required
from server.entry.forms import (
    FIELD_OF_PATH,
    KIND_CAPTIONS,
    KIND_TITLES,
    WORKSHOP_SERVICES,
    LeadEntryForm,
    lead_data,
)
from server.entry.messages import humanize_fields
from server.extensions import db
from server.intake.capture import CaptureError, CaptureResult, capture_lead
from server.intake.schemas import load_lead
from server.leads.visibility import can_see_lead
from server.models import Site, StockVehicle, User

bp = Blueprint("entry", __name__)

ENTRY_ROLES = ("seller", "cell", "manager")
ENTRY_FEATURES = ("SM3", "CE2")


@bp.route("/leads/new", methods=["GET", "POST"])
@roles_required(*ENTRY_ROLES)
@feature_required(*ENTRY_FEATURES)
def new_lead():
    form = LeadEntryForm()
    if request.method == "GET":
        form.kind.data = _default_kind(current_user)
        return _render(form)
    if form.validate_on_submit():
        result = _capture(form)
        if result is not None:
            db.session.commit()
            return _done(result)
        db.session.rollback()
    return _render(form), 422


@bp.route("/leads/new/stock")
@roles_required(*ENTRY_ROLES)
@feature_required(*ENTRY_FEATURES)
def stock():
    """The small stock search of the form (entry.js); the same search as the agent's."""
    vehicles = search_stock(request.args.get("q", ""), request.args.get("kind"))
    return jsonify({"vehicles": [stock_json(v) for v in vehicles]})


def _render(form: LeadEntryForm):
    return render_template("entry/new.html", form=form, services=[str(s) for s in WORKSHOP_SERVICES],
                           kind_titles=KIND_TITLES, kind_captions=KIND_CAPTIONS)


def _default_kind(user: User) -> str:
    """A used-car centre's seller enters used-car leads: start there."""
    kinds = {kind for site in user.sites for kind in (site.kinds or [])}
    if kinds == {"VO"}:
        return "VO"
    return user.group.default_lead_kind or "VN"


def _capture(form: LeadEntryForm) -> CaptureResult | None:
    data = lead_data(form)
    vehicle = None
    if data.get("vehicle", {}).get("stock_ref"):
        vehicle = find_stock_vehicle(data["vehicle"]["stock_ref"], form.kind.data)
        if vehicle is None:
            _show_errors(form, {"vehicle.stock_ref": [_("No vehicle in stock matches this reference.")]},
                         humanize=False)
            return None
        data["vehicle"]["stock_ref"] = vehicle.stock_ref
    try:
        lead = load_lead(data)
        return capture_lead(
            lead,
            channel="direct",
            source=form.source.data,
            created_by=current_user,
            # A seller's own customer stays theirs; anyone else's entry is routed like any lead.
            assign_to=current_user if current_user.role == "seller" else None,
            default_site=_default_site(current_user, vehicle),
        )
    except ValidationError as exc:
        _show_errors(form, exc.messages)
    except CaptureError as exc:
        _show_errors(form, exc.fields)
    return None


def _default_site(user: User, vehicle: StockVehicle | None) -> Site | None:
    """The entering person's site (the vehicle's when it is one of theirs); the cell lets routing choose.

    A manager sees the leads of their sites only: without one of them, the lead just entered
    would vanish from their own screens.
    """
    if user.role == "cell" or not user.sites:
        return None
    if vehicle is not None and vehicle.site in user.sites:
        return vehicle.site
    return user.sites[0]


def _show_errors(form: LeadEntryForm, fields: dict[str, list[str]], humanize: bool = True) -> None:
    readable = humanize_fields(fields) if humanize else fields
    extra: list[str] = []
    for path, messages in readable.items():
        name = FIELD_OF_PATH.get(path)
        if name is None:
            extra.extend(messages)
            continue
        field = getattr(form, name)
        field.errors = [*field.errors, *messages]
    form.extra_errors = tuple(extra)


def _done(result: CaptureResult):
    lead = result.lead
    name = lead.contact.full_name
    if result.outcome == "joined":
        flash(_("%(name)s already had an open lead for this request: your entry joined that lead.", name=name),
              "success")
    elif lead.assignee_id == current_user.id:
        flash(_("Lead saved for %(name)s. It is yours.", name=name), "success")
    else:
        flash(_("Lead saved for %(name)s. It is being sent to a seller.", name=name), "success")
    if can_see_lead(current_user, lead):
        return redirect(url_for("web.lead", lead_id=lead.id))
    # A join into a colleague's lead: this user may not open it, and a 404 would read as a failure.
    return redirect(url_for("web.home"))
