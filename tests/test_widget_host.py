"""The widget's public endpoints: the loader, its hashed bundles, each key's config and its CORS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Site, WidgetKey
from server.widget_host.assets import WIDGET_STATIC, manifest
from server.widget_host.origins import origin_allowed
from tests.conftest import in_group

ALLOWED = "http://localhost:8123"


def test_the_loader_is_served_as_javascript_with_a_short_cache(client):
    response = client.get("/widget/v1/loader.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Access-Control-Allow-Origin" not in response.headers
    current = manifest()
    assert response.data == (WIDGET_STATIC / current["loader"]).read_bytes()
    assert f'"/widget/v1/{current["form"]}"'.encode() in response.data


@pytest.mark.parametrize("part", ["form", "loader"])
def test_hashed_bundles_are_cached_for_good(client, part):
    name = manifest()[part]
    response = client.get(f"/widget/v1/{name}")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == (WIDGET_STATIC / name).read_bytes()
    again = client.get(f"/widget/v1/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_previous_builds_bundles_are_still_served(client):
    """A loader cached before a deployment names the previous form: it must still load."""
    previous = manifest()["previous"]
    assert sorted(name.split(".")[0] for name in previous) == ["form", "loader"]
    for name in previous:
        response = client.get(f"/widget/v1/{name}")
        assert response.status_code == 200 and response.data == (WIDGET_STATIC / name).read_bytes()
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "name", ["form.000000000000.js", "manifest.json", "loader.js.map", "form.js", "..%2Fmanifest.json"]
)
def test_files_not_in_the_manifest_are_not_found(client, name):
    response = client.get(f"/widget/v1/{name}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_config_for_an_allowed_origin_carries_cors(client, demo):
    response = client.get(f"/widget/v1/config?key={demo['a']['widget_key']}", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    config = response.json
    assert set(config) == {"group_name", "consent_text", "consent_version", "colour", "default_kind", "site", "kinds"}
    assert config["group_name"] == "Garage du Parc"
    assert config["consent_text"].startswith("J'accepte d'être contacté(e) par Garage du Parc")
    assert config["consent_version"] == "2026-01"
    assert config["colour"].startswith("#")
    assert config["default_kind"] == "VN"
    assert config["site"] is None
    assert config["kinds"] == ["VN", "VO", "ATELIER"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example:8123", "null"])
def test_config_from_an_origin_off_the_allowlist_is_refused(client, demo, origin):
    response = client.get(f"/widget/v1/config?key={demo['a']['widget_key']}", headers={"Origin": origin})
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]
    assert response.json["error"]["code"] == "origin_not_allowed"
    assert "Garage du Parc" not in response.get_data(as_text=True)


def test_config_without_an_origin_header_is_public(client, demo):
    """Same-origin pages and server-side tools send no Origin: no CORS header is needed."""
    response = client.get(f"/widget/v1/config?key={demo['a']['widget_key']}")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("query", ["?key=wk_unknown", "?key=", "", "?key=" + "x" * 500])
def test_config_for_an_unknown_key_is_401(client, query):
    response = client.get("/widget/v1/config" + query, headers={"Origin": ALLOWED})
    assert response.status_code == 401
    assert response.json["error"] == {
        "code": "invalid_widget_key",
        "message": "Unknown or revoked widget key.",
        "fields": {},
    }
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_config_follows_the_keys_site_and_revocation(app, client, demo):
    """A key tied to a used-car centre offers VO only; once revoked it is refused."""
    raw = "wk_test_" + uuid.uuid4().hex
    with in_group(app, "autre-groupe"):
        site = next(s for s in db.session.execute(select(Site)).scalars() if s.kinds == ["VO"])
        db.session.add(
            WidgetKey(
                key=raw, name="Test", allowed_origins=["https://www.autre-groupe.example"], default_kind="VN",
                site_id=site.id, colour="#e4572e",
            )
        )
        db.session.commit()
        site_code = site.code
    origin = {"Origin": "https://WWW.autre-groupe.example"}
    response = client.get(f"/widget/v1/config?key={raw}", headers=origin)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://WWW.autre-groupe.example"
    assert response.json["site"] == site_code
    assert response.json["kinds"] == ["VO"]
    assert response.json["default_kind"] == "VO"
    assert response.json["colour"] == "#e4572e"
    assert client.get(f"/widget/v1/config?key={raw}", headers={"Origin": ALLOWED}).status_code == 403

    with in_group(app, "autre-groupe"):
        key = db.session.execute(select(WidgetKey).where(WidgetKey.key == raw)).scalar_one()
        key.revoked_at = datetime.now(UTC)
        db.session.commit()
    assert client.get(f"/widget/v1/config?key={raw}", headers=origin).status_code == 401


@pytest.mark.parametrize(
    ("allowed", "origin", "expected"),
    [
        (["http://localhost:*"], "http://localhost:8123", True),
        (["http://localhost:*"], "http://localhost", True),
        (["http://localhost:*"], "https://localhost:8123", False),
        (["http://localhost:*"], "http://localhost.evil.example:8123", False),
        (["http://localhost:*", "http://127.0.0.1:*"], "http://127.0.0.1:5000", True),
        (["http://localhost:*", "http://127.0.0.1:*"], "http://127.0.0.2:5000", False),
        (["https://www.garage.fr"], "https://www.garage.fr", True),
        (["https://www.garage.fr/"], "HTTPS://WWW.Garage.FR", True),
        (["https://www.garage.fr"], "https://www.garage.fr/", True),
        (["https://www.garage.fr"], "https://www.garage.fr:443", True),
        (["http://www.garage.fr:80"], "http://www.garage.fr", True),
        (["https://www.garage.fr"], "https://www.garage.fr:8443", False),
        (["https://www.garage.fr"], "http://www.garage.fr", False),
        (["https://www.garage.fr"], "https://garage.fr", False),
        (["https://www.garage.fr"], "https://www.garage.fr.evil.example", False),
        (["https://www.garage.fr:8443"], "https://www.garage.fr:8443", True),
        (["http://[::1]:*"], "http://[::1]:3000", True),
        (["*"], "https://www.garage.fr", False),
        (["https://*.garage.fr"], "https://www.garage.fr", False),
        (["https://www.garage.fr"], "null", False),
        (["https://www.garage.fr"], "", False),
        (["https://www.garage.fr"], "https://www.garage.fr/contact", False),
        (["https://www.garage.fr"], "https://user@www.garage.fr", False),
        (["https://a.fr:*"], "https://a.fr:*", False),
        ([], "https://www.garage.fr", False),
        (["", "not an origin", "ftp://www.garage.fr"], "https://www.garage.fr", False),
    ],
)
def test_origin_allowed(allowed, origin, expected):
    assert origin_allowed(allowed, origin) is expected
