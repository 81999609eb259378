"""Routing settings (MG1, BX3, BX4): the routing mode, the ordered rules, response times, dry run.

Admins only. Everything lives on one page, /admin/routing, so that a change and its effect (the dry
run) sit side by side; the rule form has its own page because it is long on a phone.
"""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from admin.routing_dry_run import DryRun, simulate, transient_lead
from admin.routing_forms import (
    CONDITION_LABELS,
    MODE_HELP,
    MODE_LABELS,
    TARGET_CELL,
    TARGET_OWN_SITE,
    DryRunForm,
    ModeForm,
    ResponseTimesForm,
    RuleForm,
)
from admin.views import bp
from server.auth.access import feature_required, roles_required
from server.extensions import db
from server.lead_routing.rules import CONDITION_KEYS
from server.models import Lead, RoutingRule, Site, utcnow
from server.web.labels import KIND_LABELS

POSITION_STEP = 10


def _sites() -> list[Site]:
    return list(db.session.execute(select(Site).order_by(Site.code)).scalars())


def _rules() -> list[RoutingRule]:
    return list(db.session.execute(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)).scalars())


def _rule_or_404(rule_id: int) -> RoutingRule:
    # Another group's rule is filtered out by the tenancy layer, so it is simply not found.
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        abort(404)
    return rule


def conditions_in_words(conditions: dict) -> list[tuple[str, str]]:
    """[('Kind', 'Used car'), ('Brand', 'Peugeot or Citroën')]: how the list shows a rule."""
    words = []
    joiner = " " + _("or") + " "
    for key in CONDITION_KEYS:
        values = conditions.get(key) or []
        if values:
            shown = [str(KIND_LABELS.get(v, v)) if key == "kind" else v for v in values]
            words.append((str(CONDITION_LABELS[key]), joiner.join(shown)))
    return words


def target_label(rule: RoutingRule) -> str:
    if rule.to_cell:
        return _("The lead cell")
    return rule.site.name if rule.site else _("The site named by the lead")


def _source_suggestions() -> list[str]:
    return list(db.session.execute(select(Lead.source).distinct().order_by(Lead.source).limit(40)).scalars())


def _dry_run_form(sites: list[Site]) -> DryRunForm:
    form = DryRunForm(formdata=request.args if request.args else None)
    form.site.choices = [SelectChoice("", _("No site named"))] + [SelectChoice(s.code, s.name) for s in sites]
    return form


def _page(*, mode_form: ModeForm | None = None, times_form: ResponseTimesForm | None = None,
          dry_form: DryRunForm | None = None, dry_run: DryRun | None = None, status: int = 200) -> tuple[str, int]:
    group = g.group
    sites = _sites()
    if mode_form is None:
        mode_form = ModeForm(routing_mode=group.routing_mode)
    if times_form is None:
        times_form = ResponseTimesForm(formdata=None)
        times_form.fill(group.settings or {})
        times_form.pad()
    return render_template(
        "admin/routing.html",
        group=group,
        rules=_rules(),
        mode_form=mode_form,
        mode_help=MODE_HELP,
        mode_labels=MODE_LABELS,
        times_form=times_form,
        dry_form=dry_form or _dry_run_form(sites),
        dry_run=dry_run,
        sources=_source_suggestions(),
        brands=sorted({brand for site in sites for brand in site.brands or []}),
        in_words=conditions_in_words,
        target_label=target_label,
        condition_labels=CONDITION_LABELS,
    ), status


@bp.route("/routing")
@roles_required("admin")
@feature_required("MG1")
def routing():
    return _page()


@bp.route("/routing/mode", methods=["POST"])
@roles_required("admin")
@feature_required("MG1")
def routing_mode():
    form = ModeForm()
    if not form.validate_on_submit():
        return _page(mode_form=form, status=422)
    g.group.routing_mode = form.routing_mode.data
    db.session.commit()
    flash(_("Routing mode: %(mode)s.", mode=MODE_LABELS[form.routing_mode.data]), "success")
    return redirect(url_for("admin.routing"))


@bp.route("/routing/response-times", methods=["POST"])
@roles_required("admin")
@feature_required("MG1")
def response_times():
    form = ResponseTimesForm()
    if not form.validate_on_submit():
        return _page(times_form=form, status=422)
    # A new dict: SQLAlchemy does not see changes made inside the stored JSON document.
    g.group.settings = form.settings(dict(g.group.settings or {}))
    db.session.commit()
    flash(_("Response times saved. They apply to leads received from now on."), "success")
    return redirect(url_for("admin.routing") + "#response-times")


