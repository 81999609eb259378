"""The users' JSON API (/api/v1): bearer token or session, JSON errors per CONTRACT."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import HTTPException

from server.api.errors import ApiError, handle_api_error, handle_http_exception_as_json, is_api_request
from server.extensions import csrf


def init_app(app: Flask) -> None:
    from server.api.views import bp

    app.json.sort_keys = False
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_error_handler(ApiError, handle_api_error)

    @app.errorhandler(HTTPException)
    @app.errorhandler(500)
    def _http_error(exc: HTTPException):
        if is_api_request():
            return handle_http_exception_as_json(exc)
        from server.web.errors import render_error

        return render_error(exc)
