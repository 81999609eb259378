"""The embeddable widget's public side: the loader, its content-hashed bundles and each key's config.

No sign-in: everything here is public by design. The bundles are built from widget/src by
widget/build.py into server/static/widget/ (committed), named in its manifest.json.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.widget_host.views import bp

    app.register_blueprint(bp)
