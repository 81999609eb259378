"""Public widget endpoints: /widget/v1/loader.js, the hashed bundles and /widget/v1/config.

The config also answers the administrators' live preview, served by eSeller on its own origin
(see `_is_admin_preview`).
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, send_file
from flask_login import current_user
from sqlalchemy import select

from server.api.errors import error_response
from server.extensions import db
from server.models import DealerGroup, Site, WidgetKey
from server.models.tenant import LEAD_KINDS
from server.tenancy import all_groups, group_scope
from server.widget_host.assets import WIDGET_STATIC, hashed_files, manifest
from server.widget_host.origins import origin_allowed

bp = Blueprint("widget_host", __name__, url_prefix="/widget/v1")

JS_TYPE = "application/javascript"
LOADER_CACHE = "public, max-age=300"  # a new form bundle reaches every page within 5 minutes
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # names change with content
CONFIG_CACHE = "public, max-age=60"  # a revoked key or a new consent text applies within a minute
MAX_KEY_LENGTH = 64


def _script(filename: str, cache_control: str):
    response = send_file(WIDGET_STATIC / filename, mimetype=JS_TYPE, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = cache_control
    response.headers.pop("Expires", None)
    # Dealer sites may isolate themselves (COEP require-corp): they may still embed these scripts.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.route("/loader.js")
def loader():
    return _script(manifest()["loader"], LOADER_CACHE)


@bp.route("/<filename>")
def asset(filename: str):
    if filename not in hashed_files():
        abort(404)
    return _script(filename, IMMUTABLE_CACHE)


def _active_key(raw: str) -> WidgetKey | None:
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    # The public key names its group: a deliberate cross-group lookup.
    key = db.session.execute(all_groups(select(WidgetKey).where(WidgetKey.key == raw))).scalar_one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    return key


def _public_config(key: WidgetKey) -> dict:
    with group_scope(key.group_id):
        group = db.session.get(DealerGroup, key.group_id)
        site = db.session.get(Site, key.site_id) if key.site_id else None
        kinds = [kind for kind in LEAD_KINDS if site is None or kind in (site.kinds or LEAD_KINDS)]
        kinds = kinds or list(LEAD_KINDS)
        return {
            "group_name": group.name,
            "consent_text": group.consent_text,
            "consent_version": group.consent_version,
            "colour": key.colour,
            "default_kind": key.default_kind if key.default_kind in kinds else kinds[0],
            "site": site.code if site else None,
            "kinds": kinds,
        }


def _is_admin_preview(key: WidgetKey, origin: str | None) -> bool:
    """The administrators' preview (/admin/keys/widget/<id>/preview) asking, from eSeller's own origin.

    That origin is on no key's allowlist, and must not be: it is let through only for a signed-in
    admin of the key's group (the widget sends the session cookie to its own server only). A
    same-origin GET usually carries no Origin header at all; one that does must be ours.
    """
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    user = current_user
    return bool(user.is_authenticated and user.role == "admin" and user.group_id == key.group_id)


@bp.route("/config")
def config():
    """The key's public settings; CORS only for the origins on the key's allowlist."""
    origin = request.headers.get("Origin")
    key = _active_key(request.args.get("key", "").strip())
    preview = key is not None and _is_admin_preview(key, origin)
    if key is None:
        response, status = error_response(401, "Unknown or revoked widget key.", "invalid_widget_key")
    elif origin is not None and not preview and not origin_allowed(key.allowed_origins or [], origin):
        response, status = error_response(403, "This origin may not use this widget key.", "origin_not_allowed")
    else:
        response, status = jsonify(_public_config(key)), 200
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Cache-Control"] = CONFIG_CACHE if status == 200 else "no-store"
    if preview:
        # The preview shows each save at once: never the minute-old copy a visitor may get.
        response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Origin")
    return response, status
