"""Sign-in for browsers (session cookie) and for the API (bearer tokens)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from server.api.errors import ApiError
from server.auth.forms import LoginForm
from server.auth.passwords import hash_password, needs_rehash, verify_password
from server.auth.tokens import issue_token
from server.extensions import csrf, db, limiter
from server.models import User, utcnow
from server.tenancy import all_groups

bp = Blueprint("auth", __name__)
api_bp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth")


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; the same work whatever is wrong."""
    user = db.session.execute(
        all_groups(select(User).where(User.email == email.strip().lower()))
    ).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _submitted_email() -> str:
    """Rate-limit key: the e-mail tried, so one account cannot be guessed at from many addresses."""
    if request.is_json:
        data = request.get_json(silent=True)
        value = data.get("email") if isinstance(data, dict) else None
    else:
        value = request.form.get("email")
    return "login-email:" + (value.strip().lower() if isinstance(value, str) else "")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_submitted_email, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("web.home"))
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@api_bp.route("/token", methods=["POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["TOKEN_RATE_LIMIT"])
@limiter.limit(lambda: current_app.config["TOKEN_RATE_LIMIT"], key_func=_submitted_email)
def token():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.", "malformed_json")
    fields = {}
    for name in ("email", "password"):
        if not isinstance(data.get(name), str) or not data[name]:
            fields[name] = ["Missing data for required field."]
    if fields:
        raise ApiError(422, "Invalid credentials payload.", fields=fields)
    user = authenticate(data["email"], data["password"])
    if user is None:
        raise ApiError(401, "Wrong e-mail or password.", "invalid_credentials")
    raw, expires_at = issue_token(user)
    db.session.commit()
    return jsonify({"token": raw, "expires_at": expires_at.isoformat()})
