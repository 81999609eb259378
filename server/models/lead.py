"""Leads, their timeline and the actions planned on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import JSONDoc, TenantScoped, Timestamped, UTCDateTime, utcnow
from server.models.contact import Contact, OwnedVehicle
from server.models.tenant import Site
from server.models.user import User
from server.models.vehicle import StockVehicle

LEAD_KINDS = ("VN", "VO", "ATELIER")
# Where the lead came in (how), next to `source` (who sent it: a portal, the website...).
CHANNELS = ("api", "widget", "adf", "email", "direct", "call_center", "import")
# Lifecycle: waiting for routing or the cell, with a seller, being worked, then won or lost.
STATUSES = ("new", "assigned", "in_progress", "won", "lost")
OPEN_STATUSES = ("new", "assigned", "in_progress")
OPEN_LEADS_SQL = "status IN ('new', 'assigned', 'in_progress')"
# Progress of the project (SM6 / SD3).
STAGES = ("new", "contacted", "appointment", "presentation", "test_drive", "offer", "order", "abandoned")
INTEREST_LEVELS = ("hot", "warm", "cold")
CLOSE_REASONS = ("bought_elsewhere", "postponed", "unreachable", "financing_refused", "other")
TIMEFRAMES = ("now", "within_1_month", "within_3_months", "within_6_months", "later", "unknown")


class Lead(TenantScoped, db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        # A resent lead (same source + external id) updates the first one, never duplicates it.
        Index(
            "uq_leads_source_external_id",
            "group_id",
            "source",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
            sqlite_where=text("external_id IS NOT NULL"),
        ),
        Index("ix_leads_group_status_received", "group_id", "status", "received_at"),
        Index("ix_leads_assignee_status", "assignee_id", "status"),
        # Sellers' load: leads assigned to each since a moment (routing's fairness, the seller board).
        Index("ix_leads_assignee_assigned", "assignee_id", "assigned_at"),
        Index("ix_leads_contact_kind", "contact_id", "kind"),
        # The cockpit's lead lists, paged by (received_at, id) whatever the status.
        Index("ix_leads_group_received", "group_id", "received_at", "id"),
        # The steering dashboard's open deals, with what it judges them on (server/steering/).
        Index("ix_leads_open_received", "group_id", "received_at", "id",
              postgresql_where=text(OPEN_LEADS_SQL), sqlite_where=text(OPEN_LEADS_SQL),
              postgresql_include=["site_id", "assignee_id", "kind", "stage", "stage_changed_at", "first_contact_at",
                                  "first_contact_due_at", "interest", "score", "source"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(128))
    raw_payload: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), index=True)
    brand: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    stock_vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("stock_vehicles.id", ondelete="SET NULL"))
    # Vehicle of interest as the customer described it: make, model, version, year, vin, price_eur...
    vehicle: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    trade_in_id: Mapped[int | None] = mapped_column(ForeignKey("owned_vehicles.id", ondelete="SET NULL"))
    # Workshop request: service, preferred_date, plate.
    workshop: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    timeframe: Mapped[str | None] = mapped_column(String(32))
    financing: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="new")
    stage: Mapped[str] = mapped_column(String(16), default="new")
    interest: Mapped[str] = mapped_column(String(8), default="warm")
    score: Mapped[int | None] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Speed-to-lead clock (BX3, BX5)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    displayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contact_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(32))
    close_note: Mapped[str] = mapped_column(Text, default="")
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    site: Mapped[Site | None] = relationship()
    contact: Mapped[Contact] = relationship()
    stock_vehicle: Mapped[StockVehicle | None] = relationship()
    trade_in: Mapped[OwnedVehicle | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    entries: Mapped[list[LeadEntry]] = relationship(
        back_populates="lead", order_by="(LeadEntry.at, LeadEntry.id)", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def vehicle_label(self) -> str:
        if self.stock_vehicle is not None:
            return self.stock_vehicle.label
        v = self.vehicle or {}
        return " ".join(str(v[k]) for k in ("make", "model", "version") if v.get(k))


class LeadEntry(TenantScoped, db.Model):
    """One line of a lead's timeline: who did what, when."""

    __tablename__ = "lead_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # received, duplicate_joined, resent, assigned, acknowledged, call, note, stage, interest,
    # closed, reopened, escalated, action_planned, action_done, email, trade_in...
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)

    lead: Mapped[Lead] = relationship(back_populates="entries")
    user: Mapped[User | None] = relationship()


ACTION_TYPES = ("call", "email", "sms", "appointment", "test_drive", "follow_up", "task")


class Action(TenantScoped, Timestamped, db.Model):
    """Something to do, for a user, about a lead or a contact (relance, appointment...)."""

    __tablename__ = "actions"
    __table_args__ = (
        Index("ix_actions_user_open_due", "user_id", "done_at", "due_at"),
        # The agenda: a user's actions between two dates, done or not.
        Index("ix_actions_user_due", "user_id", "due_at"),
        # The scheduler's action.due sweep, every tick: only the actions still to announce.
        Index("ix_actions_due_unnotified", "due_at", postgresql_where=text("done_at IS NULL AND notified_at IS NULL"),
              sqlite_where=text("done_at IS NULL AND notified_at IS NULL")),
        # A lead's open actions: its next action, "overdue" and "none planned" on the steering board.
        Index("ix_actions_open_lead", "group_id", "lead_id", "due_at", postgresql_where=text("done_at IS NULL"),
              sqlite_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    lead: Mapped[Lead | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
