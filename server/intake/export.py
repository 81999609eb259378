"""ADF/XML export of a lead (BX10), so a group can forward it to a manufacturer or another CRM."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user, login_required

from server.api.errors import ApiError
from server.extensions import db
from server.intake.adf import export_adf
from server.leads.serialize import lead_json
from server.leads.visibility import visible_leads
from server.models import Lead

bp = Blueprint("lead_export", __name__, url_prefix="/api/v1")


@bp.route("/leads/<int:lead_id>.adf")
@login_required
def export_lead_adf(lead_id: int):
    lead = db.session.execute(visible_leads(current_user).where(Lead.id == lead_id)).scalar_one_or_none()
    if lead is None:
        raise ApiError(404, "No such lead.")
    document = export_adf(lead_json(lead))
    return Response(document, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="lead-{lead.id}.adf.xml"'})
