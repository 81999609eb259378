"""The KPI aggregates (MG3, BX5): each lead's contribution, and the sums the pages read.

`KpiLeadFact` holds what one lead currently adds to the figures; the two aggregates are exact sums
of the facts, kept in step by `server.kpi.hooks` in the transaction that changes the lead:

- `KpiDaily`, one row per (day received, site, seller, kind, source, abandonment reason): volume,
  the funnel stages reached, outcomes, and how many leads reached each speed-to-lead milestone;
- `KpiSiteDaily`, the same sums per (day, site, reason) only: what the cards, the time series and
  the reasons read when no seller, kind or source is chosen (a few dozen rows a day, not one per
  combination);
- `KpiDelay`, the histogram of delays per (day received, site, milestone, whole minutes): exact
  percentiles by adding up counts. Site -1 is the whole group (leads without a site included),
  so that a group-wide figure reads one row per minute value rather than one per site.

Absent site or seller is stored as 0 (keys cannot hold NULL); "day" is the local day of the
group's time zone. Definitions are in `server.kpi.facts`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import TenantScoped

# The whole group, in KpiDelay.site_id.
ALL_SITES = -1


def _group_key() -> Mapped[int]:
    # The group leads every key (and is the only index on it): aggregates are read per group.
    return mapped_column(ForeignKey("dealer_groups.id", ondelete="CASCADE"))


class Counts:
    """The additive figures of a set of leads (`server.kpi.facts.COUNT_COLUMNS`)."""

    leads: Mapped[int] = mapped_column(Integer, default=0)
    contacted: Mapped[int] = mapped_column(Integer, default=0)
    appointment: Mapped[int] = mapped_column(Integer, default=0)
    test_drive: Mapped[int] = mapped_column(Integer, default=0)
    offer: Mapped[int] = mapped_column(Integer, default=0)
    ordered: Mapped[int] = mapped_column(Integer, default=0)
    won: Mapped[int] = mapped_column(Integer, default=0)
    lost: Mapped[int] = mapped_column(Integer, default=0)
    n_assigned: Mapped[int] = mapped_column(Integer, default=0)
    n_displayed: Mapped[int] = mapped_column(Integer, default=0)
    n_acknowledged: Mapped[int] = mapped_column(Integer, default=0)
    n_first_contact: Mapped[int] = mapped_column(Integer, default=0)
    fc_deadline: Mapped[int] = mapped_column(Integer, default=0)
    fc_on_time: Mapped[int] = mapped_column(Integer, default=0)


class DailyKey:
    """What a lead is counted under (`server.kpi.facts.FACT_KEYS`): its fact, and the daily sums."""

    day: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int] = mapped_column(Integer)
    seller_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))


class KpiLeadFact(DailyKey, TenantScoped, db.Model):
    __tablename__ = "kpi_lead_facts"
    # By day for the period; by site or seller first when one is chosen (a few rows a day, not all).
    __table_args__ = (Index("ix_kpi_lead_facts_group_day", "group_id", "day"),
                      Index("ix_kpi_lead_facts_group_site_day", "group_id", "site_id", "day"),
                      Index("ix_kpi_lead_facts_group_seller_day", "group_id", "seller_id", "day"))

    group_id: Mapped[int] = _group_key()
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    # Index in STAGES of the furthest stage the lead ever reached.
    furthest: Mapped[int] = mapped_column(SmallInteger)
    outcome: Mapped[str] = mapped_column(String(8))
    # Opening-hours minutes from reception to each milestone (None: not reached).
    d_assigned: Mapped[int | None] = mapped_column(Integer)
    d_displayed: Mapped[int | None] = mapped_column(Integer)
    d_acknowledged: Mapped[int | None] = mapped_column(Integer)
    d_first_contact: Mapped[int | None] = mapped_column(Integer)
    has_deadline: Mapped[bool] = mapped_column(Boolean)
    on_time: Mapped[bool] = mapped_column(Boolean)


class KpiDaily(Counts, DailyKey, TenantScoped, db.Model):
    __tablename__ = "kpi_daily"
    __table_args__ = (PrimaryKeyConstraint("group_id", "day", "site_id", "seller_id", "kind", "source", "reason"),
                      Index("ix_kpi_daily_group_site_day", "group_id", "site_id", "day"),
                      Index("ix_kpi_daily_group_seller_day", "group_id", "seller_id", "day"))

    group_id: Mapped[int] = _group_key()


class KpiSiteDaily(Counts, TenantScoped, db.Model):
    __tablename__ = "kpi_site_daily"
    __table_args__ = (PrimaryKeyConstraint("group_id", "day", "site_id", "reason"),)

    group_id: Mapped[int] = _group_key()
    day: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))


class KpiDelay(TenantScoped, db.Model):
    __tablename__ = "kpi_delays"
    __table_args__ = (PrimaryKeyConstraint("group_id", "day", "site_id", "step", "minutes"),)

    group_id: Mapped[int] = _group_key()
    day: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)
