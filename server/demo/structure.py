"""The group's skeleton: settings, sites, staff, keys, routing rules and the shared planning."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select

from server.demo.common import DAY_KEYS, DemoContext, local_at, mobile_phone, seeded
from server.extensions import db
from server.models import ApiKey, DealerGroup, PlanningException, RoutingRule, Shift, Site, User, WidgetKey

DEFAULT_SLUG = "garage-du-parc"
WIDGET_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*"]

_WEEK = [["09:00", "12:00"], ["14:00", "19:00"]]
_SATURDAY = [["09:00", "12:00"], ["14:00", "18:00"]]

SITES: tuple[dict, ...] = (
    {
        "code": "lyon-centre",
        "name": "Lyon Centre",
        "brands": ["Peugeot", "Citroën"],
        "kinds": ["VN", "VO", "ATELIER"],
        "address": "48 avenue Félix Faure",
        "postal_code": "69003",
        "city": "Lyon",
        "phone": "+33465710148",
        "opening_hours": {**{day: _WEEK for day in DAY_KEYS[:5]}, "sat": _SATURDAY},
    },
    {
        "code": "villeurbanne",
        "name": "Villeurbanne",
        "brands": ["Renault", "Dacia"],
        "kinds": ["VN", "VO", "ATELIER"],
        "address": "112 cours Émile Zola",
        "postal_code": "69100",
        "city": "Villeurbanne",
        "phone": "+33465710212",
        "opening_hours": {
            **{day: [["08:30", "12:00"], ["13:30", "19:00"]] for day in DAY_KEYS[:5]},
            "sat": _SATURDAY,
        },
    },
    {
        "code": "vo-center",
        "name": "Centre VO Lyon Est",
        "brands": [],
        "kinds": ["VO"],
        "address": "15 avenue Franklin Roosevelt",
        "postal_code": "69500",
        "city": "Bron",
        "phone": "+33465710390",
        "opening_hours": {
            **{day: [["09:00", "12:30"], ["14:00", "19:00"]] for day in DAY_KEYS[:5]},
            "sat": [["09:00", "12:30"], ["14:00", "18:00"]],
        },
    },
)
ALL_SITES = tuple(site["code"] for site in SITES)


class StaffMember(NamedTuple):
    role: str
    first_name: str
    last_name: str
    email_local: str
    sites: tuple[str, ...]
    language: str = "fr"
    capacity: int = 1
    day_off: int | None = None  # 0 = Monday; set for people with weekly shifts


# In the order printed by `eseller demo`: the first person of each role is the easy login.
STAFF: tuple[StaffMember, ...] = (
    StaffMember("call_center", "Inès", "Mercier", "ines.mercier", ()),
    StaffMember("call_center", "Hugo", "Lefèvre", "hugo.lefevre", ()),
    StaffMember("cell", "Manon", "Petit", "manon.petit", ALL_SITES, day_off=3),
    StaffMember("cell", "Lucas", "Bernard", "lucas.bernard", ALL_SITES, day_off=1),
    StaffMember("seller", "Julien", "Moreau", "julien.moreau", ("lyon-centre",), capacity=2, day_off=2),
    StaffMember("seller", "Sophie", "Lambert", "sophie.lambert", ("lyon-centre",), day_off=0),
    StaffMember("seller", "Karim", "Benali", "karim.benali", ("lyon-centre",), day_off=3),
    StaffMember(
        "seller", "Nicolas", "Fournier", "nicolas.fournier", ("villeurbanne",), capacity=2, day_off=0
    ),
    StaffMember("seller", "Camille", "Roux", "camille.roux", ("villeurbanne",), day_off=1),
    StaffMember("seller", "Emily", "Parker", "emily.parker", ("villeurbanne",), language="en", day_off=4),
    StaffMember("seller", "Mehdi", "Haddad", "mehdi.haddad", ("vo-center",), capacity=2, day_off=0),
    StaffMember("seller", "Laura", "Chevalier", "laura.chevalier", ("vo-center",), day_off=2),
    StaffMember("manager", "Isabelle", "Garnier", "isabelle.garnier", ("lyon-centre",)),
    StaffMember("manager", "Olivier", "Dumas", "olivier.dumas", ("villeurbanne", "vo-center")),
    StaffMember("admin", "Christophe", "Perrin", "christophe.perrin", ALL_SITES),
)

ROUTING_RULES: tuple[tuple[str, dict, str], ...] = (
    ("Occasions (VO) au Centre VO", {"kind": ["VO"]}, "vo-center"),
    ("Peugeot et Citroën à Lyon Centre", {"brand": ["Peugeot", "Citroën"]}, "lyon-centre"),
    ("Renault et Dacia à Villeurbanne", {"brand": ["Renault", "Dacia"]}, "villeurbanne"),
    ("Est lyonnais (691xx) à Villeurbanne", {"postal_prefix": ["691"]}, "villeurbanne"),
    ("Par défaut : Lyon Centre", {}, "lyon-centre"),
)


def staff_email(member: StaffMember, slug: str) -> str:
    return f"{member.email_local}@{slug}.example"


def group_name(slug: str) -> str:
    return "Garage du Parc" if slug == DEFAULT_SLUG else f"Garage du Parc ({slug})"


def demo_keys(secret_key: str, slug: str) -> tuple[str, str]:
    """The raw API key and widget key: derived from the secret, so reruns print the same."""

    def mac(message: str) -> str:
        return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()

    return "esk_" + mac(f"demo-api:{slug}")[:40], "wk_" + mac(f"demo-widget:{slug}")[:32]


def new_group(slug: str, mailbox: str) -> DealerGroup:
    return DealerGroup(
        slug=slug,
        name=group_name(slug),
        editions=["LM1", "LM2", "SD", "DMS", "REF"],
        routing_mode="direct",
        timezone="Europe/Paris",
        default_lead_kind="VN",
        mailbox=mailbox,
        consent_text=(
            "J'accepte d'être contacté(e) par Garage du Parc par téléphone, e-mail ou SMS "
            "au sujet de ma demande."
        ),
        consent_version="2026-01",
        settings={"sla_minutes": {"VO": 15, "VN": 30, "ATELIER": 60}},
    )


def create_sites() -> dict[str, Site]:
    sites = {spec["code"]: Site(**spec) for spec in SITES}
    db.session.add_all(sites.values())
    db.session.flush()
    return sites


def ensure_access(slug: str, password_hash: str, api_key: str, widget_key: str) -> list[User]:
    """Demo users active with the demo password, demo keys present and not revoked.

    Called on every run: this is the whole of what a rerun changes. Missing demo users or keys
    (deleted by hand, or a new SECRET_KEY) are created again; nothing is ever duplicated.
    """
    session = db.session
    emails = [staff_email(member, slug) for member in STAFF]
    existing = {user.email: user for user in session.scalars(select(User).where(User.email.in_(emails)))}
    missing = [member for member in STAFF if staff_email(member, slug) not in existing]
    if missing:
        sites = {site.code: site for site in session.scalars(select(Site))}
        phones: set[str] = set()
        rng = seeded(slug, "staff")
        for member in STAFF:
            phone = mobile_phone(rng, phones)  # drawn for everyone, so each keeps the same number
            if member not in missing:
                continue
            user = User(
                email=staff_email(member, slug),
                first_name=member.first_name,
                last_name=member.last_name,
                role=member.role,
                language=member.language,
                phone=phone,
                capacity=member.capacity,
                max_open_leads=30,
                password_hash=password_hash,
                active=True,
                sites=[sites[code] for code in member.sites if code in sites],
            )
            session.add(user)
            existing[user.email] = user
    for user in existing.values():
        user.password_hash = password_hash
        user.active = True
    session.flush()
    users = [existing[email] for email in emails]
    admin = users[-1]

    key_hash = hashlib.sha256(api_key.encode()).hexdigest()
    api_row = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
    if api_row is None:
        session.add(
            ApiKey(
                name="Site web (démo)",
                source="website",
                prefix=api_key[:12],
                key_hash=key_hash,
                created_by_id=admin.id,
            )
        )
    else:
        api_row.revoked_at = None
    widget_row = session.scalar(select(WidgetKey).where(WidgetKey.key == widget_key))
    if widget_row is None:
        session.add(
            WidgetKey(
                key=widget_key,
                name="Widget site web (démo)",
                source="website",
                allowed_origins=list(WIDGET_ORIGINS),
                default_kind="VN",
            )
        )
    else:
        widget_row.revoked_at = None
        missing_origins = [o for o in WIDGET_ORIGINS if o not in (widget_row.allowed_origins or [])]
        if missing_origins:
            widget_row.allowed_origins = [*(widget_row.allowed_origins or []), *missing_origins]
    return users


def context(slug: str, now, mail_domain: str, sites: dict[str, Site], users: list[User]) -> DemoContext:
    ctx = DemoContext(slug=slug, now=now, mail_domain=mail_domain, sites=sites, users=users)
    for member, user in zip(STAFF, users, strict=True):
        ctx.by_role.setdefault(member.role, []).append(user)
        if member.role == "seller":
            ctx.sellers.setdefault(member.sites[0], []).append(user)
    return ctx


def create_rules_and_planning(ctx: DemoContext) -> None:
    """Routing rules, weekly shifts (Mon-Sat, one day off each) and a couple of absences."""
    session = db.session
    session.add_all(
        RoutingRule(
            position=(index + 1) * 10,
            name=name,
            conditions=conditions,
            site_id=ctx.sites[code].id,
            to_cell=False,
            active=True,
        )
        for index, (name, conditions, code) in enumerate(ROUTING_RULES)
    )
    shifts = []
    for member, user in zip(STAFF, ctx.users, strict=True):
        if member.day_off is None:
            continue
        site = ctx.sites[member.sites[0]]
        for weekday in range(6):
            if weekday == member.day_off:
                continue
            for starts, ends in site.opening_hours[DAY_KEYS[weekday]]:
                shifts.append(
                    Shift(user_id=user.id, site_id=site.id, weekday=weekday, starts=starts, ends=ends)
                )
    session.add_all(shifts)

    by_email = {user.email.split("@")[0]: user for user in ctx.users}
    today = ctx.today
    sick = by_email["camille.roux"]
    holiday = by_email["sophie.lambert"]
    session.add_all(
        [
            PlanningException(
                user_id=sick.id,
                kind="absence",
                site_id=None,
                starts_at=local_at(today - timedelta(days=4), "00:00"),
                ends_at=local_at(today - timedelta(days=2), "23:59"),
                note="Arrêt maladie",
            ),
            PlanningException(
                user_id=holiday.id,
                kind="absence",
                site_id=None,
                starts_at=local_at(today + timedelta(days=10), "00:00"),
                ends_at=local_at(today + timedelta(days=17), "23:59"),
                note="Congés payés",
            ),
        ]
    )
