from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.inbox.views import cell_page, seller_page
from server.leads.visibility import visible_leads
from server.models import Lead, utcnow
from server.models.lead import OPEN_STATUSES

bp = Blueprint("web", __name__)

LEAD_LIST_OPTIONS = (selectinload(Lead.contact), selectinload(Lead.site), selectinload(Lead.assignee))


def _leads(query, limit: int = 50) -> list[Lead]:
    return list(db.session.execute(query.options(*LEAD_LIST_OPTIONS).limit(limit)).scalars())


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    return redirect(url_for("auth.login"))


@bp.route("/home")
@login_required
def home():
    view = {
        "seller": _seller_home,
        "cell": _cell_home,
        "call_center": _call_center_home,
        "manager": _manager_home,
        "admin": _manager_home,
    }[current_user.role]
    return view()


def _require(*features: str) -> None:
    """A role's home belongs to its edition's feature: absent (403) without it."""
    if not any(current_user.group.has_feature(fid) for fid in features):
        abort(403)


def _seller_home():
    _require("SM1", "SD1")
    return seller_page()


def _cell_home():
    _require("CE1")
    return cell_page()


def _call_center_home():
    _require("CC1")
    mine = _leads(
        visible_leads(current_user).where(Lead.created_by_id == current_user.id).order_by(Lead.received_at.desc())
    )
    return render_template("web/home_call_center.html", leads=mine)


def _manager_home():
    now = utcnow()
    since = now - timedelta(days=30)
    scope = visible_leads(current_user).subquery()
    rows = db.session.execute(
        select(
            scope.c.site_id,
            func.count().filter(scope.c.status.in_(OPEN_STATUSES)),
            func.count().filter(scope.c.status == "new"),
            func.count().filter(
                scope.c.status.in_(OPEN_STATUSES),
                scope.c.first_contact_at.is_(None),
                scope.c.first_contact_due_at < now,
            ),
            func.count().filter(scope.c.status == "won", scope.c.closed_at >= since),
            func.count().filter(scope.c.status == "lost", scope.c.closed_at >= since),
        ).group_by(scope.c.site_id)
    ).all()
    sites = {site.id: site for site in current_user.group.sites}
    figures = [
        {"site": sites.get(site_id), "open": o, "waiting": w, "late": late, "won": won, "lost": lost}
        for site_id, o, w, late, won, lost in rows
    ]
    figures.sort(key=lambda f: f["site"].code if f["site"] else "~")
    recent = _leads(visible_leads(current_user).order_by(Lead.received_at.desc()), limit=20)
    return render_template("web/home_manager.html", figures=figures, recent=recent)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["language"] = code
    if current_user.is_authenticated:
        current_user.language = code
        db.session.commit()
    target = request.referrer or url_for("web.index")
    if not target.startswith(request.host_url):
        target = url_for("web.index")
    return redirect(target)
