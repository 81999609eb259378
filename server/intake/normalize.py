"""Phones in E.164 (French national form accepted), e-mails lower-cased: one way to write each."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "FR"
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """'06 12 34 56 78' -> '+33612345678'; raises ValueError when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    value = raw.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("Not a valid e-mail address.")
    return value


def display_phone(e164: str | None) -> str:
    """'+33612345678' -> '06 12 34 56 78' for French numbers, international form otherwise."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33 else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
