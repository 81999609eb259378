"""Actions through the API: marking one done from the phone, where the offline queue replays it."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from server.actions import service
from server.actions.views import FEATURES, ROLES
from server.api.errors import ApiError, json_object_body
from server.api.idempotent import commit_answer, idempotent
from server.auth.access import feature_required, roles_required
from server.extensions import csrf
from server.models import utcnow

bp = Blueprint("actions_api", __name__, url_prefix="/api/v1/actions")
csrf.exempt(bp)


@bp.route("/<int:action_id>/done", methods=["POST"])
@login_required
@roles_required(*ROLES)
@feature_required(*FEATURES)
@idempotent
def done(action_id: int):
    outcome = json_object_body().get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        raise ApiError(422, "The outcome must be text.", fields={"outcome": ["Not a valid string."]})
    try:
        action, _changed = service.complete(current_user, action_id, outcome, utcnow())
    except service.NotFound:
        raise ApiError(404, "No such action.") from None
    except service.OutcomeTooLong:
        raise ApiError(422, "The outcome is too long.",
                       fields={"outcome": [f"At most {service.OUTCOME_MAX} characters."]}) from None
    return commit_answer({
        "id": str(action.id),
        "lead_id": str(action.lead_id) if action.lead_id else None,
        "done_at": action.done_at.isoformat(),
        "outcome": action.outcome,
    })
