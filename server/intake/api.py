"""Lead intake over HTTP (CONTRACT.md): JSON and ADF, API keys and the widget, exactly-once answers.

The lead, its outbox row and the idempotency record are committed together before the 202; what
happens next to queues and sockets cannot lose it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from server.api.errors import ApiError
from server.extensions import csrf, db, limiter
from server.intake import idempotency
from server.intake.adf import AdfError, parse_adf
from server.intake.capture import CaptureError, capture_lead
from server.intake.credentials import Sender, default_site, identify_sender, origin_of_any_widget
from server.intake.schemas import load_lead
from server.tenancy import set_group

bp = Blueprint("intake", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

JSON_TYPES = ("application/json",)
ADF_TYPES = ("application/xml", "text/xml", "application/x-adf+xml")
MIN_HUMAN_MS = 3000
CORS_HEADERS = "Content-Type, X-Widget-Key, Idempotency-Key"


def _rate_key() -> str:
    """Per credential: the key itself, never its raw value."""
    sender = g.get("sender")
    if sender is not None:
        return sender.rate_key
    return "intake-anonymous:" + get_remote_address()


def _not_widget() -> bool:
    return "X-Widget-Key" not in request.headers


def _key_limit() -> str:
    return current_app.config["INTAKE_KEY_RATE_LIMIT"]


def _ip_limit() -> str:
    return current_app.config["INTAKE_WIDGET_IP_RATE_LIMIT"]


@bp.before_request
def _authenticate():
    if request.method == "OPTIONS":
        return None
    g.sender = identify_sender()
    set_group(g.sender.group_id)
    return None


@bp.after_request
def _cors(response: Response) -> Response:
    sender = g.get("sender")
    if sender is not None and sender.cors_origin:
        response.headers["Access-Control-Allow-Origin"] = sender.cors_origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    response.vary.add("Origin")
    return response


def _preflight() -> Response:
    origin = request.headers.get("Origin", "")
    if not origin or not origin_of_any_widget(origin):
        raise ApiError(403, "This origin is not allowed to send leads.", "origin_not_allowed")
    response = Response(status=204)
    response.headers.update({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": CORS_HEADERS,
        "Access-Control-Max-Age": "600",
    })
    return response


def _require_content_type(accepted: tuple[str, ...]) -> None:
    if request.mimetype not in accepted:
        raise ApiError(415, f"Send the lead as {' or '.join(accepted)}.", "unsupported_media_type")


@bp.route("/leads", methods=["POST", "OPTIONS"])
@limiter.limit(_key_limit, key_func=_rate_key, methods=["POST"])
@limiter.limit(_ip_limit, key_func=get_remote_address, methods=["POST"], exempt_when=_not_widget)
def post_lead():
    if request.method == "OPTIONS":
        return _preflight()
    _require_content_type(JSON_TYPES)
    body = request.get_data()
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}", "malformed_json") from exc

    def leads() -> list[dict]:
        lead = _validated(data)
        if g.sender.channel == "widget":
            _reject_bots(lead)
        return [lead]

    return _accept(leads, body, g.sender.channel)


@bp.route("/leads/adf", methods=["POST", "OPTIONS"])
@limiter.limit(_key_limit, key_func=_rate_key, methods=["POST"])
@limiter.limit(_ip_limit, key_func=get_remote_address, methods=["POST"], exempt_when=_not_widget)
def post_adf():
    if request.method == "OPTIONS":
        return _preflight()
    _require_content_type(ADF_TYPES)
    body = request.get_data()

    def leads() -> list[dict]:
        try:
            prospects = parse_adf(body)
        except AdfError as exc:
            raise ApiError(400, exc.message, "malformed_adf") from exc
        loaded = []
        for index, prospect in enumerate(prospects):
            try:
                loaded.append(load_lead(prospect.lead) | {"_raw": prospect.raw})
            except ValidationError as exc:
                prefix = f"prospect[{index}]." if len(prospects) > 1 else ""
                raise ApiError(422, "The ADF lead is incomplete.",
                               fields={prefix + path: msgs for path, msgs in exc.messages.items()}) from exc
        return loaded

    return _accept(leads, body, "adf" if g.sender.channel == "api" else g.sender.channel)


def _validated(data) -> dict:
    try:
        return load_lead(data)
    except ValidationError as exc:
        raise ApiError(422, "The lead is invalid.", fields=exc.messages) from exc


def _reject_bots(lead: dict) -> None:
    if lead.get("hp") or (lead.get("elapsed_ms") is not None and lead["elapsed_ms"] < MIN_HUMAN_MS):
        raise ApiError(422, "This submission looks automated.", "rejected_as_automated",
                       {"hp": ["Leave this field empty."]})


def _accept(make_leads: Callable[[], list[dict]], body: bytes, channel: str):
    """Capture every lead of the request and commit once; replays answer as the first time did."""
    sender: Sender = g.sender
    key = idempotency.validated_key(request.headers.get("Idempotency-Key"))
    digest = idempotency.request_digest(body)
    if key and (record := idempotency.previous_answer(key, digest)) is not None:
        return jsonify(record.response), record.status_code
    leads = make_leads()
    raw = body.decode("utf-8", errors="replace")
    for attempt in (1, 2):
        try:
            answer = _capture_all(leads, raw, channel, sender)
            if key:
                idempotency.remember_answer(key, digest, 202, answer)
            db.session.commit()
            return jsonify(answer), 202
        except IntegrityError:
            # A concurrent request won the race on the same Idempotency-Key or source + external id:
            # answer as it did, or capture again now that its rows are visible.
            db.session.rollback()
            if key and (record := idempotency.previous_answer(key, digest)) is not None:
                return jsonify(record.response), record.status_code
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _capture_all(leads: list[dict], raw: str, channel: str, sender: Sender) -> dict:
    site = default_site(sender)
    ids = []
    for lead in leads:
        lead = dict(lead)
        raw_payload = lead.pop("_raw", raw)
        lead.pop("hp", None)
        lead.pop("elapsed_ms", None)
        try:
            result = capture_lead(lead, channel=channel, source=sender.source, raw_payload=raw_payload,
                                  default_site=site)
        except CaptureError as exc:
            raise ApiError(422, "The lead is invalid.", fields=exc.fields) from exc
        ids.append(str(result.lead.id))
    answer = {"id": ids[0], "status": "received"}
    if len(ids) > 1:
        answer["ids"] = ids
    return answer
