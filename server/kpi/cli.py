"""`eseller kpi rebuild [--group SLUG]`."""

from __future__ import annotations

import time

import click
from sqlalchemy import select

from server.extensions import db
from server.kpi.rebuild import rebuild_group
from server.models import DealerGroup


def rebuild(slug: str | None) -> None:
    query = select(DealerGroup.id, DealerGroup.slug).order_by(DealerGroup.id)
    if slug is not None:
        query = query.where(DealerGroup.slug == slug)
    groups = db.session.execute(query).all()
    if not groups:
        raise click.ClickException(f"No group {slug!r}." if slug else "No group.")
    for group_id, group_slug in groups:
        started = time.monotonic()
        count = rebuild_group(db.session.connection(), group_id)
        db.session.commit()
        click.echo(f"{group_slug}: {count} leads counted in {time.monotonic() - started:.1f} s")
