"""Actions to do (SM7, SD2, CE4) and the agenda feed (BX12): pages, the due alerts, the sign-in reminder."""

from __future__ import annotations

from flask import Flask, flash, url_for
from flask_babel import ngettext
from flask_login import user_logged_in
from markupsafe import Markup

from server.models import User, utcnow
from server.tenancy import group_scope


def remind_overdue(_sender: Flask, user: User, **_extra) -> None:
    """At sign-in, say how many actions are overdue (the home page shows the flash)."""
    from server.actions.service import overdue_count
    from server.actions.views import FEATURES, ROLES

    if user.role not in ROLES or not any(user.group.has_feature(fid) for fid in FEATURES):
        return
    with group_scope(user.group_id):  # sign-in runs before the request knows its group
        count = overdue_count(user, utcnow())
    if count:
        text = ngettext("You have %(num)d overdue action", "You have %(num)d overdue actions", count)
        link = url_for("actions.index", filter="overdue")
        flash(Markup('<a class="overdue-reminder" href="{}">{}</a>').format(link, text), "warning")


def init_app(app: Flask) -> None:
    from server.actions import api, feed  # noqa: F401 - feed registers its routes on the pages' blueprint
    from server.actions.views import action_type_labels, bp
    from server.models.lead import ACTION_TYPES

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    # For actions/_plan_form.html, which other pages (the lead's) include.
    app.jinja_env.globals.update(action_types=ACTION_TYPES, action_type_labels=action_type_labels)
    user_logged_in.connect(remind_overdue, app)
