"""Who is sending a lead: a server-to-server API key, or the browser widget from an allowed origin."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import request
from sqlalchemy import select

from server.api.errors import ApiError
from server.extensions import db
from server.models import ApiKey, Site, WidgetKey, utcnow
from server.tenancy import all_groups
from server.widget_host.origins import origin_allowed

API_KEY_PREFIX = "esk_"
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass
class Sender:
    group_id: int
    source: str
    channel: str  # "api" or "widget"
    default_site_id: int | None = None
    cors_origin: str | None = None
    rate_key: str = ""


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def identify_sender(channel_for_api_key: str = "api") -> Sender:
    """Resolve the request's credentials, or raise the CONTRACT error (401 / 403)."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() == "bearer" and raw.strip().startswith(API_KEY_PREFIX):
        digest = hash_key(raw.strip())
        key = db.session.execute(all_groups(select(ApiKey).where(ApiKey.key_hash == digest))).scalar_one_or_none()
        if key is None or key.revoked_at is not None:
            raise ApiError(401, "Unknown or revoked API key.", "invalid_api_key")
        now = utcnow()
        # At most once a minute: writing it on every lead would make concurrent requests of one
        # source queue on this row's lock.
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
            key.last_used_at = now
        return Sender(key.group_id, key.source, channel_for_api_key, rate_key=f"api:{digest[:16]}")

    public_key = request.headers.get("X-Widget-Key", "").strip()
    if public_key:
        widget = active_widget_key(public_key)
        if widget is None:
            raise ApiError(401, "Unknown or revoked widget key.", "invalid_widget_key")
        origin = request.headers.get("Origin", "")
        if not origin or not origin_allowed(widget.allowed_origins or [], origin):
            raise ApiError(403, "This page's origin is not allowed for this widget key.", "origin_not_allowed")
        return Sender(widget.group_id, widget.source, "widget", widget.site_id, cors_origin=origin,
                      rate_key=f"widget:{widget.id}")

    raise ApiError(401, "Send an API key (Authorization: Bearer) or a widget key (X-Widget-Key).")


def active_widget_key(public_key: str) -> WidgetKey | None:
    widget = db.session.execute(all_groups(select(WidgetKey).where(WidgetKey.key == public_key))).scalar_one_or_none()
    return widget if widget is not None and widget.revoked_at is None else None


def origin_of_any_widget(origin: str) -> bool:
    """For CORS preflights, which do not carry the key: is the origin allowed by some active key?"""
    keys = db.session.execute(all_groups(select(WidgetKey.allowed_origins).where(WidgetKey.revoked_at.is_(None))))
    return any(origin_allowed(allowed or [], origin) for (allowed,) in keys)


def default_site(sender: Sender) -> Site | None:
    return db.session.get(Site, sender.default_site_id) if sender.default_site_id else None
