"""What the agent screen posts, turned into a CONTRACT lead for the one validator and capture service.

The screen sends the CONTRACT shape plus a callback preference. The callback becomes text ("Callback
wanted: ...") at the end of the message, so that it reaches the seller wherever the message does
(lead page, timeline of a joined lead, ADF export). Source, external id and site are not the
agent's to choose: the source is the call center, and routing picks the site.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.models import DealerGroup, utcnow

AGENT_KEYS = ("kind", "brand", "customer", "vehicle", "trade_in", "workshop", "message", "timeframe",
              "financing", "interest")
CALLBACK_LABELS = {
    "asap": _l("as soon as possible"),
    "morning": _l("in the morning"),
    "afternoon": _l("in the afternoon"),
    "evening": _l("in the evening"),
    "at": _l("at a given time"),
}
# A time picked a few minutes ago on a slow call is still what the customer asked for.
PAST_TOLERANCE = timedelta(minutes=15)


class PayloadError(ValueError):
    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("invalid agent payload")
        self.fields = fields


def agent_lead(body: dict, group: DealerGroup) -> dict:
    """The lead to validate: the allowed CONTRACT keys, with the callback written into the message."""
    data = {key: body[key] for key in AGENT_KEYS if key in body}
    callback = callback_text(body.get("callback"), group)
    if callback:
        message = data.get("message")
        notes = message.strip() if isinstance(message, str) else ""
        data["message"] = f"{notes}\n\n{callback}" if notes else callback
    return data


def callback_text(callback, group: DealerGroup) -> str | None:
    """{"when": "morning"} -> "Callback wanted: in the morning"; {"when": "at", "at": "2026-12-10T14:30"}."""
    if callback in (None, "", {}):
        return None
    if not isinstance(callback, dict) or callback.get("when") not in CALLBACK_LABELS:
        raise PayloadError({"callback.when": [_("Choose when to call the customer back.")]})
    when = callback["when"]
    if when != "at":
        return _("Callback wanted: %(when)s", when=CALLBACK_LABELS[when])
    moment = _callback_moment(callback.get("at"), group)
    when = _("on %(day)s at %(time)s", day=format_date(moment, "EEEE d MMMM"), time=format_time(moment, "HH:mm"))
    return _("Callback wanted: %(when)s", when=when)


def _callback_moment(raw, group: DealerGroup) -> datetime:
    """A datetime-local value is the group's wall-clock time (the agent calls for that dealer)."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise PayloadError({"callback.at": [_("Enter the date and time of the callback.")]}) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=group.tz)
    if moment < utcnow() - PAST_TOLERANCE:
        raise PayloadError({"callback.at": [_("This time is already past.")]})
    return moment
