"""The event log: written in the transaction of the change, pushed to sockets after the commit.

Each event takes the next per-group `seq` (CONTRACT), and stores its audience, so that the live
push and the catch-up endpoint agree on who sees what.
"""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.after_commit import on_commit_of
from server.extensions import db, socketio
from server.leads.serialize import lead_json
from server.models import Event, GroupCounter, Lead
from server.realtime.audience import rooms_of
from server.redis_breaker import needs_redis

_PENDING = "eseller_pending_events"


def reserve_seqs(group_id: int, count: int) -> int:
    """Take `count` numbers from the group's counter; returns the last. The counter row stays
    locked until the commit, so this runs as the commit's very last step (see `_number_events`)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(GroupCounter)
        .values(group_id=group_id, event_seq=count)
        .on_conflict_do_update(index_elements=["group_id"], set_={"event_seq": GroupCounter.event_seq + count})
        .returning(GroupCounter.event_seq)
    )
    return db.session.execute(statement).scalar_one()


def record_event(
    type_: str, lead: Lead, *, roles: tuple[str, ...] = (), user_ids: tuple[int | None, ...] = (),
    extra: dict | None = None,
) -> None:
    """Write an event about `lead` for these roles and users, in this transaction.

    The event is numbered and its payload taken when the transaction commits, so that the lead
    is shown as committed and the group's counter is held for the shortest time; it is pushed to
    sockets after the commit.
    """
    audience = ([uid for uid in dict.fromkeys(user_ids) if uid is not None], list(roles))
    db.session().info.setdefault(_PENDING, []).append((type_, lead, audience, extra or {}))


def _number_events(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # every other row first: the counter lock below is held until COMMIT only
    events = []
    for type_, lead, (user_ids, roles), extra in pending:
        payload = {"type": type_, "lead": lead_json(lead), **extra}
        events.append(Event(group_id=lead.group_id, type=type_, lead_id=lead.id, site_id=lead.site_id,
                            roles=roles, user_ids=user_ids, payload=payload))
    for group_id in sorted({event.group_id for event in events}):
        mine = [event for event in events if event.group_id == group_id]
        first = reserve_seqs(group_id, len(mine)) - len(mine) + 1
        for offset, event in enumerate(mine):
            event.seq = first + offset
            event.payload = {"seq": event.seq, **event.payload}
    session.add_all(events)
    for event in events:
        on_commit_of(session, push, event.type, event.payload, rooms_of(event))


def _drop_pending(session: Session, _transaction=None) -> None:
    session.info.pop(_PENDING, None)


def init_app(app) -> None:
    if not sa_event.contains(Session, "before_commit", _number_events):
        sa_event.listen(Session, "before_commit", _number_events)
        sa_event.listen(Session, "after_soft_rollback", _drop_pending)


@needs_redis  # through the Redis message queue; a client that missed it catches up by `seq`
def push(type_: str, payload: dict, rooms: list[str]) -> None:
    if rooms:
        socketio.emit(type_, payload, to=rooms)
