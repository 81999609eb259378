"""The sellers' and the lead cell's realtime inboxes, and the hand transfer of a lead (SM1, SD1, CE1, CE5, MG1)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from server.inbox.service import assignable_sites
    from server.inbox.views import api, bp, page_config

    app.register_blueprint(bp)
    app.register_blueprint(api)
    # For the lead page's transfer control, which other views render.
    app.jinja_env.globals.update(
        inbox_page_config=page_config,
        inbox_assignable_sites=lambda: assignable_sites(current_user),
    )

