"""`Idempotency-Key` on the users' API: the phone's offline queue replays a note or a call report
until it hears back, and a replay must not log it twice.

The key is scoped to the user and the URL, so two sellers (or two leads) can never collide, and
the answer is stored in the same transaction as the change it reports (`commit_answer`).
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.intake import idempotency


def _scoped_key(key: str) -> str:
    raw = f"{current_user.id}\n{request.method}\n{request.path}\n{key}"
    return "user:" + hashlib.sha256(raw.encode()).hexdigest()


def idempotent(view):
    """Replays the first answer to a request carrying the same `Idempotency-Key`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = idempotency.validated_key(request.headers.get("Idempotency-Key"))
        if key is None:
            g.idempotency = None
            return view(*args, **kwargs)
        scoped, digest = _scoped_key(key), idempotency.request_digest(request.get_data())
        if (record := idempotency.previous_answer(scoped, digest)) is not None:
            return jsonify(record.response), record.status_code
        g.idempotency = (scoped, digest)
        try:
            return view(*args, **kwargs)
        except IntegrityError:
            # The same operation, replayed while the first one was still running, lost the race.
            db.session.rollback()
            if (record := idempotency.previous_answer(scoped, digest)) is not None:
                return jsonify(record.response), record.status_code
            raise

    return wrapper


def commit_answer(body: dict, status: int = 200):
    """Commits the change together with the answer a replay will get."""
    if g.get("idempotency"):
        idempotency.remember_answer(*g.idempotency, status, body)
    db.session.commit()
    return jsonify(body), status
