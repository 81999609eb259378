"""Routing rules and the shared planning (who is on duty, where, when)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import JSONDoc, TenantScoped, Timestamped, UTCDateTime
from server.models.tenant import Site
from server.models.user import User


class RoutingRule(TenantScoped, Timestamped, db.Model):
    """An ordered rule: when a lead matches `conditions`, route it to `site_id` (or the cell)."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    # {"site": [...codes], "brand": [...], "kind": [...], "source": [...], "postal_prefix": [...], "model": [...]}
    conditions: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    to_cell: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    site: Mapped[Site | None] = relationship()


class Shift(TenantScoped, db.Model):
    """A weekly recurring shift of a user at a site (times in the site's time zone)."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[str] = mapped_column(String(5))  # "09:00"
    ends: Mapped[str] = mapped_column(String(5))

    user: Mapped[User] = relationship()
    site: Mapped[Site] = relationship()


class PlanningException(TenantScoped, Timestamped, db.Model):
    """An absence (holiday, sick leave) or an extra duty outside the weekly shifts."""

    __tablename__ = "planning_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # absence | extra
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()


class VoAlert(TenantScoped, Timestamped, db.Model):
    """A used-car alert: criteria saved for a customer or lead, fired when matching stock arrives."""

    __tablename__ = "vo_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    # make, model, max_price_cents, max_mileage_km, min_year, fuel, site_id
    criteria: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    active_until: Mapped[date | None] = mapped_column(Date)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
