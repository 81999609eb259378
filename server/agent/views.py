"""The call-center agent's screen (CC1, CC2): qualify an inbound call and send the lead into eSeller.

`GET /widget/agent` is the page; the rest answers its script in JSON. Errors of the JSON routes use
CONTRACT's error format, so the screen reads every failure the same way; the page itself gets the
usual HTML error pages.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from server.agent.lookup import (
    MIN_CUSTOMER_QUERY,
    contact_json,
    open_lead_counts,
    search_contacts,
    search_stock,
    stock_json,
)
from server.agent.payload import CALLBACK_LABELS, PayloadError, agent_lead
from server.api.errors import ApiError, error_response, handle_http_exception_as_json
from server.auth.access import feature_required, roles_required
from server.entry.forms import (
    FINANCING_CHOICES,
    KIND_CAPTIONS,
    KIND_TITLES,
    WORKSHOP_SERVICES,
)
from server.entry.messages import humanize_fields
from server.extensions import db
from server.intake.capture import CaptureError, capture_lead
from server.intake.schemas import load_lead
from server.models import Site
from server.web.labels import INTEREST_LABELS, KIND_LABELS, STATUS_LABELS, TIMEFRAME_LABELS

bp = Blueprint("agent", __name__, url_prefix="/widget/agent")
PAGE_ENDPOINT = "agent.page"


@bp.errorhandler(HTTPException)
def _errors(exc: HTTPException):
    """JSON for the script's requests (a missing CSRF token included), HTML for the page."""
    if request.endpoint == PAGE_ENDPOINT:
        from server.web.errors import render_error

        return render_error(exc)
    return handle_http_exception_as_json(exc)


@bp.route("")
@roles_required("call_center")
@feature_required("CC1")
def page():
    group = current_user.group
    sites = db.session.execute(select(Site).order_by(Site.code)).scalars()
    return render_template(
        "agent/agent.html",
        kinds=KIND_TITLES,
        kind_captions=KIND_CAPTIONS,
        timeframes=TIMEFRAME_LABELS,
        financing=FINANCING_CHOICES,
        callbacks=CALLBACK_LABELS,
        services=[str(s) for s in WORKSHOP_SERVICES],
        default_kind=group.default_lead_kind or "VN",
        screen={
            "sites": {site.code: site.name for site in sites},
            "kinds": {code: str(label) for code, label in KIND_LABELS.items()},
            "statuses": {code: str(label) for code, label in STATUS_LABELS.items()},
            "interests": {code: str(label) for code, label in INTEREST_LABELS.items()},
            "timezone": group.timezone,
            "min_query": MIN_CUSTOMER_QUERY,
        },
    )


@bp.route("/customers")
@roles_required("call_center")
@feature_required("CC1")
def customers():
    """Contacts of the group matching what the agent types: phone prefix, e-mail or name prefix."""
    contacts = search_contacts(request.args.get("q", ""))
    counts = open_lead_counts(contacts)
    return jsonify({"customers": [contact_json(c, counts.get(c.id, 0)) for c in contacts]})


@bp.route("/stock")
@roles_required("call_center")
@feature_required("CC1")
def stock():
    """Available vehicles of the group matching make, model or stock reference."""
    vehicles = search_stock(request.args.get("q", ""), request.args.get("kind"))
    return jsonify({"vehicles": [stock_json(v) for v in vehicles]})


@bp.route("/leads", methods=["POST"])
@roles_required("call_center")
@feature_required("CC1")
def submit():
    """One qualified call -> one lead (or a join into the customer's open one), committed once."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "Send the lead as a JSON object.", "malformed_json")
    try:
        data = load_lead(agent_lead(body, current_user.group))
        result = capture_lead(data, channel="call_center", source="call_center", created_by=current_user)
    except PayloadError as exc:
        return _invalid(exc.fields)
    except ValidationError as exc:
        return _invalid(humanize_fields(exc.messages))
    except CaptureError as exc:
        return _invalid(humanize_fields(exc.fields))
    db.session.commit()
    return jsonify({"id": str(result.lead.id), "status": "received", "outcome": result.outcome}), 202


def _invalid(fields: dict[str, list[str]]):
    db.session.rollback()
    return error_response(422, _("The lead was not sent: check the highlighted fields."), fields=fields)
