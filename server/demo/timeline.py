"""A lead's clock and timeline: ordered timestamps and the LeadEntry rows that tell the same story."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from server.demo.common import DAY_KEYS, TZ, DemoContext, between, working_between
from server.demo.texts import (
    CLOSE_LABELS,
    CLOSE_NOTES,
    FIRST_CALL,
    MISSED_CALL,
    NOTES,
    RECEIVED_BODIES,
    SOURCE_LABELS,
    STAGE_LABELS,
    WON_BODIES,
)
from server.models import Lead, LeadEntry, Site, User
from server.models.lead import STAGES

WORK_STAGES = STAGES[1:6]  # contacted .. offer
# A deal is usually won or lost within this many days of the first contact.
CLOSING_DAYS = {"VN": 40, "VO": 21, "ATELIER": 10}


def _spans(site: Site, day) -> list[tuple[datetime, datetime]]:
    result = []
    for start, end in (site.opening_hours or {}).get(DAY_KEYS[day.weekday()], []):
        result.append(
            (
                datetime.combine(day, datetime.strptime(start, "%H:%M").time(), tzinfo=TZ),
                datetime.combine(day, datetime.strptime(end, "%H:%M").time(), tzinfo=TZ),
            )
        )
    return result


def until_open(site: Site, moment: datetime) -> timedelta:
    """How long from `moment` until the site is open (zero when it is)."""
    local = moment.astimezone(TZ)
    for offset in range(8):
        for start, end in _spans(site, local.date() + timedelta(days=offset)):
            if end > local:
                return max(timedelta(0), start - local)
    return timedelta(0)


def open_before(rng: random.Random, site: Site, moment: datetime) -> datetime:
    """`moment` if the site is open then, else a moment of its last opening span before it."""
    local = moment.astimezone(TZ)
    for offset in range(8):
        for start, end in reversed(_spans(site, local.date() - timedelta(days=offset))):
            if start <= local < end:
                return moment
            if end <= local:
                return between(rng, start, end - timedelta(minutes=5)).astimezone(moment.tzinfo)
    return moment


class Timeline:
    """Fills one lead's timestamps and appends its entries, all between received_at and now."""

    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng

    def _entry(
        self,
        lead: Lead,
        at: datetime,
        kind: str,
        body: str,
        user: User | None = None,
        data: dict | None = None,
    ) -> None:
        lead.entries.append(
            LeadEntry(at=at, kind=kind, body=body, data=data or {}, user_id=user.id if user else None)
        )

    def build(
        self,
        lead: Lead,
        site: Site,
        assignee: User | None,
        creator: User | None,
        sla: int,
        reason: str | None,
    ) -> None:
        rng, now = self.rng, self.ctx.now
        t0 = lead.received_at
        lead.first_contact_due_at = t0 + timedelta(minutes=sla)
        body = RECEIVED_BODIES.get(lead.source if lead.channel == "direct" else lead.channel, "")
        self._entry(
            lead,
            t0,
            "received",
            body.format(source=SOURCE_LABELS[lead.source]),
            creator,
            {"channel": lead.channel, "source": lead.source},
        )
        lead.stage_changed_at = t0
        last = t0
        if lead.status == "new":
            due = lead.first_contact_due_at
            if due + timedelta(minutes=20) < now and rng.random() < 0.6:
                lead.escalated_at = due + timedelta(minutes=rng.randint(1, 15))
                self._escalated(lead, lead.escalated_at)
                last = lead.escalated_at
            lead.updated_at = last
            return
        assert assignee is not None

        # The first minutes: routing, on screen, acknowledged, first contact (compressed if too recent).
        direct = lead.channel == "direct"
        steps: dict[str, float] = {}
        wait = 0.0 if direct else until_open(site, t0).total_seconds() + rng.uniform(20, 300)
        steps["assigned"] = wait
        steps["displayed"] = wait + (0 if direct else rng.uniform(5, 180))
        if lead.status != "assigned":
            steps["acknowledged"] = steps["displayed"] + (0 if direct else rng.uniform(30, 1200))
            missed = rng.random() < 0.35 and not direct
            if missed:
                steps["missed"] = steps["acknowledged"] + rng.uniform(60, 900)
            late = rng.uniform(3600, 6 * 3600) if rng.random() < 0.2 else 0
            steps["contact"] = max(steps.values()) + (60 if direct else rng.uniform(120, 3600) + late)
        room = (now - t0).total_seconds() * 0.8
        scale = min(1.0, room / max(steps.values())) if max(steps.values()) > 0 else 1.0
        at = {name: t0 + timedelta(seconds=value * scale) for name, value in steps.items()}

        lead.assigned_at = at["assigned"]
        self._entry(
            lead,
            lead.assigned_at,
            "assigned",
            f"Attribuée à {assignee.full_name}",
            creator if direct else None,
            {"assignee_id": assignee.id, "site": site.code, "by": "creator" if direct else "routing"},
        )
        if lead.status == "assigned" and rng.random() < 0.3:
            lead.updated_at = lead.assigned_at  # not yet seen by the seller
            return
        lead.displayed_at = at["displayed"]
        last = lead.displayed_at
        if lead.status == "assigned":
            lead.updated_at = last
            return

        lead.acknowledged_at = at["acknowledged"]
        self._entry(lead, lead.acknowledged_at, "acknowledged", "Lead pris en charge", assignee)
        if "missed" in at:
            self._entry(
                lead, at["missed"], "call", rng.choice(MISSED_CALL), assignee, {"outcome": "no_answer"}
            )

        if reason == "unreachable":  # never reached: calls without answer, then closed
            latest = now - timedelta(hours=2)
            earliest = max(at["contact"], min(at["contact"] + timedelta(days=2), latest))
            closed = working_between(rng, earliest, min(latest, earliest + timedelta(days=12)))
            for moment in sorted(
                working_between(rng, at["contact"], closed) for _ in range(rng.randint(2, 3))
            ):
                self._entry(lead, moment, "call", rng.choice(MISSED_CALL), assignee, {"outcome": "no_answer"})
            self._close(lead, closed, "new", assignee, reason)
            return

        lead.first_contact_at = at["contact"]
        due = lead.first_contact_due_at
        if lead.first_contact_at > due + timedelta(minutes=10) and rng.random() < 0.3:
            lead.escalated_at = due + timedelta(minutes=rng.randint(1, 10))
            self._escalated(lead, lead.escalated_at)
        self._entry(
            lead,
            lead.first_contact_at,
            "call",
            rng.choice(FIRST_CALL[lead.kind]),
            assignee,
            {"outcome": "reached"},
        )

        end = now - timedelta(minutes=rng.randint(10, 120))
        if lead.status in ("won", "lost"):
            latest = now - timedelta(hours=1)
            earliest = min(lead.first_contact_at + timedelta(hours=4), latest)
            horizon = timedelta(days=CLOSING_DAYS[lead.kind])
            end = working_between(rng, earliest, min(latest, earliest + horizon))
        end = max(end, lead.first_contact_at + timedelta(minutes=3))
        path = self._path(lead)
        # "Contacted" right after the call; the later steps spread until today (or the closing).
        contacted = lead.first_contact_at + timedelta(minutes=rng.randint(1, 3))
        moments = [contacted, *sorted(working_between(rng, contacted, end) for _ in path[1:])] if path else []
        previous = "new"
        for stage, moment in zip(path, moments, strict=True):
            self._entry(
                lead,
                moment,
                "stage",
                f"Étape : {STAGE_LABELS[previous]} → {STAGE_LABELS[stage]}",
                assignee,
                {"from": previous, "to": stage},
            )
            previous, lead.stage_changed_at = stage, moment
        if rng.random() < 0.5:
            self._entry(
                lead, working_between(rng, lead.first_contact_at, end), "note", rng.choice(NOTES), assignee
            )
        if lead.status in ("won", "lost"):
            self._close(lead, end, previous, assignee, reason)
        else:
            lead.updated_at = max(lead.stage_changed_at, max(entry.at for entry in lead.entries))

    def _path(self, lead: Lead) -> list[str]:
        """Stages walked through after the first contact, up to the current (or last open) stage."""
        rng = self.rng
        allowed = self._stages_of(lead.kind)
        if lead.status == "won":
            target = rng.choice(
                ("appointment", "offer")
                if lead.kind == "ATELIER"
                else ("offer", "offer", "test_drive", "presentation")
            )
        elif lead.status == "lost":
            target = rng.choice(("contacted", "appointment") if lead.kind == "ATELIER" else WORK_STAGES[:4])
        else:
            target = lead.stage
        if target not in WORK_STAGES:
            return []
        middle = [s for s in STAGES[2 : STAGES.index(target)] if s in allowed and rng.random() < 0.6]
        return ["contacted", *middle, target] if target != "contacted" else ["contacted"]

    @staticmethod
    def _stages_of(kind: str) -> tuple[str, ...]:
        return ("contacted", "appointment", "offer", "order") if kind == "ATELIER" else STAGES

    def _escalated(self, lead: Lead, at: datetime) -> None:
        minutes = int((at - lead.first_contact_due_at).total_seconds() // 60)
        self._entry(
            lead,
            at,
            "escalated",
            "Délai de premier contact dépassé : le responsable a été alerté",
            None,
            {"late_minutes": minutes},
        )

    def _close(self, lead: Lead, at: datetime, previous: str, assignee: User, reason: str | None) -> None:
        final = "order" if lead.status == "won" else "abandoned"
        self._entry(
            lead,
            at,
            "stage",
            f"Étape : {STAGE_LABELS[previous]} → {STAGE_LABELS[final]}",
            assignee,
            {"from": previous, "to": final},
        )
        if lead.status == "won":
            self._entry(lead, at, "closed", WON_BODIES[lead.kind], assignee, {"status": "won"})
        else:
            lead.close_reason = reason
            lead.close_note = self.rng.choice(CLOSE_NOTES[reason])
            self._entry(
                lead,
                at,
                "closed",
                f"Affaire perdue : {CLOSE_LABELS[reason]}. {lead.close_note}",
                assignee,
                {"status": "lost", "reason": reason},
            )
        lead.stage = final
        lead.closed_at = lead.stage_changed_at = lead.updated_at = at
