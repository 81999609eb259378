"""The shared planning (CE5): who is on duty, where and when, and editing it.

Managers see and edit the people of their own sites; the lead cell and admins, the whole group.
Routing (MG1/BX4) reads the same shifts and absences in every edition, so the page belongs to
CE5 or MG1. Another group's ids are not found (404) because every query is confined to the
signed-in user's group (server/tenancy.py); a manager reaching past their sites gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date, format_datetime, get_day_names
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from admin.planning_forms import EXCEPTION_KINDS, ExceptionForm, ShiftForm
from admin.planning_week import local_midnight, monday_of, parse_week, person_days, to_minutes, week_code
from admin.views import bp
from server.auth.access import feature_required, roles_required
from server.extensions import db
from server.lead_routing.decide import load_planning
from server.lead_routing.planning import ExceptionView, ShiftView, on_duty
from server.models import PlanningException, Shift, Site, User, utcnow

PLANNING_ROLES = ("manager", "cell", "admin")
PEOPLE_ROLES = ("seller", "cell")  # whose duty the planning holds


def _guard(view: Callable) -> Callable:
    return roles_required(*PLANNING_ROLES)(feature_required("CE5", "MG1")(view))


def _allowed_sites() -> list[Site]:
    sites = list(db.session.execute(select(Site).order_by(Site.code)).scalars())
    if current_user.role == "manager":
        return [site for site in sites if site.id in current_user.site_ids]
    return sites


def _site(allowed: list[Site]) -> Site:
    code = request.args.get("site")
    if not code:
        if not allowed:
            abort(403)
        return allowed[0]
    site = db.session.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
    if site is None:
        abort(404)
    if site not in allowed:
        abort(403)
    return site


def _monday(site: Site) -> date:
    return parse_week(request.args.get("week"), utcnow().astimezone(site.tz).date())


def _person(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or person.role not in PEOPLE_ROLES:
        abort(404)
    return person


def _may_edit(person: User) -> bool:
    return current_user.role != "manager" or bool(person.site_ids & current_user.site_ids)


def _require_edit(person: User) -> None:
    if not _may_edit(person):
        abort(403)


def _local(site: Site, moment: datetime, fmt: str = "EEE d MMM, HH:mm") -> str:
    return format_datetime(moment, fmt, tzinfo=site.tz, locale=get_locale())


def _day_label(day, fmt: str) -> str:
    text = format_date(day, fmt, locale=get_locale())
    return text[:1].upper() + text[1:]


def _weekday_choices() -> list[SelectChoice]:
    names = get_day_names("wide", locale=get_locale())
    return [SelectChoice(day, names[day].capitalize()) for day in range(7)]


def _exception_form(people: list[User], **data) -> ExceptionForm:
    form = ExceptionForm(**data)
    form.person.choices = [SelectChoice(p.id, p.full_name) for p in people]
    return form


def _people_of(site: Site, shift_user_ids: set[int], extra_user_ids: set[int]) -> list[User]:
    users = db.session.execute(
        select(User).where(User.active, User.role.in_(PEOPLE_ROLES)).options(selectinload(User.sites))
    ).scalars()
    # Sellers of the site always show (one without shifts yet must be findable, to plan them);
    # the cell, attached to every site, only where it has duty.
    scheduled = shift_user_ids | extra_user_ids
    people = [u for u in users if u.id in scheduled or (u.role == "seller" and site.id in u.site_ids)]
    # Sellers first (they take the leads), then the cell; by name within each.
    return sorted(people, key=lambda u: (PEOPLE_ROLES.index(u.role), u.last_name, u.first_name))


def _week_page(site: Site, allowed: list[Site], monday: date, form: ExceptionForm | None = None,
               status: int = 200) -> tuple[str, int]:
    tz, now = site.tz, utcnow()
    start, end = local_midnight(monday, tz), local_midnight(monday + timedelta(days=7), tz)
    shifts = list(db.session.execute(select(Shift).where(Shift.site_id == site.id)).scalars())
    exceptions = list(db.session.execute(
        select(PlanningException).where(PlanningException.starts_at < end, PlanningException.ends_at > start)
        .order_by(PlanningException.starts_at).options(selectinload(PlanningException.user))
    ).scalars())
    extras_here = {e.user_id for e in exceptions if e.kind == "extra" and e.site_id == site.id}
    people = _people_of(site, {s.user_id for s in shifts}, extras_here)
    # "On duty now" asks routing's own question, on routing's own data (shown on this week only).
    today = now.astimezone(tz).date()
    this_week = week_code(monday_of(today))
    present = on_duty(site.id, now, tz, *load_planning(site.id)) if week_code(monday) == this_week else set()
    shift_views = [ShiftView(s.user_id, s.site_id, s.weekday, s.starts, s.ends) for s in shifts]
    exception_views = [(ExceptionView(e.user_id, e.kind, e.starts_at, e.ends_at, e.site_id), e.note)
                       for e in exceptions]
    rows = [(person, person_days(person.id, site.id, monday, tz, shift_views, exception_views, now,
                                 person.id in present)) for person in people]
    shown = {person.id for person in people}
    return render_template(
        "admin/planning.html",
        site=site, sites=allowed, rows=rows, days=[monday + timedelta(days=i) for i in range(7)], today=today,
        week=week_code(monday), this_week=this_week,
        previous_week=week_code(monday - timedelta(days=7)), next_week=week_code(monday + timedelta(days=7)),
        exceptions=[e for e in exceptions if e.user_id in shown], exception_kinds=EXCEPTION_KINDS,
        form=form or _exception_form([p for p in people if _may_edit(p)]),
        on_duty_count=len(present & shown),
        off_by_day=[[p.full_name for p, row in rows if row.days[i].off] for i in range(7)],
        may_edit=_may_edit, day_label=_day_label, local=lambda moment: _local(site, moment),
    ), status


@bp.route("/planning")
@_guard
def planning():
    allowed = _allowed_sites()
    site = _site(allowed)
    return _week_page(site, allowed, _monday(site))


def _person_page(person: User, site: Site, allowed: list[Site], *, shift_form: ShiftForm | None = None,
                 exception_form: ExceptionForm | None = None, status: int = 200) -> tuple[str, int]:
    shifts = list(db.session.execute(
        select(Shift).where(Shift.user_id == person.id).order_by(Shift.weekday, Shift.starts)
        .options(selectinload(Shift.site))
    ).scalars())
    since = utcnow() - timedelta(days=30)
    exceptions = list(db.session.execute(
        select(PlanningException).where(PlanningException.user_id == person.id, PlanningException.ends_at >= since)
        .order_by(PlanningException.starts_at)
    ).scalars())
    if shift_form is None:
        shift_form = ShiftForm(formdata=None, site=site.id)
    shift_form.site.choices = [SelectChoice(s.id, s.name) for s in allowed]
    shift_form.weekday.choices = _weekday_choices()
    if exception_form is None:
        exception_form = _exception_form([person], formdata=None, person=person.id, return_to="person")
    sites_by_id = {s.id: s for s in allowed}
    return render_template(
        "admin/planning_person.html",
        person=person, site=site, week=request.args.get("week") or week_code(_monday(site)),
        weekdays=_weekday_choices(), shifts=shifts, exceptions=exceptions, exception_kinds=EXCEPTION_KINDS,
        shift_form=shift_form, form=exception_form, editable_site_ids=set(sites_by_id),
        may_edit=_may_edit(person), local=lambda moment: _local(site, moment, "EEE d MMM y, HH:mm"),
    ), status


@bp.route("/planning/people/<int:user_id>")
@_guard
def planning_person(user_id: int):
    person = _person(user_id)
    _require_edit(person)
    allowed = _allowed_sites()
    return _person_page(person, _site(allowed), allowed)


def _back(site: Site, person: User | None = None, week: str | None = None) -> Response:
    week = week or request.args.get("week")
    if person is not None:
        return redirect(url_for("admin.planning_person", user_id=person.id, site=site.code, week=week))
    return redirect(url_for("admin.planning", site=site.code, week=week))


@bp.route("/planning/people/<int:user_id>/shifts", methods=["POST"])
@_guard
def planning_add_shift(user_id: int):
    person = _person(user_id)
    _require_edit(person)
    allowed = _allowed_sites()
    site = _site(allowed)
    form = ShiftForm()
    form.site.choices = [SelectChoice(s.id, s.name) for s in allowed]
    form.weekday.choices = _weekday_choices()
    if form.site.data not in {s.id for s in allowed} and db.session.get(Site, form.site.data or 0) is not None:
        abort(403)  # one of the group's sites, but not one of this manager's
    if form.validate_on_submit():
        begin, end = to_minutes(form.starts.data), to_minutes(form.ends.data)
        # A person is in one place at a time: no overlap with their shifts that day, at any site.
        clash = db.session.execute(
            select(Shift).where(Shift.user_id == person.id, Shift.weekday == form.weekday.data)
            .options(selectinload(Shift.site))
        ).scalars().all()
        overlap = next((s for s in clash if to_minutes(s.starts) < end and begin < to_minutes(s.ends)), None)
        if overlap is None:
            db.session.add(Shift(user_id=person.id, site_id=form.site.data, weekday=form.weekday.data,
                                 starts=form.starts.data, ends=form.ends.data))
            db.session.commit()
            flash(_("Shift added for %(name)s.", name=person.full_name), "success")
            return _back(site, person)
        form.starts.errors.append(_("Overlaps the shift %(starts)s–%(ends)s at %(site)s.",
                                    starts=overlap.starts, ends=overlap.ends, site=overlap.site.name))
    return _person_page(person, site, allowed, shift_form=form, status=422)


@bp.route("/planning/shifts/<int:shift_id>/delete", methods=["POST"])
@_guard
def planning_delete_shift(shift_id: int):
    shift = db.session.get(Shift, shift_id)
    if shift is None:
        abort(404)
    allowed = _allowed_sites()
    if shift.site not in allowed:
        abort(403)
    person = shift.user
    db.session.delete(shift)
    db.session.commit()
    flash(_("Shift removed for %(name)s.", name=person.full_name), "success")
    return _back(_site(allowed), person)


@bp.route("/planning/exceptions", methods=["POST"])
@_guard
def planning_add_exception():
    allowed = _allowed_sites()
    site = _site(allowed)
    person = _person(request.form.get("person", type=int) or 0)
    _require_edit(person)
    form = _exception_form([person])
    if form.validate_on_submit():
        tz = site.tz
        starts = form.starts.data.replace(tzinfo=tz).astimezone(UTC)
        ends = form.ends.data.replace(tzinfo=tz).astimezone(UTC)
        kind = form.kind.data
        # An absence holds everywhere; an extra duty is at the site of the planning it was added to.
        db.session.add(PlanningException(user_id=person.id, kind=kind, site_id=site.id if kind == "extra" else None,
                                         starts_at=starts, ends_at=ends, note=form.note.data or ""))
        db.session.commit()
        flash(_("%(kind)s added for %(name)s: %(starts)s → %(ends)s.", kind=EXCEPTION_KINDS[kind],
                name=person.full_name, starts=_local(site, starts), ends=_local(site, ends)), "success")
        if form.return_to.data == "person":
            return _back(site, person)
        return _back(site, week=week_code(monday_of(form.starts.data.date())))
    if form.return_to.data == "person":
        return _person_page(person, site, allowed, exception_form=form, status=422)
    monday = _monday(site)
    form.person.choices = [SelectChoice(p.id, p.full_name) for p in _editable_people(site)]
    return _week_page(site, allowed, monday, form=form, status=422)


def _editable_people(site: Site) -> list[User]:
    shift_users = set(db.session.execute(select(Shift.user_id).where(Shift.site_id == site.id)).scalars())
    return [p for p in _people_of(site, shift_users, set()) if _may_edit(p)]


@bp.route("/planning/exceptions/<int:exception_id>/delete", methods=["POST"])
@_guard
def planning_delete_exception(exception_id: int):
    exception = db.session.get(PlanningException, exception_id)
    if exception is None:
        abort(404)
    person = exception.user
    _require_edit(person)
    allowed = _allowed_sites()
    site = _site(allowed)
    db.session.delete(exception)
    db.session.commit()
    flash(_("%(kind)s removed for %(name)s.", kind=EXCEPTION_KINDS.get(exception.kind, exception.kind),
            name=person.full_name), "success")
    return _back(site, person if request.args.get("return_to") == "person" else None)
