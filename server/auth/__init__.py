"""Sign-in, sessions, tokens, roles and editions."""

from __future__ import annotations

from server.auth import access
from server.extensions import csrf, login_manager


def init_app(app) -> None:
    from server.auth.views import api_bp, bp

    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(access.bind_identity)
    app.teardown_request(access.release_identity)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.jinja_env.globals["has_feature"] = access.has_feature
