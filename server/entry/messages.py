"""The intake validator's messages, in the words (and the language) of the person typing.

`server.intake.schemas` speaks English to integrators (CONTRACT's error format); a seller or an
agent reading an error next to a field needs it short and in their own language.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

_KNOWN = {
    "A first name or a last name is required.": _l("Enter a first name or a last name."),
    "An e-mail or a phone number is required.": _l("Enter a phone number or an e-mail address."),
    "Not a phone number.": _l("This is not a phone number."),
    "Not a valid phone number.": _l("This phone number does not exist. Check the digits."),
    "Not a valid e-mail address.": _l("This e-mail address is not valid."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid date.": _l("Enter a valid date."),
    "Not a valid boolean.": _l("Answer yes or no."),
    "Missing data for required field.": _l("This field is required."),
}
_LONGER = re.compile(r"^Longer than maximum length (\d+)\.$")
_RANGE = re.compile(r"^Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.$")


def humanize(message: str) -> str:
    if message in _KNOWN:
        return str(_KNOWN[message])
    if match := _LONGER.match(message):
        return _("Too long: %(max)s characters at most.", max=match.group(1))
    if match := _RANGE.match(message):
        return _("Enter a value between %(low)s and %(high)s.", low=match.group(1), high=match.group(2))
    if message.startswith("Must be one of"):
        return _("Choose one of the options.")
    if message.startswith("Unknown site code"):
        return _("This site does not exist in your group.")
    return _("Check this value.")


def humanize_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """{"customer.phone": ["Not a valid phone number."]} -> the same paths, readable messages."""
    return {path: [humanize(str(m)) for m in messages] for path, messages in fields.items()}
