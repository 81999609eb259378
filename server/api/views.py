"""The users' JSON API endpoints."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user, login_required

from server.api.errors import ApiError
from server.auth.access import feature_required, roles_required
from server.extensions import db
from server.leads.serialize import lead_detail_json, lead_json
from server.leads.visibility import visible_leads
from server.models import Lead, utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/me")
@login_required
def me():
    user = current_user
    return jsonify(
        {
            "id": str(user.id),
            "email": user.email,
            "name": user.full_name,
            "role": user.role,
            "language": user.language,
            "group": user.group.slug,
            "sites": [site.code for site in user.sites],
        }
    )


@bp.route("/leads/<int:lead_id>")
@login_required
def get_lead(lead_id: int):
    lead = db.session.execute(visible_leads(current_user).where(Lead.id == lead_id)).scalar_one_or_none()
    if lead is None:
        raise ApiError(404, "No such lead.")
    return jsonify(lead_detail_json(lead, utcnow()))


@bp.route("/call-center/leads")
@roles_required("call_center")
@feature_required("CC1")
def call_center_leads():
    """The agent's own leads: where each went and where it stands (CC1, CC2)."""
    leads = db.session.execute(
        visible_leads(current_user)
        .where(Lead.created_by_id == current_user.id)
        .order_by(Lead.received_at.desc())
        .limit(100)
    ).scalars()
    return jsonify({"leads": [lead_json(lead) for lead in leads]})
