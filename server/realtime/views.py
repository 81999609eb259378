"""Catch-up (CONTRACT): every event this user may see after `seq`, in order."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select

from server.api.errors import ApiError
from server.extensions import db
from server.models import Event
from server.realtime.audience import sees

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")
PAGE = 500


@bp.route("/events")
@login_required
def events():
    raw = request.args.get("after", "0")
    if not raw.isdigit():
        raise ApiError(400, "`after` must be a sequence number (0 or more).", fields={"after": ["Not a number."]})
    after = int(raw)
    rows = db.session.execute(select(Event).where(Event.seq > after).order_by(Event.seq).limit(PAGE)).scalars().all()
    site_ids = current_user.site_ids
    visible = [event.payload for event in rows if sees(current_user, event, site_ids)]
    # last_seq moves past events this user may not see too, so the next call starts after them.
    last_seq = rows[-1].seq if rows else after
    return jsonify({"events": visible, "last_seq": last_seq, "more": len(rows) == PAGE})
