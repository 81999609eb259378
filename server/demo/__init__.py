"""The demo dealer group "Garage du Parc": created once, refreshed (never duplicated) on every run.

    info = ensure_demo_group(slug="garage-du-parc", secret_key=app.config["SECRET_KEY"],
                             mail_domain="eseller.example")

Everything random is seeded with the slug, so a given slug always gets the same people; dates are
relative to the moment of creation. A rerun only re-activates the demo users with the demo
password and un-revokes the demo keys. No Event rows are written: events come from live changes.
"""

from __future__ import annotations

from sqlalchemy import select

from server.auth.passwords import hash_password
from server.demo.actions import create_actions
from server.demo.leads import create_leads
from server.demo.people import create_consents, create_history, create_people
from server.demo.stock import create_stock
from server.demo.structure import (
    DEFAULT_SLUG,
    STAFF,
    context,
    create_rules_and_planning,
    create_sites,
    demo_keys,
    ensure_access,
    new_group,
    staff_email,
)
from server.extensions import db
from server.mailbox.demo import ensure_demo_mail
from server.models import DealerGroup, Site, User, utcnow
from server.tenancy import group_scope

DEMO_PASSWORD = "eseller-demo"

__all__ = ["DEMO_PASSWORD", "ensure_demo_group"]


def ensure_demo_group(
    slug: str = DEFAULT_SLUG, *, secret_key: str, mail_domain: str = "eseller.example"
) -> dict:
    """Create the demo group `slug` (or refresh its logins and keys) and commit; returns its credentials."""
    session = db.session
    mailbox = f"leads+{slug}@{mail_domain}"
    api_key, widget_key = demo_keys(secret_key, slug)
    password_hash = hash_password(DEMO_PASSWORD)  # once: Argon2 is slow on purpose

    group = session.scalar(select(DealerGroup).where(DealerGroup.slug == slug))
    created = group is None
    if group is None:
        group = new_group(slug, mailbox)
        session.add(group)
        session.flush()
    else:
        group.mailbox = mailbox  # follows the configured mail domain

    with group_scope(group.id):
        sites = create_sites() if created else {}
        users = ensure_access(slug, password_hash, api_key, widget_key)
        if created:
            _populate(slug, mail_domain, sites, users)
        info = {
            "group": slug,
            "widget_key": widget_key,
            "api_key": api_key,
            "smtp_address": mailbox,
            "users": [
                {
                    "email": staff_email(member, slug),
                    "password": DEMO_PASSWORD,
                    "role": member.role,
                    "site": member.sites[0] if member.sites else None,
                }
                for member in STAFF
            ],
            "sites": [
                {"code": site.code, "name": site.name, "brands": list(site.brands or [])}
                for site in session.scalars(select(Site).order_by(Site.id))
            ],
        }
    session.commit()
    # One message waiting in quarantine, delivered through the real mailbox service.
    ensure_demo_mail(group)
    return info


def _populate(slug: str, mail_domain: str, sites: dict[str, Site], users: list[User]) -> None:
    """The group's data, in a few batched flushes (ids are needed from one step to the next)."""
    session = db.session
    ctx = context(slug, utcnow(), mail_domain, sites, users)
    create_rules_and_planning(ctx)
    stock = create_stock(ctx)
    people = create_people(ctx)  # flushes contacts, owned vehicles and the above
    create_consents(ctx, people)
    create_history(ctx, people)
    leads = create_leads(ctx, people, stock)
    session.flush()
    create_actions(ctx, leads)
    session.flush()
