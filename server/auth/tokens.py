"""Bearer tokens for users (mobile app, API clients): random, stored as SHA-256, expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from server.extensions import db
from server.models import ApiToken, User, utcnow
from server.tenancy import all_groups

USER_TOKEN_PREFIX = "est_"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, datetime]:
    raw = USER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["API_TOKEN_TTL"]
    db.session.add(ApiToken(group_id=user.group_id, user_id=user.id, token_hash=digest(raw), expires_at=expires_at))
    return raw, expires_at


def user_for_token(raw: str) -> User | None:
    """The active user a token belongs to, or None if it is unknown, expired, revoked or disabled."""
    if not raw.startswith(USER_TOKEN_PREFIX):
        return None
    token = db.session.execute(
        all_groups(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    user = db.session.execute(all_groups(select(User).where(User.id == token.user_id))).scalar_one_or_none()
    if user is None or not user.active:
        return None
    return user
