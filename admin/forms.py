from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from server.auth.passwords import MIN_PASSWORD_LENGTH


class UserForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address.")), Length(max=254)])
    role = SelectField(_l("Role"), choices=[])
    sites = SelectMultipleField(_l("Sites"), coerce=int, choices=[])
    language = SelectField(_l("Language"), choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)])
