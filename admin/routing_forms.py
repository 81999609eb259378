"""Forms of the routing settings page (MG1, BX3, BX4): mode, rules, response times, dry run.

Rule conditions are typed as comma-separated lists, one field per condition key of
`server.lead_routing.rules.CONDITION_KEYS`, and stored as `{key: [values]}`; the kinds are
checkboxes, since there are only three and a typo there would silently never match.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from server.lead_routing.rules import CONDITION_KEYS
from server.lead_routing.sla import DEFAULT_REASSIGN_AFTER_MINUTES, DEFAULT_SLA_MINUTES
from server.models.tenant import ROUTING_MODES
from server.web.labels import KIND_LABELS

MODE_LABELS = {"cell_first": _l("Lead cell first"), "direct": _l("Straight to a seller")}
MODE_HELP = {
    "cell_first": _l("Every new lead waits in the lead cell's inbox; the cell qualifies it by phone, then "
                     "transfers it to a seller on duty."),
    "direct": _l("The rules below choose the site at once, and the lead goes to the seller on duty there with "
                 "the lightest load for their capacity."),
}
# Words for each condition key, in the order of CONDITION_KEYS.
CONDITION_LABELS = {
    "site": _l("Site named by the lead"),
    "brand": _l("Brand"),
    "kind": _l("Kind"),
    "source": _l("Source"),
    "postal_prefix": _l("Postal code starts with"),
    "model": _l("Model"),
    "language": _l("Customer language"),
}
CONDITION_HINTS = {
    "site": _l("Site codes, comma-separated: the site chosen in the form, the widget key or the stock vehicle."),
    "brand": _l("e.g. Peugeot, Citroën"),
    "source": _l("e.g. website, lacentrale, leboncoin"),
    "postal_prefix": _l("e.g. 69, 691, 38"),
    "model": _l("e.g. 3008, Clio"),
    "language": _l("Two-letter codes, e.g. fr, en"),
}
# Targets of a rule in the target select: a site id, the cell, or the site the lead already names.
TARGET_CELL = "cell"
TARGET_OWN_SITE = "own"
MAX_ITEMS = 50
_POSTAL_PREFIX = re.compile(r"^[0-9A-Za-z]{1,10}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


def split_list(text: str | None) -> list[str]:
    """'Peugeot, Citroën ,,' -> ['Peugeot', 'Citroën']: commas, semicolons or new lines; no duplicates."""
    items = (item.strip() for item in re.split(r"[,;\n]", text or ""))
    return list(dict.fromkeys(item for item in items if item))


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _list_field(key: str) -> StringField:
    return StringField(CONDITION_LABELS[key], validators=[Optional(), Length(max=1000)], filters=[_strip],
                       description=CONDITION_HINTS.get(key, ""))


class ModeForm(FlaskForm):
    routing_mode = RadioField(_l("Routing mode"), choices=[SelectChoice(m, MODE_LABELS[m]) for m in ROUTING_MODES],
                              validators=[InputRequired()])


class RuleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    target = SelectField(_l("Send the lead to"), choices=[])
    active = BooleanField(_l("Active"), default=True)
    site = _list_field("site")
    brand = _list_field("brand")
    kind = MultiCheckboxField(CONDITION_LABELS["kind"],
                              choices=[SelectChoice(code, KIND_LABELS[code]) for code in KIND_LABELS])
    source = _list_field("source")
    postal_prefix = _list_field("postal_prefix")
    model = _list_field("model")
    language = _list_field("language")

    # Filled by the view from the group's sites: code (case-folded) -> canonical code.
    site_codes: dict[str, str] = {}

    def validate_site(self, field) -> None:
        unknown = [code for code in split_list(field.data) if code.casefold() not in self.site_codes]
        if unknown:
            raise ValidationError(_("Unknown site code: %(codes)s. Known codes: %(known)s.",
                                    codes=", ".join(unknown), known=", ".join(self.site_codes.values())))

    def validate_postal_prefix(self, field) -> None:
        wrong = [item for item in split_list(field.data) if not _POSTAL_PREFIX.match(item)]
        if wrong:
            raise ValidationError(_("A postal-code prefix is made of digits or letters: %(items)s.",
                                    items=", ".join(wrong)))

    def validate_language(self, field) -> None:
        wrong = [item for item in split_list(field.data) if not _LANGUAGE.match(item.lower())]
        if wrong:
            raise ValidationError(_("Use two-letter language codes such as fr or en: %(items)s.",
                                    items=", ".join(wrong)))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for key in ("brand", "source", "model"):
            field = getattr(self, key)
            items = split_list(field.data)
            if len(items) > MAX_ITEMS or any(len(item) > 64 for item in items):
                field.errors.append(_("At most %(count)d values of 64 characters each.", count=MAX_ITEMS))
                ok = False
        return ok

    def conditions(self) -> dict[str, list[str]]:
        """The stored form of the conditions: only keys with values, canonical site codes."""
        values: dict[str, list[str]] = {}
        for key in CONDITION_KEYS:
            field = getattr(self, key)
            items = list(field.data or []) if key == "kind" else split_list(field.data)
            if key == "site":
                items = [self.site_codes[item.casefold()] for item in items]
            elif key == "language":
                items = [item.lower() for item in items]
            if items:
                values[key] = items
        return values

    def fill(self, conditions: dict) -> None:
        for key in CONDITION_KEYS:
            items = conditions.get(key) or []
            getattr(self, key).data = list(items) if key == "kind" else ", ".join(items)


class SourceMinutesForm(Form):
    """One per-source override row; an empty row is ignored."""

    source = StringField(_l("Source"), validators=[Optional(), Length(max=64)], filters=[_strip])
    minutes = IntegerField(_l("Minutes"), validators=[Optional(), NumberRange(1, 10080)])


def _minutes(label) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(1, 10080)])


class ResponseTimesForm(FlaskForm):
    # The trade's short words (VO, VN, Atelier): three fields side by side even on a phone.
    vo = _minutes("VO")
    vn = _minutes("VN")
    atelier = _minutes(_l("Workshop"))
    overrides = FieldList(FormField(SourceMinutesForm), min_entries=0, max_entries=40)
    reassign_after = IntegerField(_l("Reassign after escalation (minutes)"),
                                  validators=[InputRequired(), NumberRange(1, 1440)])

    KIND_FIELDS = {"VO": "vo", "VN": "vn", "ATELIER": "atelier"}

    def validate_overrides(self, field) -> None:
        seen: set[str] = set()
        for row in field:
            source, minutes = (row.form.source.data or "").lower(), row.form.minutes.data
            if source and minutes is None and not row.form.minutes.errors:
                row.form.minutes.errors.append(_("How many minutes for this source?"))
            elif minutes is not None and not source:
                row.form.source.errors.append(_("Which source?"))
            elif source in seen:
                row.form.source.errors.append(_("This source is already listed."))
            seen.add(source)
        if any(row.form.errors for row in field):
            raise ValidationError(_("Check the per-source times."))

    def fill(self, settings: dict) -> None:
        sla = {**DEFAULT_SLA_MINUTES, **(settings.get("sla_minutes") or {})}
        for kind, name in self.KIND_FIELDS.items():
            getattr(self, name).data = int(sla[kind])
        for source, minutes in sorted((settings.get("sla_source_minutes") or {}).items()):
            self.overrides.append_entry({"source": source, "minutes": int(minutes)})
        self.reassign_after.data = int(settings.get("reassign_after_minutes", DEFAULT_REASSIGN_AFTER_MINUTES))

    def pad(self, blank_rows: int = 2) -> None:
        """Empty rows to type new overrides into (no JavaScript needed to add one)."""
        for _row in range(blank_rows):
            self.overrides.append_entry()

    def settings(self, current: dict) -> dict:
        """A new settings dict (a new object, so that SQLAlchemy sees the JSON column change)."""
        return {
            **current,
            "sla_minutes": {kind: int(getattr(self, name).data) for kind, name in self.KIND_FIELDS.items()},
            "sla_source_minutes": {row.form.source.data.lower(): int(row.form.minutes.data)
                                   for row in self.overrides if row.form.source.data},
            "reassign_after_minutes": int(self.reassign_after.data),
        }


class DryRunForm(FlaskForm):
    """Read-only question, asked with GET (a link one can share): no CSRF token needed."""

    class Meta:
        csrf = False

    kind = RadioField(_l("Kind"), choices=[SelectChoice(code, KIND_LABELS[code]) for code in KIND_LABELS],
                      default="VO", validators=[InputRequired()])
    brand = StringField(_l("Brand"), validators=[Optional(), Length(max=64)], filters=[_strip])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=64)], filters=[_strip])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=64)], filters=[_strip])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=16)], filters=[_strip])
    language = StringField(_l("Customer language"), default="fr", validators=[Optional(), Length(max=8)],
                           filters=[_strip])
    site = SelectField(_l("Site named by the lead"), choices=[], default="")
    at = DateTimeLocalField(_l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()])
