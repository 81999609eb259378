"""Tenant isolation, in one place.

Every ORM SELECT, UPDATE and DELETE touching a `TenantScoped` model is filtered to the current
group, and every row flushed is checked to belong to it. Code outside a group context (sign-in,
the CLI, workers before they know the group) must say so explicitly: a query on group data with
no group set raises instead of returning everybody's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from server.models.base import TenantScoped

# Set by authentication for a request, or by `group_scope` for CLI and jobs.
_current_group: ContextVar[int | None] = ContextVar("eseller_group", default=None)

ALL_GROUPS = "eseller_all_groups"


class TenantScopeError(RuntimeError):
    """Group data was touched without a group context, or across groups."""


def current_group_id() -> int | None:
    return _current_group.get()


def set_group(group_id: int | None):
    """Set the group for the rest of this context; returns a token for `reset_group`."""
    return _current_group.set(group_id)


def reset_group(token) -> None:
    _current_group.reset(token)


@contextmanager
def group_scope(group_id: int) -> Iterator[None]:
    token = _current_group.set(group_id)
    try:
        yield
    finally:
        _current_group.reset(token)


def all_groups(statement):
    """Mark a statement as deliberately crossing groups (sign-in lookups, the sweeper)."""
    return statement.execution_options(**{ALL_GROUPS: True})


def _touches_scoped_model(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers)


def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(ALL_GROUPS):
        return
    if state.is_column_load or state.is_relationship_load:
        # Loads of attributes and relationships of rows already scoped: the criteria set on the
        # parent statement propagate to them (propagate_to_loaders).
        return
    if not _touches_scoped_model(state):
        return
    group_id = _current_group.get()
    if group_id is None:
        raise TenantScopeError("query on group data outside a group context")
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.group_id == group_id,
            include_aliases=True,
            propagate_to_loaders=True,
        )
    )


def _check_flush(session: Session, flush_context, instances) -> None:
    group_id = _current_group.get()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if obj.group_id is None:
            if group_id is None:
                raise TenantScopeError(f"new {type(obj).__name__} without a group")
            obj.group_id = group_id
        elif group_id is not None and obj.group_id != group_id:
            raise TenantScopeError(f"{type(obj).__name__} of group {obj.group_id} written from group {group_id}")


def init_app(app) -> None:
    from server.extensions import db

    # Registered on the Session class once: every session of the process is scoped.
    if not event.contains(Session, "do_orm_execute", _scope_statement):
        event.listen(Session, "do_orm_execute", _scope_statement)
        event.listen(Session, "before_flush", _check_flush)
    db.session  # noqa: B018 - make sure the scoped session exists before the first request
