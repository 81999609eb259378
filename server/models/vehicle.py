"""Vehicles in stock (VN and VO), from the DMS or entered by hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import TenantScoped, Timestamped, UTCDateTime, utcnow
from server.models.tenant import Site

STOCK_STATUSES = ("available", "reserved", "sold")
FUELS = ("petrol", "diesel", "hybrid", "electric", "lpg")


class StockVehicle(TenantScoped, Timestamped, db.Model):
    __tablename__ = "stock_vehicles"
    __table_args__ = (
        UniqueConstraint("group_id", "stock_ref"),
        Index("ix_stock_search", "group_id", "kind", "status", "make", "model"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    stock_ref: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # VN or VO
    make: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(128), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    mileage_km: Mapped[int] = mapped_column(Integer, default=0)
    fuel: Mapped[str | None] = mapped_column(String(16))
    gearbox: Mapped[str | None] = mapped_column(String(16))
    colour: Mapped[str | None] = mapped_column(String(64))
    price_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="available")
    vin: Mapped[str | None] = mapped_column(String(17))
    plate: Mapped[str | None] = mapped_column(String(16))
    dms_ref: Mapped[str | None] = mapped_column(String(64))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.make, self.model, self.version) if p)
