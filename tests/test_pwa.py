"""The installable app: the web manifest and its icons, the service worker at the site's root, the
offline page, and the top bar's offline-queue badge. What the worker does in a browser is in
tests/test_browser_offline.py."""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from server.pwa import views as pwa_views
from tests.conftest import demo_user

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def worker_config(body: str) -> dict:
    first, _, rest = body.partition("\n")
    match = re.fullmatch(r"const SW_CONFIG = (\{.*\});", first)
    assert match, first[:200]
    assert "self.addEventListener(\"fetch\"" in rest
    return json.loads(match.group(1))


def test_the_manifest_makes_an_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "eSeller" and manifest["short_name"] == "eSeller"
    assert manifest["start_url"] == "/home" and manifest["scope"] == "/" and manifest["id"] == "/home"
    assert manifest["display"] == "standalone"
    assert HEX_COLOUR.match(manifest["theme_color"]) and HEX_COLOUR.match(manifest["background_color"])
    assert manifest["lang"] == "fr", "French first"
    assert manifest["description"]

    seen = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        assert image.mimetype == icon["type"] == "image/png"
        width, height = png_size(image.data)
        assert icon["sizes"] == f"{width}x{height}", f"{icon['src']} declares {icon['sizes']}, is {width}x{height}"
        seen.add((width, icon["purpose"]))
    # What Chrome wants to offer the install: 192 and 512 pixels, and a maskable one for Android's shapes.
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= seen


def test_every_page_links_the_manifest_and_the_worker_script(client, login):
    for response in (client.get("/login"), login("a", "seller").get("/home")):
        html = response.get_data(as_text=True)
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html
        assert '<script type="module" src="/static/js/pwa.js"></script>' in html
        assert 'rel="apple-touch-icon"' in html


def test_the_service_worker_is_served_at_the_root_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Service-Worker-Allowed"] == "/"
    # The browser must see a new worker at once: no HTTP caching of the script.
    assert response.headers["Cache-Control"] == "no-cache"
    config = worker_config(response.get_data(as_text=True))
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert config["offline"] == "/offline"
    shell = config["shell"]
    for needed in ("/static/css/app.css", "/static/css/pwa.css", "/static/js/outbox.js", "/static/js/pwa.js",
                   "/static/js/inbox.js", "/static/js/dom.js", "/static/img/icon-192.png", "/offline"):
        assert needed in shell, needed
    assert "/static/js/sw.js" not in shell, "the worker does not cache itself"
    assert not [url for url in shell if url.startswith("/api/") or url in ("/home", "/actions")], \
        "no user's page or data is part of the shell"
    for url in shell:  # cache.addAll fails as a whole if one of them does
        assert client.get(url).status_code == 200, url
    # The browser's update check of an unchanged worker is answered 304.
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and response.headers["ETag"] == f'"{config["version"]}"'


def test_the_old_notification_worker_is_gone(client):
    """A phone that registered it gets a 404 on its next update check, and the browser drops it."""
    assert client.get("/static/js/inbox-sw.js").status_code == 404


def test_a_changed_shell_file_changes_the_worker(app, tmp_path):
    """The version is a digest of the shell: a deployment that changes a script installs a new worker."""
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    template = tmp_path / "offline.html"
    shutil.copy(Path(app.root_path) / "templates" / "pwa" / "offline.html", template)

    version, files = pwa_views._worker(str(static), str(template), (0,))
    assert "js/outbox.js" in files and "js/sw.js" not in files
    assert pwa_views._worker(str(static), str(template), (1,))[0] == version, "same files, same version"

    (static / "css" / "app.css").write_text((static / "css" / "app.css").read_text() + "\n.x { color: red; }\n")
    changed = pwa_views._worker(str(static), str(template), (2,))[0]
    assert changed != version
    template.write_text(template.read_text() + "\n")
    assert pwa_views._worker(str(static), str(template), (3,))[0] != changed


def test_the_served_worker_follows_the_files_on_disk(app, client, tmp_path):
    """A shell file added while the server runs is listed at once; one removed is no longer asked for."""
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    saved, app.static_folder = app.static_folder, str(static)
    try:
        before = worker_config(client.get("/sw.js").get_data(as_text=True))
        (static / "js" / "probe.js").write_text("export const probe = 1;\n")
        during = worker_config(client.get("/sw.js").get_data(as_text=True))
        assert "/static/js/probe.js" in during["shell"] and during["version"] != before["version"]
        (static / "js" / "probe.js").unlink()
        after = worker_config(client.get("/sw.js").get_data(as_text=True))
        assert "/static/js/probe.js" not in after["shell"] and after["version"] == before["version"]
    finally:
        app.static_folder = saved


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_offline_page_names_no_one(client, login, demo, signed_in):
    """It is cached with whoever is signed in when the worker installs: no name, no token, no data."""
    who = login("a", "seller") if signed_in else client
    response = who.get("/offline")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'href="/home"' in html, "a way back to the inbox"
    assert re.search(r"<h1>[^<]+</h1>", html)
    assert '<script type="module" src="/static/js/pwa-offline.js"></script>' in html
    seller = demo_user(demo, "a", "seller")
    assert seller["email"] not in html
    assert "csrf" not in html.lower() and "usermenu" not in html and "data-outbox" not in html


def test_the_top_bar_has_the_pending_count_for_signed_in_users(client, login):
    html = login("a", "seller").get("/home").get_data(as_text=True)
    box = re.search(r'<div class="outbox-status" data-outbox data-user="(\d+)"[^>]*>', html)
    assert box, "the badge's box, with the user the queue belongs to"
    assert re.search(r'data-text="%\(count\)s [^"%]+"', box.group(0)), "the words, with the slot the script fills"
    # The live region is always there (so that a change is read out); the badge inside is hidden at 0.
    assert '<span role="status" aria-live="polite"><span class="outbox-badge" data-outbox-badge hidden></span></span>' in html
    assert "data-outbox" not in client.get("/login").get_data(as_text=True), "nobody's queue before signing in"
    assert '<form method="post" action="/logout" data-sign-out>' in html


def test_the_seller_desk_has_the_days_agenda_next_to_the_pane(login):
    html = login("a", "seller").get("/home").get_data(as_text=True)
    layout = html[html.index('<div class="inbox-layout">'):]
    main, pane, agenda = (layout.index(marker) for marker in
                          ('<div class="inbox-main">', "data-pane", '<aside class="inbox-agenda"'))
    assert main < pane < agenda, "inbox, lead, agenda: the desk's order, and the phone's list then agenda"
    assert 'href="/actions/agenda?view=day"' in layout
