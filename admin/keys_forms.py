"""Forms of the capture settings: widget keys, API keys and the consent text.

Allowed origins are typed one per line and checked here with the same parser the intake uses
(`server.widget_host.origins`), so that what the form accepts is exactly what can ever match.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ColorField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from server.models.tenant import LEAD_KINDS
from server.web.labels import KIND_LABELS
from server.widget_host.origins import ANY_PORT, parse_origin

SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
SOURCE_MESSAGE = _l("Lower-case letters, digits, dots, dashes and underscores, e.g. website.")
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
MAX_ORIGINS = 20
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$")


def clean_origins(text: str) -> tuple[list[str], list[str]]:
    """(normalised origins, error messages) for the textarea's lines.

    Accepted: `https://host`, `https://host:port`, and `http(s)://host:*` (any port, for a
    developer's machine). Refused with a reason: paths, `*` alone or in the host (it would never
    match: the rule compares hosts exactly), and plain `http://` origins of a fixed port.
    """
    origins: list[str] = []
    errors: list[str] = []
    for line in (text or "").splitlines():
        entry = line.strip()
        if not entry:
            continue
        parsed = parse_origin(entry, pattern=True)
        if entry == ANY_PORT or (parsed is not None and ANY_PORT in parsed[1]):
            errors.append(_("“%(entry)s”: a wildcard is allowed only as the port (http://localhost:*).", entry=entry))
            continue
        if parsed is None or not _HOST.match(parsed[1]):
            errors.append(_("“%(entry)s” is not an origin: write the scheme and the host only, "
                            "e.g. https://www.garage.fr, without a path.", entry=entry))
            continue
        scheme, host, port = parsed
        if scheme == "http" and port != ANY_PORT:
            errors.append(_("“%(entry)s”: use https://, or http://host:* for a test machine.", entry=entry))
            continue
        origin = f"{scheme}://{host}" + (f":{port}" if port else "")
        if origin not in origins:
            origins.append(origin)
    if not origins and not errors:
        errors.append(_("Enter at least one origin: the address of the site that shows the form."))
    if len(origins) > MAX_ORIGINS:
        errors.append(_("At most %(count)d origins per key.", count=MAX_ORIGINS))
    return origins, errors


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind, str(KIND_LABELS[kind])) for kind in LEAD_KINDS]


class WidgetKeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("For you: the site or page that shows the form."))
    source = StringField(_l("Source"), default="website", validators=[
        DataRequired(), Length(max=64), Regexp(SOURCE_PATTERN, message=SOURCE_MESSAGE)],
        description=_l("Recorded on each lead of this key, e.g. website."))
    allowed_origins = TextAreaField(_l("Allowed origins"), description=_l(
        "One per line: https://www.garage.fr or https://www.garage.fr:8443; http://localhost:* for a test "
        "machine. The form works only on these sites."))
    default_kind = SelectField(_l("Default request"), choices=[], default="VN")
    site = SelectField(_l("Site"), choices=[], default="",
                       description=_l("Leads of this key go to this site; none: the routing rules decide."))
    colour = ColorField(_l("Colour"), default="#0b5cad", validators=[
        DataRequired(), Regexp(COLOUR_PATTERN, message=_l("A colour such as #0b5cad."))])

    def validate_allowed_origins(self, field) -> None:
        field.origins, errors = clean_origins(field.data)
        if errors:
            raise ValidationError(" ".join(errors))

    def validate_default_kind(self, field) -> None:
        # {site id as str: kinds it handles}, set by the view: a default kind the site does not
        # handle would silently become another one in the widget.
        kinds = getattr(self, "site_kinds", {}).get(self.site.data or "")
        if kinds and field.data not in kinds:
            raise ValidationError(_("This site does not handle this kind of request."))


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("Who uses it, e.g. La Centrale, our call center."))
    source = StringField(_l("Source"), validators=[
        DataRequired(), Length(max=64), Regexp(SOURCE_PATTERN, message=SOURCE_MESSAGE)],
        description=_l("Recorded on each lead sent with this key, e.g. lacentrale."))


class ConsentForm(FlaskForm):
    text = TextAreaField(_l("Consent text"), validators=[DataRequired(), Length(max=2000)],
                         description=_l("Shown next to the box the visitor ticks to be contacted."))
