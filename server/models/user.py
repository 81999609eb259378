"""People who sign in, and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import TenantScoped, Timestamped, UTCDateTime
from server.models.tenant import DealerGroup, Site

ROLES = ("call_center", "cell", "seller", "manager", "admin")

user_sites = Table(
    "user_sites",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class User(TenantScoped, Timestamped, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # E-mail is the sign-in name, unique across groups (stored lower-cased).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Routing weight (2 = takes twice the share) and the most open leads a seller holds.
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    max_open_leads: Mapped[int] = mapped_column(Integer, default=30)
    # Secret part of the personal iCalendar feed URL; reset by the user.
    ical_secret: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Bumped on password change or deactivation: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[DealerGroup] = relationship()
    sites: Mapped[list[Site]] = relationship(secondary=user_sites, order_by="Site.code")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def site_ids(self) -> set[int]:
        return {site.id for site in self.sites}

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(TenantScoped, Timestamped, db.Model):
    """A bearer token for the mobile app and API clients; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
