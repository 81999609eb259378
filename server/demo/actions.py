"""Follow-up actions on open leads: done ones behind, overdue, due today and this week ahead."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from server.demo.common import DemoContext, at_minutes, between, seeded, working_between
from server.demo.texts import ACTION_TITLES
from server.extensions import db
from server.models import Action, Lead

# The next thing to do, by stage of the project.
NEXT_BY_STAGE = {
    "new": ("call",),
    "contacted": ("call", "email", "appointment", "follow_up"),
    "appointment": ("appointment", "sms", "task"),
    "presentation": ("test_drive", "follow_up", "email"),
    "test_drive": ("test_drive", "follow_up", "sms"),
    "offer": ("follow_up", "call", "task"),
}
DONE_OUTCOMES = {
    "call": ("reached", "reached", "no_answer", "voicemail"),
    "email": ("sent",),
    "sms": ("sent",),
    "appointment": ("done", "done", "no_show"),
    "test_drive": ("done",),
    "follow_up": ("reached", "no_answer"),
    "task": ("done",),
}
DONE_NOTES = (
    "",
    "",
    "Client rappelé, à relancer en fin de semaine.",
    "Offre envoyée, en attente de retour.",
    "Rendez-vous confirmé par le client.",
)


def _title(rng: random.Random, kind: str, lead: Lead) -> str:
    titles = ACTION_TITLES[kind]
    if kind == "appointment" and lead.kind != "ATELIER":
        titles = titles[:2]
    title = rng.choice(titles)
    return title.format(model=(lead.vehicle or {}).get("model", "")).strip()


def _next_due(rng: random.Random, ctx: DemoContext, lead: Lead) -> datetime:
    """Overdue, today, this week or next week, during working hours."""
    now, today = ctx.now, ctx.today
    bucket = rng.choices(("overdue", "today", "week", "later"), weights=(22, 30, 36, 12))[0]
    if bucket == "today" and today.weekday() == 6:  # nobody works on Sunday
        bucket = "week"
    if lead.status == "assigned":  # the first call, due by the first-contact deadline
        return lead.first_contact_due_at
    if bucket == "overdue":
        start = lead.stage_changed_at
        return working_between(rng, min(start, now - timedelta(minutes=30)), now - timedelta(minutes=5))
    if bucket == "today":  # later today when there is time left (evening calls are common)
        opening = at_minutes(today, 9 * 60)
        closing = max(at_minutes(today, 19 * 60), min(now + timedelta(hours=2), at_minutes(today, 21 * 60)))
        if now + timedelta(minutes=15) < closing:
            return between(rng, max(opening, now + timedelta(minutes=15)), closing)
        return between(rng, max(opening, lead.stage_changed_at), now - timedelta(minutes=10))
    days = rng.randint(1, 6) if bucket == "week" else rng.randint(7, 13)
    day = today + timedelta(days=days)
    if day.weekday() == 6:
        day += timedelta(days=1)
    return at_minutes(day, rng.choice(range(9 * 60, 19 * 60, 15)))


def create_actions(ctx: DemoContext, leads: list[Lead]) -> None:
    """Leads must be flushed (their ids are used)."""
    rng = seeded(ctx.slug, "actions")
    rows: list[Action] = []
    now = ctx.now
    for lead in leads:
        if lead.status not in ("assigned", "in_progress") or lead.assignee_id is None:
            continue

        def action(kind: str, due: datetime, planned: datetime, lead: Lead = lead, **extra) -> Action:
            return Action(
                type=kind,
                title=_title(rng, kind, lead),
                due_at=due,
                user_id=lead.assignee_id,
                created_by_id=lead.assignee_id,
                lead_id=lead.id,
                contact_id=lead.contact_id,
                created_at=max(lead.received_at, min(planned, due)),
                **extra,
            )

        if lead.status == "in_progress":  # what was already done
            start = lead.first_contact_at or lead.acknowledged_at or lead.received_at
            rows.append(
                action("call", lead.first_contact_due_at, start, done_at=start, outcome="reached", note="")
            )
            for _ in range(rng.randint(0, 2)):
                kind = rng.choice(("email", "sms", "call", "appointment", "follow_up", "task"))
                done = working_between(rng, start, now - timedelta(minutes=15))
                due = max(start, done - timedelta(minutes=rng.randint(0, 240)))
                rows.append(
                    action(
                        kind,
                        due,
                        due,
                        done_at=done,
                        outcome=rng.choice(DONE_OUTCOMES[kind]),
                        notified_at=due,
                        note=rng.choice(DONE_NOTES),
                    )
                )
        planned = lead.stage_changed_at if lead.status == "in_progress" else lead.assigned_at
        for index in range(2 if lead.status == "in_progress" and rng.random() < 0.35 else 1):  # next steps
            kind = rng.choice(NEXT_BY_STAGE.get(lead.stage, ("call",)))
            if index:
                kind = "follow_up" if kind != "follow_up" else "email"
            due = _next_due(rng, ctx, lead)
            rows.append(
                action(
                    kind,
                    due,
                    planned or lead.received_at,
                    done_at=None,
                    outcome=None,
                    note="",
                    notified_at=due if due < now else None,
                )
            )
    db.session.add_all(rows)
