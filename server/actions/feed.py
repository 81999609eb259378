"""The personal iCalendar feed (BX12): a secret URL a calendar app polls, without signing in.

The secret is the only credential, so it is long and random, it is looked up across groups
(the caller has no session), and resetting it makes the old URL answer 404 like any unknown one.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from icalendar import Calendar, Event
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from server.actions import service
from server.actions.views import FEATURES, ROLES, action_type_labels, bp
from server.auth.access import feature_required, roles_required
from server.extensions import db
from server.models import Action, Lead, User, utcnow
from server.tenancy import all_groups, group_scope

SECRET_MIN = 32
DONE_DAYS = 30
DURATION = timedelta(minutes=30)


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 43 url-safe characters, 256 bits


def feed_urls(user: User) -> tuple[str, str]:
    https = url_for("actions.feed_ics", secret=user.ical_secret, _external=True)
    return https, "webcal://" + https.split("://", 1)[1]


def build_calendar(user: User, host_url: str) -> bytes:
    now = utcnow()
    actions = db.session.execute(
        select(Action).where(Action.user_id == user.id,
                             or_(Action.done_at.is_(None), Action.done_at >= now - timedelta(days=DONE_DAYS)))
        .order_by(Action.due_at, Action.id)
        .options(selectinload(Action.lead).selectinload(Lead.contact), selectinload(Action.contact))
    ).scalars()
    labels = action_type_labels()
    calendar = Calendar()
    calendar.add("prodid", "-//eSeller//Actions//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"eSeller · {user.full_name}")
    for action in actions:
        event = Event()
        # Stable per action (ids are global across groups) and not tied to the host name, so that
        # calendars update the event in place.
        event.add("uid", f"action-{action.id}@eseller")
        event.add("dtstamp", now)
        event.add("dtstart", action.due_at)
        event.add("dtend", action.due_at + DURATION)
        customer = service.customer_of(action)
        summary = f"{action.title} · {customer}" if customer else action.title
        event.add("summary", f"✓ {summary}" if action.done_at is not None else summary)
        lines = [str(labels.get(action.type, action.type))]
        if action.lead_id is not None:
            lines.append(host_url.rstrip("/") + url_for("web.lead", lead_id=action.lead_id))
        if action.note:
            lines.append(action.note)
        event.add("description", "\n".join(lines))
        calendar.add_component(event)
    return calendar.to_ical()


@bp.route("/feed/<secret>.ics")
def feed_ics(secret: str) -> tuple[bytes, int, dict[str, str]]:
    """Public by design: the secret in the URL is the credential."""
    if len(secret) < SECRET_MIN:
        abort(404)
    user = db.session.execute(all_groups(
        select(User).where(User.ical_secret == secret, User.active.is_(True))
    )).scalar_one_or_none()
    if user is None or user.role not in ROLES or not any(user.group.has_feature(f) for f in FEATURES):
        abort(404)
    with group_scope(user.group_id):
        body = build_calendar(user, request.host_url)
    return body, 200, {"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "no-store",
                       "Content-Disposition": 'inline; filename="eseller.ics"'}


@bp.route("/feed")
@roles_required(*ROLES)
@feature_required(*FEATURES)
def feed() -> str:
    if not current_user.ical_secret:  # made on first visit, so that nobody has a feed they never asked for
        current_user.ical_secret = new_secret()
        db.session.commit()
    https, webcal = feed_urls(current_user)
    return render_template("actions/feed.html", https_url=https, webcal_url=webcal)


@bp.route("/feed/reset", methods=["POST"])
@roles_required(*ROLES)
@feature_required(*FEATURES)
def feed_reset() -> Response:
    current_user.ical_secret = new_secret()
    db.session.commit()
    flash(_("New address made: the old one no longer works. Subscribe again with this one."), "success")
    return redirect(url_for("actions.feed"))
