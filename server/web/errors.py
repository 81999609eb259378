from __future__ import annotations

from flask import render_template
from werkzeug.exceptions import HTTPException, InternalServerError


def render_error(exc: HTTPException):
    if not isinstance(exc, HTTPException):
        exc = InternalServerError()
    return render_template("errors/error.html", code=exc.code, name=exc.name), exc.code or 500
