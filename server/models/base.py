"""Column types and mixins shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, the same on PostgreSQL and SQLite.

    SQLite keeps no offset, so an aware column would come back naive there and aware on
    PostgreSQL; normalising here keeps comparisons in Python correct on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# JSON documents: JSONB on PostgreSQL (indexable), plain JSON text elsewhere.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class TenantScoped:
    """Rows that belong to one dealer group.

    Every SELECT on such a model is filtered to the current group and every write is checked
    against it, in one place: `server.tenancy`. Code never filters on `group_id` by hand.
    """

    @declared_attr
    def group_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr takes the class
        return mapped_column(Integer, ForeignKey("dealer_groups.id", ondelete="CASCADE"), index=True)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
