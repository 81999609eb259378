"""What lead intake needs: credentials, idempotency, the routing outbox and the mail quarantine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import JSONDoc, TenantScoped, Timestamped, UTCDateTime


class ApiKey(TenantScoped, Timestamped, db.Model):
    """A server-to-server source (portal, manufacturer, website back end); only the hash is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WidgetKey(TenantScoped, Timestamped, db.Model):
    """A public key for the browser widget, usable only from its allowed origins."""

    __tablename__ = "widget_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(64), default="website")
    # Exact origins ("https://www.garage.fr") or "http://localhost:*" for any port.
    allowed_origins: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    default_kind: Mapped[str] = mapped_column(String(8), default="VN")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    colour: Mapped[str] = mapped_column(String(16), default="#0b5cad")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("widget_keys.id", ondelete="SET NULL"))


class IdempotencyRecord(TenantScoped, Timestamped, db.Model):
    """The first answer to a request carrying an `Idempotency-Key`, replayed on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("group_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSONDoc)


class RoutingOutbox(TenantScoped, Timestamped, db.Model):
    """A lead waiting to be routed: written with the lead, cleared by the worker that routes it.

    The sweeper re-enqueues rows left behind (Redis down at commit time, a worker killed).
    """

    __tablename__ = "routing_outbox"
    __table_args__ = (Index("ix_routing_outbox_pending", "processed_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    lead: Mapped[Lead] = relationship()  # noqa: F821 - resolved by name at mapper configuration


class InboundMessage(Timestamped, db.Model):
    """Every e-mail the mailbox accepted, kept raw; unreadable ones stay here with the reason.

    Not tenant-scoped by the mixin: mail to an unknown address has no group yet. Its reads say
    the group explicitly (`InboundMessage.group_id == ...`), and the tenant sweep covers them.
    """

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("dealer_groups.id", ondelete="CASCADE"), index=True)
    mail_from: Mapped[str] = mapped_column(String(320), default="")
    rcpt_to: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str | None] = mapped_column(String(500))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # accepted | quarantined
    reason: Mapped[str] = mapped_column(Text, default="")
    lead_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)


class ExternalRef(TenantScoped, db.Model):
    """Every (source, external id) a group received, and the lead it went to.

    A resend finds its lead here even when the first sending joined an existing lead of the same
    customer instead of creating one; the unique key also settles two concurrent first sendings.
    """

    __tablename__ = "external_refs"
    __table_args__ = (UniqueConstraint("group_id", "source", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)

    lead: Mapped[Lead] = relationship()  # noqa: F821 - resolved by name at mapper configuration
