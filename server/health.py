"""GET /healthz: is the database there, is Redis there (CONTRACT)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server.extensions import db, get_redis

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    checks = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        get_redis().ping()
    except RedisError as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ok" if healthy else "degraded", **checks}), 200 if healthy else 503


def init_app(app) -> None:
    app.register_blueprint(bp)
