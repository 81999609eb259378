"""The JSON error format of CONTRACT.md, used by every API answer that is not a success."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.fields = fields or {}


def json_object_body() -> dict:
    """The request's JSON object, {} when there is no body; a 400 naming the problem otherwise."""
    data = request.get_json(silent=True)
    if data is None and request.content_length:
        raise ApiError(400, "The body must be a JSON object.", "malformed_json")
    return data if isinstance(data, dict) else {}


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message, "fields": fields or {}}}
    return jsonify(body), status


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def handle_api_error(exc: ApiError):
    return error_response(exc.status, exc.message, exc.code, exc.fields)


def handle_http_exception_as_json(exc: HTTPException):
    response, status = error_response(exc.code or 500, exc.description or exc.name)
    for key, value in (exc.get_headers() or []):
        if key.lower() not in ("content-type", "content-length"):
            response.headers[key] = value
    return response, status
