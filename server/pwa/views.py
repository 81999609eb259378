"""The web manifest, the service worker and the offline page.

The service worker is served from `/sw.js` (not from /static/js/, whose scope would be /static/js/
only) with the list of files it keeps as the app's shell and a version made from their contents:
the browser re-installs a worker whose bytes changed, so a new deployment replaces the cached
shell, and the old caches are deleted when the new worker activates.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

bp = Blueprint("pwa", __name__)

THEME_COLOR = "#0b5cad"
BACKGROUND_COLOR = "#f4f6f9"
ICONS = (
    ("img/icon-192.png", 192, "any"),
    ("img/icon-512.png", 512, "any"),
    ("img/icon-maskable-192.png", 192, "maskable"),
    ("img/icon-maskable-512.png", 512, "maskable"),
)
# What every signed-in page needs to draw itself without the network. Page scripts are small
# (about 100 KB in all), so all of them are kept rather than guessing which pages need which.
SHELL_GLOBS = ("css/*.css", "js/*.js", "vendor/*/*.js", "img/icon.svg", "img/icon-192.png")
WORKER_SOURCE = "js/sw.js"


def _shell_files(static: Path) -> list[str]:
    names = {path.relative_to(static).as_posix() for pattern in SHELL_GLOBS for path in static.glob(pattern)}
    names.discard(WORKER_SOURCE)
    return sorted(names)


@lru_cache(maxsize=8)
def _worker(static_folder: str, offline_template: str, cache_key: tuple) -> tuple[str, list[str]]:
    """The version of the shell (a digest of every file in it, the worker and the offline page) and its files.

    `cache_key` changes whenever one of those files does (names and modification times), so the
    digest is computed again only then.
    """
    static = Path(static_folder)
    files = _shell_files(static)
    digest = hashlib.sha256()
    for name in [*files, WORKER_SOURCE]:
        digest.update(name.encode() + b"\0" + (static / name).read_bytes() + b"\0")
    digest.update(Path(offline_template).read_bytes())
    return digest.hexdigest()[:16], files


def _shell() -> tuple[str, list[str]]:
    static = Path(current_app.static_folder)
    template = Path(current_app.root_path) / "templates" / "pwa" / "offline.html"
    # A few dozen stat calls: a shell file added, removed or changed gives a new worker at once,
    # and a listed file is never one that is gone (the browser's install would fail on it).
    paths = [static / name for name in _shell_files(static)] + [static / WORKER_SOURCE, template]
    stamp = tuple((str(path), path.stat().st_mtime_ns) for path in paths)
    return _worker(str(static), str(template), stamp)


@bp.route("/sw.js")
def service_worker():
    version, files = _shell()
    config = {
        "version": version,
        "shell": [url_for("static", filename=name) for name in files] + [url_for("pwa.offline")],
        "offline": url_for("pwa.offline"),
    }
    source = (Path(current_app.static_folder) / WORKER_SOURCE).read_text(encoding="utf-8")
    body = f"const SW_CONFIG = {json.dumps(config)};\n{source}"
    response = Response(body, mimetype="text/javascript")
    # The browser checks for a new worker on navigations; the HTTP cache must not hide one, and
    # an unchanged worker costs a 304.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(version)
    return response.make_conditional(request)


@bp.route("/manifest.webmanifest")
def manifest():
    home = url_for("web.home")
    data = {
        "id": home,
        "name": "eSeller",
        "short_name": "eSeller",
        "description": _("Your leads, calls and follow-ups, on your phone and at your desk."),
        "lang": _lang(),
        "start_url": home,
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["business", "productivity"],
        "icons": [
            {"src": url_for("static", filename=src), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for src, size, purpose in ICONS
        ],
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale())


@bp.route("/offline")
def offline():
    """Shown by the service worker for a page that was never opened on this device while online.

    It is cached at install with whoever is signed in, so it names no one: no menu, no data.
    """
    return render_template("pwa/offline.html")
