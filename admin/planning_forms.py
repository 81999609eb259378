"""Forms of the shared planning: a weekly shift, an absence or an extra duty."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
EXCEPTION_KINDS = {"absence": _l("Absence"), "extra": _l("Extra duty")}
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
MAX_EXCEPTION = timedelta(days=366)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _time(label) -> StringField:
    return StringField(label, validators=[InputRequired(), Regexp(HHMM, message=_l("Use the HH:MM format, e.g. 09:00."))],
                       filters=[_strip])


class ShiftForm(FlaskForm):
    site = SelectField(_l("Site"), coerce=int, choices=[])
    weekday = SelectField(_l("Day"), coerce=int, choices=[])
    starts = _time(_l("From"))
    ends = _time(_l("To"))

    def validate_ends(self, field) -> None:
        # "HH:MM" strings compare like the times they are (the format is checked first).
        if not self.starts.errors and not field.errors and field.data <= (self.starts.data or ""):
            raise ValidationError(_("The end must be after the start."))


class ExceptionForm(FlaskForm):
    person = SelectField(_l("Person"), coerce=int, choices=[])
    kind = RadioField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in EXCEPTION_KINDS.items()], default="absence")
    starts = DateTimeLocalField(_l("From"), format=LOCAL_FORMATS, validators=[InputRequired()])
    ends = DateTimeLocalField(_l("To"), format=LOCAL_FORMATS, validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)], filters=[_strip],
                       description=_l("e.g. holiday, training, sick leave"))
    # Which page shows the errors again: the week (default) or the person's page.
    return_to = HiddenField(default="week")

    def validate_ends(self, field) -> None:
        if self.starts.data is None or field.data is None:
            return
        if field.data <= self.starts.data:
            raise ValidationError(_("The end must be after the start."))
        if field.data - self.starts.data > MAX_EXCEPTION:
            raise ValidationError(_("At most one year at a time."))
