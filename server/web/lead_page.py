"""The lead page and its forms: the same `workflow` rules as the API, for browsers without script.

With script, `static/js/lead.js` sends these forms to the JSON API instead (through the offline
queue); without it, each form posts here and comes back to the page with a message or its errors.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from server.actions.service import assignable_users, parse_local
from server.api.errors import ApiError
from server.extensions import db
from server.leads import workflow
from server.leads.score import compute
from server.leads.visibility import visible_leads
from server.models import Lead, LeadEntry, utcnow
from server.web.views import LEAD_LIST_OPTIONS, bp


def _visible_lead(lead_id: int, *, for_update: bool = False) -> Lead:
    """The lead to show (with its timeline) or, `for_update`, to change (locked, nothing more loaded)."""
    query = visible_leads(current_user).where(Lead.id == lead_id)
    if for_update:
        query = query.with_for_update()
    else:
        query = query.options(*LEAD_LIST_OPTIONS, selectinload(Lead.entries).selectinload(LeadEntry.user))
    lead = db.session.execute(query).scalar_one_or_none()
    if lead is None:
        abort(404)
    return lead


def render_lead(lead: Lead, errors: dict | None = None, form: dict | None = None, status: int = 200):
    now = utcnow()
    return render_template(
        "web/lead.html", lead=lead, score=compute(lead, now), next_action=workflow.next_action(lead),
        can_work=current_user.role in workflow.QUALIFYING_ROLES
        and (current_user.role != "seller" or lead.assignee_id == current_user.id),
        can_call=current_user.role == "cell" or (current_user.role == "seller" and lead.assignee_id == current_user.id),
        work_stages=workflow.WORK_STAGES, call_outcomes=workflow.CALL_OUTCOMES,
        assignees=assignable_users(current_user), errors=errors or {}, form=form or {},
    ), status


@bp.route("/leads/<int:lead_id>")
@login_required
def lead(lead_id: int):
    return render_lead(_visible_lead(lead_id))


def _call_form(form: dict) -> dict:
    """The page's call-back field is local time (datetime-local); the rule wants an instant."""
    data = dict(form)
    if data.get("outcome") == "call_back":
        when: datetime | None = parse_local(data.get("call_back_at") or "", current_user.group.tz)
        data["call_back_at"] = when.isoformat() if when else ""
    return data


FORMS = {
    # form name: (workflow change, feature ids (any), success message)
    "note": (workflow.add_note, (), lambda: _("Note added.")),
    "call": (workflow.log_call, (), lambda: _("Call logged.")),
    "qualify": (workflow.qualify, ("SM6", "SD3"), lambda: _("Progress saved.")),
    "trade-in": (workflow.set_trade_in, ("SM5", "CE3"), lambda: _("Owned vehicle saved.")),
    "close": (workflow.close, ("SM8",), lambda: _("Lead closed.")),
    "reopen": (workflow.reopen, ("SM8",), lambda: _("Lead reopened.")),
}


@bp.route("/leads/<int:lead_id>/<any(note, call, qualify, 'trade-in', close, reopen):form_name>", methods=["POST"])
@login_required
def lead_form(lead_id: int, form_name: str):
    change, features, done = FORMS[form_name]
    if features and not any(current_user.group.has_feature(fid) for fid in features):
        abort(403)
    lead = _visible_lead(lead_id, for_update=True)
    form = request.form.to_dict()
    form.pop("csrf_token", None)
    data = _call_form(form) if form_name == "call" else form
    if form_name == "qualify":  # the page's form always sends both; only what changed counts
        data = {key: value for key, value in data.items() if key in ("stage", "interest") and value}
    try:
        change(lead, current_user, data, utcnow())
    except ApiError as error:
        db.session.rollback()
        if error.status == 403:
            abort(403)
        flash(error.message, "error")
        return render_lead(_visible_lead(lead_id), errors={form_name: error.fields}, form=form, status=422)
    db.session.commit()
    flash(done(), "success")
    return redirect(url_for("web.lead", lead_id=lead.id))
