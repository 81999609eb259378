"""Words and formats for stock pages: fuels, statuses and prices in the reader's language."""

from __future__ import annotations

from datetime import date

from flask_babel import format_currency, format_date
from flask_babel import lazy_gettext as _l

FUEL_LABELS = {
    "petrol": _l("Petrol"),
    "diesel": _l("Diesel"),
    "hybrid": _l("Hybrid"),
    "electric": _l("Electric"),
    "lpg": _l("LPG"),
}
GEARBOX_LABELS = {"manual": _l("Manual"), "automatic": _l("Automatic")}
STOCK_STATUS_LABELS = {"available": _l("Available"), "reserved": _l("Reserved"), "sold": _l("Sold")}


def euros(cents: int | None) -> str:
    """Whole euros, as dealers price cars ("18 990 €")."""
    if cents is None:
        return ""
    return format_currency(cents // 100, "EUR", format="#,##0\xa0¤", currency_digits=False)


def fuel_label(code: str | None) -> str:
    return str(FUEL_LABELS.get(code, code)) if code else ""


def gearbox_label(code: str | None) -> str:
    return str(GEARBOX_LABELS.get(code, code)) if code else ""


def stock_status_label(code: str | None) -> str:
    return str(STOCK_STATUS_LABELS.get(code, code)) if code else ""


def day(value: date | None) -> str:
    return format_date(value, "medium") if value else ""
