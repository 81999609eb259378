"""Customers (contacts), their consents, the vehicles they own and their history with the dealer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import TenantScoped, Timestamped, UTCDateTime, utcnow

CONSENT_CHANNELS = ("email", "phone", "sms", "post")
CONSENT_PURPOSES = ("contact", "marketing")


class Contact(TenantScoped, Timestamped, db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_group_phone", "group_id", "phone"),
        Index("ix_contacts_group_email", "group_id", "email"),
        # The customer search looks for words anywhere in these (ILIKE '%word%'): trigram GIN
        # indexes on PostgreSQL (pg_trgm); plain indexes elsewhere.
        *(Index(f"ix_contacts_{column}_trgm", column, postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"}) for column in ("first_name", "last_name", "email")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    civility: Mapped[str | None] = mapped_column(String(16))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))  # normalised (lower-cased)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    dms_ref: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    consents: Mapped[list[Consent]] = relationship(back_populates="contact", order_by="Consent.recorded_at")
    owned_vehicles: Mapped[list[OwnedVehicle]] = relationship(back_populates="contact")
    purchases: Mapped[list[PurchaseLine]] = relationship(order_by="PurchaseLine.purchased_on.desc()")
    workshop_visits: Mapped[list[WorkshopLine]] = relationship(order_by="WorkshopLine.visited_on.desc()")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Consent(TenantScoped, db.Model):
    """One recorded answer (given or withdrawn) with its proof: the text version and the page."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32), default="")
    page_url: Mapped[str] = mapped_column(String(1000), default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="consents")


class OwnedVehicle(TenantScoped, Timestamped, db.Model):
    """A vehicle the customer owns: the future trade-in (reprise)."""

    __tablename__ = "owned_vehicles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    make: Mapped[str] = mapped_column(String(64), default="")
    model: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[str] = mapped_column(String(128), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    mileage_km: Mapped[int | None] = mapped_column(Integer)
    fuel: Mapped[str | None] = mapped_column(String(16))
    plate: Mapped[str | None] = mapped_column(String(16), index=True)
    vin: Mapped[str | None] = mapped_column(String(17), index=True)
    acquired_on: Mapped[date | None] = mapped_column(Date)
    dms_ref: Mapped[str | None] = mapped_column(String(64))

    contact: Mapped[Contact] = relationship(back_populates="owned_vehicles")

    @property
    def label(self) -> str:
        parts = [self.make, self.model, self.version, str(self.year) if self.year else ""]
        return " ".join(p for p in parts if p)


class PurchaseLine(TenantScoped, db.Model):
    """A vehicle the customer bought from the group (from the DMS)."""

    __tablename__ = "purchase_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    purchased_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))  # VN or VO
    make: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(128), default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    invoice_ref: Mapped[str | None] = mapped_column(String(64))


class WorkshopLine(TenantScoped, db.Model):
    """A workshop visit (from the DMS)."""

    __tablename__ = "workshop_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    owned_vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("owned_vehicles.id", ondelete="SET NULL"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    visited_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    mileage_km: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    order_ref: Mapped[str | None] = mapped_column(String(64))
