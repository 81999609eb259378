from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from admin.forms import UserForm
from server.auth.access import roles_required
from server.auth.passwords import hash_password
from server.editions import EDITIONS, FEATURES, OPTIONS
from server.extensions import db
from server.models import Site, User
from server.models.user import ROLES
from server.tenancy import all_groups
from server.web.labels import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/")
@roles_required("admin", "manager")
def index():
    group = g.group
    sites = list(db.session.execute(select(Site).order_by(Site.code)).scalars())
    staff = dict(db.session.execute(select(User.role, func.count()).where(User.active).group_by(User.role)).all())
    return render_template(
        "admin/index.html",
        group=group,
        sites=sites,
        staff=staff,
        editions=EDITIONS,
        options=OPTIONS,
        features=sorted(FEATURES),
    )


@bp.route("/users")
@roles_required("admin")
def users():
    people = db.session.execute(
        select(User).options(selectinload(User.sites)).order_by(User.role, User.last_name, User.first_name)
    ).scalars()
    return render_template("admin/users.html", users=list(people))


def _user_form() -> UserForm:
    form = UserForm()
    form.role.choices = [SelectChoice(role, str(ROLE_LABELS[role])) for role in ROLES]
    form.sites.choices = [SelectChoice(site.id, site.name) for site in db.session.execute(select(Site).order_by(Site.code)).scalars()]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        taken = db.session.execute(all_groups(select(User.id).where(User.email == email))).first()
        if taken:
            form.email.errors.append(_("This e-mail is already used."))
        else:
            sites = list(db.session.execute(select(Site).where(Site.id.in_(form.sites.data or []))).scalars())
            user = User(
                email=email,
                first_name=form.first_name.data.strip(),
                last_name=form.last_name.data.strip(),
                role=form.role.data,
                language=form.language.data,
                password_hash=hash_password(form.password.data),
                sites=sites,
            )
            db.session.add(user)
            db.session.commit()
            flash(_("%(name)s can now sign in.", name=user.full_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form), 422 if form.errors else 200


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def toggle_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    user.active = not user.active
    # Ends the user's open sessions; their API tokens are refused while they are inactive.
    user.session_version += 1
    db.session.commit()
    flash(_("%(name)s is now active.", name=user.full_name) if user.active
          else _("%(name)s can no longer sign in.", name=user.full_name), "success")
    return redirect(url_for("admin.users"))
