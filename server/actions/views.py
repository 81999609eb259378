"""Pages of the actions to do: the list, the agenda, planning a follow-up and marking one done."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from server.actions import service
from server.auth.access import feature_required, roles_required
from server.extensions import db
from server.models import utcnow

bp = Blueprint("actions", __name__, url_prefix="/actions")

ROLES = ("seller", "cell", "manager")
FEATURES = ("SM7", "SD2", "CE4")


def action_type_labels() -> dict[str, str]:
    return {
        "call": _("Call"), "email": _("E-mail"), "sms": _("Text message"), "appointment": _("Appointment"),
        "test_drive": _("Test drive"), "follow_up": _("Follow-up"), "task": _("To do"),
    }


def _safe_next(value: str | None) -> str | None:
    """Only a path of this site: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _list_page(status: int = 200, plan: service.Plan | None = None) -> tuple[str, int]:
    filter_ = request.args.get("filter", "all")
    filter_ = filter_ if filter_ in service.FILTERS else "all"
    sort = request.args.get("sort", "date")
    sort = sort if sort in service.SORTS else "date"
    now = utcnow()
    actions = service.filtered(current_user, filter_, sort, now)
    html = render_template(
        "actions/list.html", actions=actions, filter=filter_, sort=sort, plan=plan or service.Plan(),
        overdue=service.overdue_count(current_user, now), type_labels=action_type_labels(),
        customer_of=service.customer_of, assignees=service.assignable_users(current_user),
    )
    return html, status


@bp.route("", methods=["GET"])
@roles_required(*ROLES)
@feature_required(*FEATURES)
def index() -> tuple[str, int]:
    return _list_page()


@bp.route("", methods=["POST"])
@roles_required(*ROLES)
@feature_required(*FEATURES)
def create() -> Response | tuple[str, int]:
    now = utcnow()
    try:
        result = service.plan(current_user, request.form, now)
    except service.NotFound:
        abort(404)
    if result.errors:
        db.session.rollback()
        return _list_page(422, result)
    db.session.commit()
    flash(_("Action planned."), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("actions.index"))


@bp.route("/<int:action_id>/done", methods=["POST"])
@roles_required(*ROLES)
@feature_required(*FEATURES)
def done(action_id: int) -> Response | tuple[str, int]:
    try:
        action, changed = service.complete(current_user, action_id, request.form.get("outcome"), utcnow())
    except service.NotFound:
        abort(404)
    except service.OutcomeTooLong:
        flash(_("The outcome is too long: at most %(count)d characters.", count=service.OUTCOME_MAX), "error")
        return _list_page(422)
    if changed:
        db.session.commit()
        flash(_("Done: %(title)s", title=action.title), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("actions.index"))


@bp.route("/agenda")
@roles_required(*ROLES)
@feature_required(*FEATURES)
def agenda() -> str | Response:
    view = request.args.get("view", "week")
    view = view if view in ("day", "week") else "week"
    tz = current_user.group.tz
    today = service.local_today(utcnow(), tz)
    try:
        day = date.fromisoformat(request.args["date"]) if request.args.get("date") else today
    except ValueError:
        day = today
    if view == "week":
        start, days, step = day - timedelta(days=day.weekday()), 7, 7
    else:
        start, days, step = day, 1, 1
    return render_template(
        "actions/agenda.html", view=view, day=day, start=start, last=start + timedelta(days=days - 1), today=today,
        by_day=service.between(current_user, start, days),
        previous=start - timedelta(days=step), next=start + timedelta(days=step),
        type_labels=action_type_labels(), customer_of=service.customer_of, tz=tz,
    )

