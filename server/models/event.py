"""The event log: what happened, in order, per group (CONTRACT's `seq`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import JSONDoc, TenantScoped, Timestamped

EVENT_TYPES = ("lead.created", "lead.assigned", "lead.updated", "lead.escalated", "action.due", "alert")


class Event(TenantScoped, Timestamped, db.Model):
    """Written in the transaction of the change it describes; pushed to sockets after commit.

    The audience is stored with the row so that catch-up (`/api/v1/events?after=`) answers with
    exactly what the live push would have sent to that user.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("group_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(32))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    # Audience: users named one by one, and roles (optionally limited to the event's site).
    user_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    roles: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    payload: Mapped[dict] = mapped_column(JSONDoc, default=dict)
