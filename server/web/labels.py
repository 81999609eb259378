"""Human words for the codes stored in the database, in the reader's language."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, format_timedelta
from flask_babel import lazy_gettext as _l

from server.models import utcnow

ROLE_LABELS = {
    "call_center": _l("Call-center agent"),
    "cell": _l("Lead cell"),
    "seller": _l("Seller"),
    "manager": _l("Manager"),
    "admin": _l("Administrator"),
}
KIND_LABELS = {"VN": _l("New car"), "VO": _l("Used car"), "ATELIER": _l("Workshop")}
STATUS_LABELS = {
    "new": _l("Waiting"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "won": _l("Won"),
    "lost": _l("Lost"),
}
STAGE_LABELS = {
    "new": _l("New"),
    "contacted": _l("Contacted"),
    "appointment": _l("Appointment"),
    "presentation": _l("Presentation"),
    "test_drive": _l("Test drive"),
    "offer": _l("Offer"),
    "order": _l("Order"),
    "abandoned": _l("Abandoned"),
}
INTEREST_LABELS = {"hot": _l("Hot"), "warm": _l("Warm"), "cold": _l("Cold")}
CLOSE_REASON_LABELS = {
    "bought_elsewhere": _l("Bought elsewhere"),
    "postponed": _l("Project postponed"),
    "unreachable": _l("Unreachable after several attempts"),
    "financing_refused": _l("Financing refused"),
    "other": _l("Other"),
}
TIMEFRAME_LABELS = {
    "now": _l("Right away"),
    "within_1_month": _l("Within a month"),
    "within_3_months": _l("Within 3 months"),
    "within_6_months": _l("Within 6 months"),
    "later": _l("Later"),
    "unknown": _l("Not known"),
}
CALL_OUTCOME_LABELS = {
    "reached": _l("Customer reached"),
    "no_answer": _l("No answer"),
    "wrong_number": _l("Wrong number"),
    "call_back": _l("Call back requested"),
}
ERROR_TITLES = {
    400: _l("This request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("This page does not exist"),
    405: _l("This action is not possible here"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}
ERROR_TEXTS = {
    403: _l("Your role or your subscription does not include it. Ask your administrator if you need it."),
    404: _l("It may have been moved, or the link is wrong."),
    429: _l("Wait a minute before trying again."),
    500: _l("The team has been told. Try again in a moment."),
}


def label(table: dict, code: str | None) -> str:
    if code is None:
        return ""
    return str(table.get(code, code))


def local_datetime(value: datetime | None, fmt: str = "short") -> str:
    return format_datetime(value, fmt) if value else ""


def since(value: datetime | None) -> str:
    """'5 minutes ago' / 'in 10 minutes', relative to now."""
    if value is None:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True, granularity="minute", threshold=1.1)


TEMPLATE_GLOBALS = {
    "role_label": lambda code: label(ROLE_LABELS, code),
    "kind_label": lambda code: label(KIND_LABELS, code),
    "status_label": lambda code: label(STATUS_LABELS, code),
    "stage_label": lambda code: label(STAGE_LABELS, code),
    "interest_label": lambda code: label(INTEREST_LABELS, code),
    "close_reason_label": lambda code: label(CLOSE_REASON_LABELS, code),
    "close_reason_labels": lambda: CLOSE_REASON_LABELS,
    "call_outcome_label": lambda code: label(CALL_OUTCOME_LABELS, code),
    "timeframe_label": lambda code: label(TIMEFRAME_LABELS, code),
    "error_title": lambda code: label(ERROR_TITLES, code) or str(code),
    "error_text": lambda code: label(ERROR_TEXTS, code),
}
TEMPLATE_FILTERS = {"local": local_datetime, "since": since}
