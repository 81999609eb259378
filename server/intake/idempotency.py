"""`Idempotency-Key`: a replay with the same key returns the first answer and creates nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from server.api.errors import ApiError
from server.extensions import db
from server.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def request_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def validated_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", "invalid_idempotency_key")
    return key


def previous_answer(key: str, digest: str) -> IdempotencyRecord | None:
    record = db.session.execute(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).scalar_one_or_none()
    if record is not None and record.request_hash != digest:
        raise ApiError(422, "This Idempotency-Key was already used for a different request.",
                       "idempotency_key_reused", {"Idempotency-Key": ["Already used for another request."]})
    return record


def remember_answer(key: str, digest: str, status: int, body: dict) -> None:
    db.session.add(IdempotencyRecord(key=key, request_hash=digest, status_code=status, response=body))