@bp.route("/routing/dry-run")
@roles_required("admin")
@feature_required("MG1")
def dry_run():
    sites = _sites()
    form = _dry_run_form(sites)
    if not request.args:
        return redirect(url_for("admin.routing") + "#dry-run")
    if not form.validate():
        return _page(dry_form=form, status=422)
    group = g.group
    site = next((s for s in sites if s.code == form.site.data), None)
    moment = form.at.data.replace(tzinfo=group.tz).astimezone(UTC) if form.at.data else utcnow()
    lead = transient_lead(group, kind=form.kind.data, brand=form.brand.data or "", model=form.model.data or "",
                          source=form.source.data or "", postal_code=form.postal_code.data or "",
                          language=(form.language.data or "").lower(), site=site)
    return _page(dry_form=form, dry_run=simulate(group, lead, moment))


def _rule_form(rule: RoutingRule | None) -> RuleForm:
    sites = _sites()
    if rule is not None and request.method == "GET":
        form = RuleForm(data={"name": rule.name, "active": rule.active})
    else:
        form = RuleForm()
    form.site_codes = {site.code.casefold(): site.code for site in sites}
    form.target.choices = (
        [SelectChoice(f"site-{site.id}", site.name) for site in sites]
        + [SelectChoice(TARGET_CELL, _("The lead cell")),
           SelectChoice(TARGET_OWN_SITE, _("The site named by the lead (no change)"))]
    )
    if rule is not None and request.method == "GET":
        form.fill(rule.conditions or {})
        form.target.data = TARGET_CELL if rule.to_cell else f"site-{rule.site_id}" if rule.site_id else TARGET_OWN_SITE
    return form


def _save_rule(form: RuleForm, rule: RoutingRule) -> None:
    rule.name = form.name.data
    rule.active = bool(form.active.data)
    rule.conditions = form.conditions()
    target = form.target.data
    rule.to_cell = target == TARGET_CELL
    # The choices hold only this group's sites, so the id is known to be ours.
    rule.site_id = int(target.removeprefix("site-")) if target.startswith("site-") else None


def _render_rule(form: RuleForm, rule: RoutingRule | None) -> tuple[str, int]:
    status = 422 if form.errors else 200
    return render_template("admin/routing_rule.html", form=form, rule=rule,
                           sources=_source_suggestions(), condition_keys=CONDITION_KEYS), status


@bp.route("/routing/rules/new", methods=["GET", "POST"])
@roles_required("admin")
@feature_required("MG1")
def new_rule():
    form = _rule_form(None)
    if form.validate_on_submit():
        last = db.session.execute(select(func.max(RoutingRule.position))).scalar() or 0
        rule = RoutingRule(position=last + POSITION_STEP)
        _save_rule(form, rule)
        db.session.add(rule)
        db.session.commit()
        flash(_("Rule “%(name)s” added at the end of the list.", name=rule.name), "success")
        return redirect(url_for("admin.routing") + "#rules")
    return _render_rule(form, None)


@bp.route("/routing/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required("admin")
@feature_required("MG1")
def edit_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    form = _rule_form(rule)
    if form.validate_on_submit():
        _save_rule(form, rule)
        db.session.commit()
        flash(_("Rule “%(name)s” saved.", name=rule.name), "success")
        return redirect(url_for("admin.routing") + "#rules")
    return _render_rule(form, rule)


@bp.route("/routing/rules/<int:rule_id>/delete", methods=["POST"])
@roles_required("admin")
@feature_required("MG1")
def delete_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    db.session.delete(rule)
    db.session.commit()
    flash(_("Rule “%(name)s” deleted.", name=rule.name), "success")
    return redirect(url_for("admin.routing") + "#rules")


@bp.route("/routing/rules/<int:rule_id>/move", methods=["POST"])
@roles_required("admin")
@feature_required("MG1")
def move_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    rules = _rules()
    index = rules.index(rule)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    # Renumbered every time: equal or sparse positions left by older data never make a move a no-op.
    for number, item in enumerate(rules, start=1):
        item.position = number * POSITION_STEP
    db.session.commit()
    return redirect(url_for("admin.routing") + "#rules")
