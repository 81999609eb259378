"""Receiving one message: keep it, then turn it into leads, one transaction per recipient group.

Nothing received is ever dropped: the raw message is written as an `InboundMessage` before any lead,
and whatever goes wrong while reading or capturing, it stays, quarantined, with the reason for the
group's admins. The SMTP server answers 250 only once `receive` has returned, so an error raised
from here (the database is down) makes the sender retry instead of losing the mail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from flask_babel import force_locale
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.intake.capture import CaptureError, capture_lead
from server.intake.schemas import load_lead
from server.mailbox.parse import MailDecision, parse_message
from server.models import DealerGroup, InboundMessage
from server.tenancy import all_groups, group_scope

log = logging.getLogger(__name__)
MAX_REASON = 2000


class Quarantine(Exception):  # a decision, not a failure: the message is kept, quarantined
    """The message is kept but yields no lead; `reason` says why, for the group's admins."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_address(address: str) -> str:
    """'<Leads+Garage@eSeller.example>' -> 'leads+garage@eseller.example' (mailboxes match case-insensitively)."""
    return address.strip().strip("<>").strip().lower()


def groups_for(addresses: Iterable[str]) -> dict[str, DealerGroup]:
    """{normalized address: group} for the addresses that are a group's mailbox (a lookup across groups)."""
    wanted = {normalize_address(a) for a in addresses if a and a.strip("<> ")}
    if not wanted:
        return {}
    rows = db.session.execute(all_groups(
        select(DealerGroup).where(func.lower(DealerGroup.mailbox).in_(wanted))
    )).scalars()
    return {normalize_address(group.mailbox or ""): group for group in rows}


def is_known_mailbox(address: str) -> bool:
    return bool(groups_for([address]))


def receive(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> list[InboundMessage]:
    """Store `raw` for each recipient group and capture its leads there; returns the messages stored.

    Raises only when the database itself fails (then nothing for that group was committed and the
    SMTP server answers 451 so that the sender retries).
    """
    groups = groups_for(rcpt_tos)
    stored: list[InboundMessage] = []
    seen: set[int] = set()
    # No user and no request here: the timeline texts capture writes are in the default language
    # (the locale selector would otherwise look for a signed-in user).
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for address in rcpt_tos:
            group = groups.get(normalize_address(address))
            if group is None or group.id in seen:  # one copy per group, even when addressed twice
                continue
            seen.add(group.id)
            stored.append(_receive_for_group(group, raw, mail_from, normalize_address(address)))
    if not stored:
        # The SMTP server refuses unknown mailboxes, but a group may be gone between RCPT and DATA:
        # keep the message anyway, with no group, rather than drop it.
        message = _new_message(None, raw, mail_from, ", ".join(normalize_address(a) for a in rcpt_tos),
                               parse_message(raw))
        message.reason = "No dealer group has this mailbox."
        db.session.add(message)
        db.session.commit()
        stored.append(message)
    return stored


def _new_message(group_id: int | None, raw: bytes, mail_from: str, rcpt_to: str,
                 decision: MailDecision) -> InboundMessage:
    return InboundMessage(
        group_id=group_id, mail_from=(mail_from or "").strip("<>")[:320], rcpt_to=rcpt_to[:320],
        subject=decision.subject[:500], message_id=decision.message_id, raw=raw, size=len(raw),
        status="quarantined", reason="", lead_ids=[],
    )


def _receive_for_group(group: DealerGroup, raw: bytes, mail_from: str, rcpt_to: str) -> InboundMessage:
    group_id, default_kind = group.id, group.default_lead_kind or "VN"
    decision = parse_message(raw, default_kind)
    with group_scope(group_id):
        if decision.quarantined:
            return _quarantine(group_id, raw, mail_from, rcpt_to, decision,
                               decision.reason or "No lead could be read from this message.")
        for attempt in (1, 2):
            message = _new_message(group_id, raw, mail_from, rcpt_to, decision)
            db.session.add(message)
            try:
                db.session.flush()  # the message is written first, whatever follows
                message.lead_ids = _capture(decision)
                message.status = "accepted"
                db.session.commit()
                return message
            except Quarantine as exc:
                # Leads captured before the refusal go with the rollback; the message stays.
                db.session.rollback()
                return _quarantine(group_id, raw, mail_from, rcpt_to, decision, exc.reason)
            except IntegrityError:
                # A concurrent delivery of the same lead (same source + external id) won the race:
                # capture again now that its rows are visible, and the resend updates its lead.
                db.session.rollback()
                if attempt == 2:
                    return _quarantine(group_id, raw, mail_from, rcpt_to, decision,
                                       "Capture failed twice on a conflicting concurrent lead.")
            except Exception as exc:
                log.exception("capturing the leads of an inbound message failed")
                db.session.rollback()
                return _quarantine(group_id, raw, mail_from, rcpt_to, decision,
                                   f"Capture failed: {type(exc).__name__}: {exc}")
    raise AssertionError("unreachable")


def _capture(decision: MailDecision) -> list[int]:
    """Validate every lead first (all or nothing, as the HTTP intake does), then capture them."""
    loaded = []
    several = len(decision.leads) > 1
    for index, lead in enumerate(decision.leads):
        try:
            loaded.append((load_lead(lead.data), lead))
        except ValidationError as exc:
            prefix = f"prospect[{index}]." if several else ""
            raise Quarantine("The lead is incomplete: " + _fields_text(exc.messages, prefix)) from exc
    ids: list[int] = []
    for data, lead in loaded:
        for ignored in ("hp", "elapsed_ms"):  # widget-only signals, meaningless in mail
            data.pop(ignored, None)
        try:
            result = capture_lead(data, channel="email", source=lead.source, raw_payload=lead.raw)
        except CaptureError as exc:
            raise Quarantine("The lead was refused: " + _fields_text(exc.fields)) from exc
        db.session.flush()
        if result.lead.id not in ids:  # two prospects joined to the same open lead count once
            ids.append(result.lead.id)
    return ids


def _fields_text(fields, prefix: str = "") -> str:
    if not isinstance(fields, dict):
        return str(fields)
    return "; ".join(f"{prefix}{path}: {' '.join(str(m) for m in messages)}" for path, messages in fields.items())


def _quarantine(group_id: int, raw: bytes, mail_from: str, rcpt_to: str,
               decision: MailDecision, reason: str) -> InboundMessage:
    """Keep the message, quarantined, in a transaction of its own (any half-captured lead is gone)."""
    message = _new_message(group_id, raw, mail_from, rcpt_to, decision)
    message.reason = reason[:MAX_REASON]
    db.session.add(message)
    db.session.commit()  # if this fails too, the database is down: raise, and the sender retries
    return message
