"""Who is asking: sessions for browsers, bearer tokens for the API, and the checks on them.

The identity found here sets the request's group (server.tenancy), so that every query that
follows is confined to it.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from server.api.errors import ApiError, is_api_request
from server.extensions import db, login_manager
from server.models import User
from server.tenancy import all_groups, reset_group, set_group


@login_manager.user_loader
def load_session_user(user_key: str) -> User | None:
    user_id, _, version = user_key.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.execute(all_groups(select(User).where(User.id == int(user_id)))).scalar_one_or_none()
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@login_manager.request_loader
def load_token_user(req) -> User | None:
    from server.auth.tokens import user_for_token

    header = req.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        return None
    user = user_for_token(raw.strip())
    if user is not None:
        g.auth_via_token = True
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if is_api_request():
        raise ApiError(401, "Authentication required.")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def bind_identity() -> None:
    """before_request: confine the request to the signed-in user's group (or to none)."""
    g.group_token = set_group(None)
    g.group = None
    user = current_user._get_current_object()
    if user.is_authenticated:
        set_group(user.group_id)
        g.group = user.group


def release_identity(exc=None) -> None:
    token = g.pop("group_token", None)
    if token is not None:
        reset_group(token)


def _deny(status: int, message: str):
    if is_api_request():
        raise ApiError(status, message)
    abort(status)


def roles_required(*roles: str):
    """The view needs a signed-in user with one of these roles (admin does not imply others)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                _deny(403, "Your role does not give access to this page.")
            return view(*args, **kwargs)

        wrapper.required_roles = roles
        return wrapper

    return decorator


def feature_required(*features: str):
    """The view belongs to a feature of an edition: refused (403) when the group lacks all of them."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(g.group.has_feature(fid) for fid in features):
                _deny(403, "This feature is not part of your subscription.")
            return view(*args, **kwargs)

        wrapper.required_features = features
        return wrapper

    return decorator


def has_feature(fid: str) -> bool:
    """For templates: show a link only when the group's editions carry the feature."""
    group = g.get("group")
    return bool(group is not None and group.has_feature(fid))
