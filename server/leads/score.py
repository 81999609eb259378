"""The explainable lead score (BX8): a 0–100 figure and the factors behind it, in words.

A sum of points is used rather than a trained model on purpose: a seller must be able to read why
a lead is hot, and a manager to check it. The stored `Lead.score` is recomputed whenever a lead is
written (see `init_app`) and when its freshness steps down (`server.leads.aging`, from the
scheduler's tick), so lists can sort on it; the lead page recomputes it at display time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from server.models import Lead, utcnow
from server.models.lead import OPEN_STATUSES

BASE = 20
CHANNEL_POINTS = {"direct": 15, "call_center": 12, "widget": 10, "api": 8, "adf": 8, "email": 6, "import": 0}
TIMEFRAME_POINTS = {"now": 12, "within_1_month": 8, "within_3_months": 4, "within_6_months": 0, "later": -5}
STAGE_POINTS = {"new": 0, "contacted": 4, "appointment": 10, "presentation": 12, "test_drive": 16, "offer": 20,
                "order": 25, "abandoned": -40}
INTEREST_POINTS = {"hot": 10, "warm": 0, "cold": -10}
TRADE_IN_POINTS = 8
FINANCING_POINTS = 6
STOCK_MATCH_POINTS = 8
ON_TIME_POINTS, LATE_POINTS = 5, -8
# Freshness: a request answered within the hour converts far better than one left for a day.
FRESHNESS = ((timedelta(hours=1), 20), (timedelta(days=1), 12), (timedelta(days=7), 5))
STALE_POINTS = -5


@dataclass(frozen=True)
class Factor:
    key: str  # source, freshness, timeframe, trade_in, financing, stock_match, stage, interest, response_delay
    points: int
    text: str


@dataclass(frozen=True)
class Score:
    value: int
    factors: tuple[Factor, ...]  # every factor that counted, strongest first

    @property
    def top(self) -> tuple[Factor, ...]:
        """The three reasons shown to the seller."""
        return self.factors[:3]


def _source_text(lead: Lead) -> str:
    return {
        "direct": _("Came to the showroom"),
        "call_center": _("Called the call center"),
        "widget": _("Asked on the website"),
        "email": _("Wrote an e-mail"),
        "import": _("Imported from a file"),
    }.get(lead.channel) or _("Request from %(source)s", source=lead.source)


def _stage_text(stage: str) -> str:
    from server.web.labels import STAGE_LABELS  # labels import models; keep this module light to import

    return _("Stage: %(stage)s", stage=STAGE_LABELS.get(stage, stage))


def compute(lead: Lead, now: datetime | None = None, *, explain: bool = True) -> Score:
    """The score at `now`; without `explain`, the factors carry no text (for writes outside a request)."""
    now = now or utcnow()
    factors: list[Factor] = []

    def add(key: str, points: int, text) -> None:
        if points:
            factors.append(Factor(key, points, (text() if callable(text) else text) if explain else ""))

    add("source", CHANNEL_POINTS.get(lead.channel, 0), lambda: _source_text(lead))
    age = now - (lead.received_at or now)
    if (lead.status or "new") in OPEN_STATUSES:  # a lead not yet flushed has no status yet
        fresh = next((points for limit, points in FRESHNESS if age < limit), STALE_POINTS)
        add("freshness", fresh, lambda: (_("Received %(age)s ago", age=format_timedelta(age, threshold=1))
                                         if fresh > 0 else _("Waiting for %(age)s", age=format_timedelta(age, threshold=1))))
    timeframe_texts = {
        "now": lambda: _("Wants to buy now"), "within_1_month": lambda: _("Buying within a month"),
        "within_3_months": lambda: _("Buying within three months"), "later": lambda: _("Buying later"),
    }
    add("timeframe", TIMEFRAME_POINTS.get(lead.timeframe or "", 0), timeframe_texts.get(lead.timeframe or "", ""))
    if lead.trade_in_id is not None:
        add("trade_in", TRADE_IN_POINTS, lambda: _("Has a car to trade in"))
    if lead.financing:
        add("financing", FINANCING_POINTS, lambda: _("Wants financing"))
    if lead.stock_vehicle_id is not None:
        add("stock_match", STOCK_MATCH_POINTS, lambda: _("The car asked for is in stock"))
    add("stage", STAGE_POINTS.get(lead.stage, 0), lambda: _stage_text(lead.stage))
    interest_texts = {"hot": lambda: _("The seller rates it hot"), "cold": lambda: _("The seller rates it cold")}
    add("interest", INTEREST_POINTS.get(lead.interest, 0), interest_texts.get(lead.interest, ""))
    due, contacted = lead.first_contact_due_at, lead.first_contact_at
    if due is not None:
        if contacted is not None and contacted <= due:
            add("response_delay", ON_TIME_POINTS, lambda: _("Called within the deadline"))
        elif (contacted or now) > due:
            add("response_delay", LATE_POINTS, lambda: _("First-call deadline missed"))

    factors.sort(key=lambda f: (-abs(f.points), f.key))
    value = max(0, min(100, BASE + sum(f.points for f in factors)))
    return Score(value, tuple(factors))


def _rescore(session: Session, _flush_context, _instances) -> None:
    now = utcnow()
    leads = [obj for obj in session.new if isinstance(obj, Lead)]
    leads += [obj for obj in session.dirty if isinstance(obj, Lead) and session.is_modified(obj, include_collections=False)]
    for lead in leads:
        value = compute(lead, now, explain=False).value
        if lead.score != value:
            lead.score = value


def init_app(app: Flask) -> None:
    if not app.extensions.get("eseller_lead_score"):
        app.extensions["eseller_lead_score"] = True
        sa_event.listen(Session, "before_flush", _rescore)
