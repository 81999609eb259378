"""A demo group's mailbox history: one message in quarantine, so that the admins' page shows one.

Idempotent (found again by its Message-ID). Meant to be called by `ensure_demo_group` once the
group exists; it goes through the real mailbox service, exactly as a delivered mail would.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from server.extensions import db
from server.mailbox.service import receive
from server.models import DealerGroup, InboundMessage


def _junk(group: DealerGroup) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Promo Pneus <no-reply@promo-pneus.example>"
    msg["To"] = group.mailbox or ""
    msg["Subject"] = "-50 % sur vos pneus hiver : offre réservée aux professionnels"
    msg["Date"] = "Mon, 30 Nov 2026 07:12:00 +0100"
    msg["Message-ID"] = f"<demo-quarantine.{group.slug}@promo-pneus.example>"
    msg.set_content("Bonjour,\n\nProfitez de -50 % sur nos pneus hiver jusqu'à dimanche.\n\n"
                    "Pour ne plus recevoir nos offres, répondez STOP.\n")
    return msg.as_bytes().replace(b"\n", b"\r\n")


def ensure_demo_mail(group: DealerGroup) -> None:
    """Store the demo's quarantined message in `group` unless it is there already (commits)."""
    if not group.mailbox:
        return
    message_id = f"<demo-quarantine.{group.slug}@promo-pneus.example>"
    known = db.session.execute(
        select(InboundMessage.id).where(InboundMessage.group_id == group.id, InboundMessage.message_id == message_id)
    ).first()
    if known is None:
        receive(_junk(group), "bounce@promo-pneus.example", [group.mailbox])
