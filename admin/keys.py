"""Capture settings (admins): widget keys, API keys, the consent text, and a live widget preview.

- Widget keys are public (`wk_...`): what protects them is the allowlist of origins. Rotating one
  creates its successor with the same settings and revokes it at once (`replaced_by_id` says by
  what), so a leaked key stops working the moment the admin asks.
- API keys are secrets: the raw key (`esk_` + 40 hex) is shown once, on the answer to the form
  that created it, and never stored; only its SHA-256 (what `server.intake.credentials` looks up)
  and a prefix to tell keys apart are kept.
- The consent text is versioned: the widget sends `consent_version` with each lead as proof of
  what the visitor accepted, so a changed text gets a new version and the old text is kept in
  `DealerGroup.settings["consent_history"]`.
- The preview is a page of eSeller's own (`.../preview`), framed by the key's page, that embeds
  the real loader with `data-preview`: the form renders from the real `/widget/v1/config` (which
  lets a signed-in admin of the key's group through from eSeller's origin, see
  `server.widget_host.views._is_admin_preview`) and never sends anything.

Another group's key ids are filtered out by the tenancy layer: they are simply not found (404).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from admin.keys_forms import ApiKeyForm, ConsentForm, WidgetKeyForm, kind_choices
from admin.views import bp
from server.auth.access import roles_required
from server.extensions import db
from server.intake.credentials import API_KEY_PREFIX, hash_key
from server.models import ApiKey, Site, WidgetKey, utcnow
from server.models.tenant import LEAD_KINDS
from server.security import CONTENT_SECURITY_POLICY

WIDGET_KEY_PREFIX = "wk_"
API_KEY_SHOWN_PREFIX = 12  # "esk_" and 8 hex: enough to tell keys apart, useless to an attacker
# The preview page is the one page framed by eSeller itself: the app's policy otherwise.
PREVIEW_CSP = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
assert PREVIEW_CSP != CONTENT_SECURITY_POLICY, "server.security's policy no longer says frame-ancestors 'none'"


def new_widget_key() -> str:
    return WIDGET_KEY_PREFIX + secrets.token_hex(16)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_hex(20)


def _sites() -> list[Site]:
    return list(db.session.execute(select(Site).order_by(Site.code)).scalars())


def _widget_key_or_404(widget_key_id: int) -> WidgetKey:
    key = db.session.execute(select(WidgetKey).where(WidgetKey.id == widget_key_id)).scalar_one_or_none()
    if key is None:
        abort(404)
    return key


def _api_key_or_404(api_key_id: int) -> ApiKey:
    key = db.session.execute(select(ApiKey).where(ApiKey.id == api_key_id)).scalar_one_or_none()
    if key is None:
        abort(404)
    return key


def _widget_form(sites: list[Site], key: WidgetKey | None = None) -> WidgetKeyForm:
    data = None
    if key is not None and request.method == "GET":
        data = {"name": key.name, "source": key.source, "allowed_origins": "\n".join(key.allowed_origins or []),
                "default_kind": key.default_kind, "site": str(key.site_id or ""), "colour": key.colour}
    form = WidgetKeyForm(data=data)
    form.default_kind.choices = kind_choices()
    form.site.choices = [SelectChoice("", _("None (routing rules)"))] + [
        SelectChoice(str(site.id), site.name) for site in sites]
    form.site_kinds = {str(site.id): list(site.kinds or LEAD_KINDS) for site in sites}
    return form


def _apply(form: WidgetKeyForm, key: WidgetKey) -> None:
    key.name = form.name.data.strip()
    key.source = form.source.data.strip()
    key.allowed_origins = form.allowed_origins.origins  # a new list: the JSON column sees the change
    key.default_kind = form.default_kind.data
    key.site_id = int(form.site.data) if form.site.data else None
    key.colour = form.colour.data.lower()


def snippet(key: WidgetKey) -> str:
    """The CONTRACT's embed code, with this server's address."""
    return (f'<script async src="{request.host_url}widget/v1/loader.js" data-key="{key.key}"></script>\n'
            '<div data-eseller-form data-kind="VO"></div>')


def _consent_history() -> list[dict]:
    return list((g.group.settings or {}).get("consent_history") or [])


@bp.route("/keys")
@roles_required("admin")
def keys():
    widget_keys = db.session.execute(
        select(WidgetKey).order_by(WidgetKey.revoked_at.is_not(None), WidgetKey.created_at.desc(), WidgetKey.id.desc())
    ).scalars()
    api_keys = db.session.execute(
        select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    ).scalars()
    return render_template("admin/keys.html", widget_keys=list(widget_keys), api_keys=list(api_keys),
                           sites={site.id: site for site in _sites()}, group=g.group)


@bp.route("/keys/widget/new", methods=["GET", "POST"])
@roles_required("admin")
def keys_new_widget():
    sites = _sites()
    form = _widget_form(sites)
    if form.validate_on_submit():
        key = WidgetKey(key=new_widget_key())
        _apply(form, key)
        db.session.add(key)
        db.session.commit()
        flash(_("The widget key is ready: copy its code onto the site."), "success")
        return redirect(url_for("admin.keys_widget", widget_key_id=key.id))
    return render_template("admin/keys_widget.html", form=form, key=None), 422 if form.errors else 200


@bp.route("/keys/widget/<int:widget_key_id>", methods=["GET", "POST"])
@roles_required("admin")
def keys_widget(widget_key_id: int):
    key = _widget_key_or_404(widget_key_id)
    sites = _sites()
    form = _widget_form(sites, key)
    if request.method == "POST" and key.revoked_at is not None:
        abort(409)  # a revoked key is history: its settings stay as they were when it was used
    if form.validate_on_submit():
        _apply(form, key)
        db.session.commit()
        flash(_("Saved: the preview shows the form as visitors now see it."), "success")
        return redirect(url_for("admin.keys_widget", widget_key_id=key.id))
    successor = db.session.get(WidgetKey, key.replaced_by_id) if key.replaced_by_id else None
    site = next((site for site in sites if site.id == key.site_id), None)
    return render_template("admin/keys_widget.html", form=form, key=key, site=site, successor=successor,
                           snippet=snippet(key), group=g.group), 422 if form.errors else 200


@bp.route("/keys/widget/<int:widget_key_id>/rotate", methods=["POST"])
@roles_required("admin")
def keys_widget_rotate(widget_key_id: int):
    old = _widget_key_or_404(widget_key_id)
    if old.revoked_at is not None:
        abort(409)
    new = WidgetKey(key=new_widget_key(), name=old.name, source=old.source,
                    allowed_origins=list(old.allowed_origins or []), default_kind=old.default_kind,
                    site_id=old.site_id, colour=old.colour)
    db.session.add(new)
    db.session.flush()
    old.revoked_at = utcnow()
    old.replaced_by_id = new.id
    db.session.commit()
    flash(_("New key created; the old one is refused from now on. Put the new code on the site."), "success")
    return redirect(url_for("admin.keys_widget", widget_key_id=new.id))


@bp.route("/keys/widget/<int:widget_key_id>/revoke", methods=["POST"])
@roles_required("admin")
def keys_widget_revoke(widget_key_id: int):
    key = _widget_key_or_404(widget_key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
        flash(_("Key revoked: the form no longer works on the sites that use it."), "success")
    return redirect(url_for("admin.keys"))


@bp.route("/keys/widget/<int:widget_key_id>/preview")
@roles_required("admin")
def keys_widget_preview(widget_key_id: int):
    key = _widget_key_or_404(widget_key_id)
    response = make_response(render_template("admin/widget_preview.html", key=key))
    # Framed by the key's page: its own policy (server.security keeps a response's own CSP).
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/keys/api/new", methods=["GET", "POST"])
@roles_required("admin")
def keys_new_api():
    form = ApiKeyForm()
    if form.validate_on_submit():
        raw = new_api_key()
        key = ApiKey(name=form.name.data.strip(), source=form.source.data.strip(), prefix=raw[:API_KEY_SHOWN_PREFIX],
                     key_hash=hash_key(raw), created_by_id=current_user.id)
        db.session.add(key)
        db.session.commit()
        # Rendered, not redirected: the raw key must not travel through the session or a URL.
        response = make_response(render_template("admin/keys_api_created.html", key=key, raw=raw))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("admin/keys_api_new.html", form=form), 422 if form.errors else 200


@bp.route("/keys/api/<int:api_key_id>/revoke", methods=["POST"])
@roles_required("admin")
def keys_api_revoke(api_key_id: int):
    key = _api_key_or_404(api_key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
        flash(_("API key “%(name)s” revoked: its requests are refused from now on.", name=key.name), "success")
    return redirect(url_for("admin.keys") + "#api-keys")


def next_consent_version(today: str, taken: set[str]) -> str:
    """Today's date (in the group's time zone), then "2026-03-14.2"... when changed again that day."""
    version, count = today, 1
    while version in taken:
        count += 1
        version = f"{today}.{count}"
    return version


@bp.route("/keys/consent", methods=["GET", "POST"])
@roles_required("admin")
def keys_consent():
    group = g.group
    history = _consent_history()
    form = ConsentForm(data=None if request.method == "POST" else {"text": group.consent_text})
    if form.validate_on_submit():
        text = "\n".join(line.rstrip() for line in form.text.data.strip().splitlines())
        if text == (group.consent_text or "").strip():
            flash(_("The text has not changed: it keeps its version."), "info")
            return redirect(url_for("admin.keys_consent"))
        now = utcnow()
        if group.consent_text:
            history.append({"version": group.consent_version, "text": group.consent_text, "until": now.isoformat()})
        today = now.astimezone(group.tz).date().isoformat()
        group.consent_version = next_consent_version(today, {group.consent_version} | {h["version"] for h in history})
        group.consent_text = text
        # A new dict: SQLAlchemy does not see changes made inside a JSON value.
        group.settings = {**(group.settings or {}), "consent_history": history}
        db.session.commit()
        flash(_("Consent text saved as version %(version)s; the widget shows it within a minute.",
                version=group.consent_version), "success")
        return redirect(url_for("admin.keys_consent"))
    preview_key = db.session.execute(
        select(WidgetKey).where(WidgetKey.revoked_at.is_(None)).order_by(WidgetKey.created_at).limit(1)
    ).scalar_one_or_none()
    shown = [{**entry, "until_at": datetime.fromisoformat(entry["until"])} for entry in reversed(history)]
    return render_template("admin/keys_consent.html", form=form, group=group, history=shown,
                           preview_key=preview_key), 422 if form.errors else 200
