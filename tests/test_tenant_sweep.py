"""Walk every registered route as every role of another group: nothing of group A may leak.

A route that takes an id is called with ids of group A's rows; a list is searched for group A's
identifying strings (customers' and users' e-mails and phones). A new route whose id parameter
is not known here fails the sweep until it is added to ID_PARAMS, so that no route escapes it.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import (
    Action,
    ApiKey,
    Contact,
    InboundMessage,
    Lead,
    OwnedVehicle,
    PlanningException,
    RoutingRule,
    Shift,
    Site,
    StockVehicle,
    TenantScoped,
    User,
    WidgetKey,
)
from tests.conftest import in_group

ROLES = ("call_center", "cell", "seller", "manager", "admin")
# Reachable without signing in, by design.
PUBLIC = {
    "static", "auth.login", "auth_api.token", "health.healthz", "web.index", "web.set_language",
    # The widget's scripts and public settings, served to any page (the key decides what it gets).
    "widget_host.loader", "widget_host.asset", "widget_host.config",
    # The iCalendar feed: the secret in its URL is the credential (tests/test_ical.py covers it).
    "actions.feed_ics",
    # The installable app's manifest, service worker and offline page: the same for everyone, no data.
    "pwa.manifest", "pwa.service_worker", "pwa.offline",
}
# Route parameter -> the model whose group-A id is tried.
ID_PARAMS = {
    "lead_id": Lead,
    "user_id": User,
    "contact_id": Contact,
    "site_id": Site,
    "vehicle_id": StockVehicle,
    "stock_vehicle_id": StockVehicle,
    "owned_vehicle_id": OwnedVehicle,
    "action_id": Action,
    "api_key_id": ApiKey,
    "widget_key_id": WidgetKey,
    "message_id": InboundMessage,
    "rule_id": RoutingRule,
    "shift_id": Shift,
    "exception_id": PlanningException,
}
# Non-id parameters and a value to try.
OTHER_PARAMS = {"code": "fr", "filename": "css/app.css", "category": "behind", "form_name": "close"}


def _routes(app):
    """Every private route and method; signing out last, so the sweep keeps its session."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint == "auth.logout", rule.rule))
    for rule in rules:
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _of_group(query, model, group_id: int):
    """Scoped models are confined by the tenancy layer; the others (mail) say their group by hand."""
    if not issubclass(model, TenantScoped):
        query = query.where(model.group_id == group_id)
    return query.limit(1)


def _group_a(app) -> dict:
    """Ids of group A's rows and the strings that would betray a leak."""
    with in_group(app, "garage-du-parc") as group:
        group_a_id = group.id
        ids = {name: db.session.execute(_of_group(select(model.id), model, group_a_id)).scalar_one_or_none()
               for name, model in ID_PARAMS.items()}
        markers = set(db.session.execute(select(Contact.email).where(Contact.email.is_not(None))).scalars())
        markers |= set(db.session.execute(select(Contact.phone).where(Contact.phone.is_not(None))).scalars())
        markers |= set(db.session.execute(select(User.email)).scalars())
    with in_group(app, "autre-groupe"):
        theirs = set(db.session.execute(select(Contact.email)).scalars())
        theirs |= set(db.session.execute(select(Contact.phone)).scalars())
    return {"ids": ids, "markers": {m for m in markers - theirs if m}}


def _fingerprint(app) -> str:
    """A digest of group A's rows that any write through a route would change."""
    digest = hashlib.sha256()
    with in_group(app, "garage-du-parc"):
        for model in (User, Lead, Contact, Action, Site, StockVehicle, ApiKey, WidgetKey):
            for row in db.session.execute(select(model).order_by(model.id)).scalars():
                values = [str(getattr(row, column.key)) for column in model.__table__.columns]
                digest.update("|".join(values).encode())
    return digest.hexdigest()


def _url(rule, ids: dict) -> str:
    values = {}
    for name in rule.arguments:
        if name in ID_PARAMS:
            assert ids[name] is not None, f"group A has no {ID_PARAMS[name].__name__} to try on {rule.rule}"
            values[name] = ids[name]
        elif name in OTHER_PARAMS:
            values[name] = OTHER_PARAMS[name]
        else:
            pytest.fail(f"{rule.rule}: parameter {name!r} is unknown to the tenant sweep; add it to ID_PARAMS")
    return rule.build(values, append_unknown=False)[1]


def _check(response, rule, method, who, group_a) -> None:
    where = f"{method} {rule.rule} as {who}"
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = response.get_data(as_text=True)
    leaked = [marker for marker in group_a["markers"] if marker in body]
    assert not leaked, f"{where} shows group A's data: {leaked[:3]}"
    if any(name in ID_PARAMS for name in rule.arguments):
        assert response.status_code in (302, 400, 401, 403, 404, 405, 422), f"{where}: {response.status_code}"


def test_every_route_refuses_another_groups_data(app, demo, login, token_for):
    group_a = _group_a(app)
    assert len(group_a["markers"]) > 100, "group A must have data for the sweep to mean anything"
    before = _fingerprint(app)
    routes = list(_routes(app))
    assert len(routes) > 10
    for role in ROLES:
        browser = login("b", role)
        bearer = {"Authorization": f"Bearer {token_for('b', role)}"}
        api = app.test_client()
        for rule, method in routes:
            url = _url(rule, group_a["ids"])
            _check(browser.open(url, method=method, data={}), rule, method, f"b/{role} (session)", group_a)
            if rule.rule.startswith("/api/"):
                _check(api.open(url, method=method, json={}, headers=bearer), rule, method, f"b/{role} (token)", group_a)
    assert _fingerprint(app) == before, "a request from group B changed group A's data"


def test_every_private_route_wants_a_signed_in_user(app, demo):
    group_a = _group_a(app)
    client = app.test_client()
    for rule, method in _routes(app):
        response = client.open(_url(rule, group_a["ids"]), method=method, data={})
        if rule.rule.startswith("/api/"):
            assert response.status_code in (401, 405), f"{method} {rule.rule}: {response.status_code}"
        else:
            assert response.status_code in (302, 405), f"{method} {rule.rule}: {response.status_code}"
            if response.status_code == 302:
                assert "/login" in response.location


def test_the_sweep_sees_leaks(app, demo, login):
    """The sweep's own check: group A's admin does see group A's markers on their pages."""
    group_a = _group_a(app)
    admin = login("a", "admin")
    body = admin.get("/admin/users").get_data(as_text=True)
    assert any(marker in body for marker in group_a["markers"])
