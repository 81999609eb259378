from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select, update

from server.extensions import db
from server.models import Notification, utcnow

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PAGE_SIZE = 50
KIND_LABELS = {
    "vo_alert": _l("Used car matching an alert"),
    "action_due": _l("Follow-up due"),
    "escalated": _l("Lead not called in time"),
    "nobody_on_duty": _l("Nobody on duty for a lead"),
}


def _mine():
    return select(Notification).where(Notification.user_id == current_user.id)


def unread_count() -> int:
    """For the top bar: a badge, so an alert received elsewhere is not missed."""
    if not current_user.is_authenticated:
        return 0
    return db.session.execute(
        select(func.count()).select_from(_mine().where(Notification.read_at.is_(None)).subquery())
    ).scalar_one()


def unread_of_kind(user, kind: str, limit: int) -> list[Notification]:
    """The newest unread notifications of one kind, for a panel on the person's home page."""
    return list(db.session.execute(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind,
                                   Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)
    ).scalars())


@bp.route("")
@login_required
def index():
    # Keyset paging on the id: newer rows arriving meanwhile never shift a page.
    before = request.args.get("before", type=int)
    query = _mine()
    if before:
        query = query.where(Notification.id < before)
    rows = list(db.session.execute(query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)).scalars())
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template("notifications/list.html", notifications=rows, kind_labels=KIND_LABELS,
                           next_before=rows[-1].id if more else None)


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    db.session.execute(
        update(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()), execution_options={"synchronize_session": False},
    )
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
