"""The tenant (a dealer group) and its sites."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.editions import group_has_feature
from server.extensions import db
from server.models.base import JSONDoc, TenantScoped, Timestamped, UTCDateTime

ROUTING_MODES = ("cell_first", "direct")
LEAD_KINDS = ("VN", "VO", "ATELIER")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DealerGroup(Timestamped, db.Model):
    """The tenant: every other row belongs to exactly one group."""

    __tablename__ = "dealer_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    editions: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    routing_mode: Mapped[str] = mapped_column(String(16), default="direct")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    default_lead_kind: Mapped[str] = mapped_column(String(8), default="VN")
    mailbox: Mapped[str | None] = mapped_column(String(200), unique=True)
    consent_text: Mapped[str] = mapped_column(Text, default="")
    consent_version: Mapped[str] = mapped_column(String(32), default="")
    # Per-group knobs that later features read (SLA minutes, escalation delays...).
    settings: Mapped[dict] = mapped_column(JSONDoc, default=dict)

    sites: Mapped[list[Site]] = relationship(back_populates="group", order_by="Site.code")

    def has_feature(self, fid: str) -> bool:
        return group_has_feature(self.editions or [], fid)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class GroupCounter(db.Model):
    """Per-group sequence for the event log (CONTRACT's `seq`), bumped under a row lock."""

    __tablename__ = "group_counters"

    group_id: Mapped[int] = mapped_column(ForeignKey("dealer_groups.id", ondelete="CASCADE"), primary_key=True)
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Site(TenantScoped, Timestamped, db.Model):
    """A dealership location (concession)."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("group_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    brands: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    # Which lead kinds the site handles (a used-car centre takes VO only).
    kinds: Mapped[list[str]] = mapped_column(JSONDoc, default=lambda: list(LEAD_KINDS))
    # {"mon": [["09:00", "12:00"], ["14:00", "19:00"]], ...}; a missing day is closed.
    opening_hours: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    timezone: Mapped[str | None] = mapped_column(String(64))

    group: Mapped[DealerGroup] = relationship(back_populates="sites")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else self.group.tz

    def is_open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        hhmm = local.strftime("%H:%M")
        spans = (self.opening_hours or {}).get(WEEKDAYS[local.weekday()], [])
        return any(start <= hhmm < end for start, end in spans)


class Notification(TenantScoped, Timestamped, db.Model):
    """Something a user must see in their inbox (used-car alert, nobody on duty, escalation)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
