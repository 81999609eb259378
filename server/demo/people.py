"""Customers: contacts with their consents, the vehicles they own and their history with the group."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from server.demo.catalog import BRAND_SITE, OWNED_MODELS, SERVICES, WMI, OwnedModel
from server.demo.common import (
    DemoContext,
    ascii_name,
    at_minutes,
    local_day,
    mobile_phone,
    plate,
    seeded,
    vin,
)
from server.demo.names import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES, LOCALITIES, MAIL_DOMAINS
from server.extensions import db
from server.models import Consent, Contact, OwnedVehicle, PurchaseLine, WorkshopLine
from server.models.contact import CONSENT_CHANNELS
from server.tenancy import all_groups

CONTACTS = 150
CUSTOMERS = 105  # known from the DMS; the others are recent prospects, created by their first lead
PURCHASERS = 60
WORKSHOP_CLIENTS = 90
NEW_CONSENT_TEXT_FROM = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class People:
    contacts: list[Contact] = field(default_factory=list)
    customers: list[Contact] = field(default_factory=list)
    prospects: list[Contact] = field(default_factory=list)
    owned: dict[int, list[OwnedVehicle]] = field(default_factory=dict)  # contact index -> vehicles


def _email(rng: random.Random, first: str, last: str) -> str:
    f, last_ = ascii_name(first), ascii_name(last)
    local = rng.choice(
        (
            f"{f}.{last_}",
            f"{f}.{last_}",
            f"{f}{last_}",
            f"{f[0]}.{last_}",
            f"{last_}.{f}",
            f"{f}.{last_}{rng.randint(60, 99)}",
            f"{f}{rng.randint(1, 99)}",
            f"{f}_{last_}{rng.randint(1, 9)}",
        )
    )
    return f"{local}@{rng.choice(MAIL_DOMAINS)}"


def _unique_emails(rng: random.Random, names: list[tuple[str, str]], wanted: list[bool]) -> list[str | None]:
    """E-mails unique in this group and, as far as the database tells, across groups."""
    emails: list[str | None] = []
    seen: set[str] = set()
    for (first, last), has_email in zip(names, wanted, strict=True):
        address = _email(rng, first, last) if has_email else None
        while address is not None and address in seen:
            address = _email(rng, first, last)
        if address:
            seen.add(address)
        emails.append(address)
    taken = set(db.session.scalars(all_groups(select(Contact.email).where(Contact.email.in_(seen)))))
    for index, address in enumerate(emails):
        if address is None or address not in taken:
            continue
        local, domain = address.split("@")
        candidate = address
        while candidate in taken or candidate in seen:
            candidate = f"{local}.{rng.randint(100, 999)}@{domain}"
        seen.add(candidate)
        emails[index] = candidate
    return emails


def _prospect_moment(rng: random.Random, ctx: DemoContext) -> datetime:
    """When a prospect first asked: a working day of the last 58, while the sites are open."""
    day = ctx.today - timedelta(days=rng.randint(0, 58))
    minutes = rng.choice((rng.randint(9 * 60 + 5, 11 * 60 + 55), rng.randint(14 * 60 + 5, 18 * 60 + 55)))
    moment = at_minutes(day, minutes)
    while moment > ctx.now - timedelta(minutes=45) or local_day(moment).weekday() == 6:
        moment -= timedelta(days=1)
    return moment


def _owned_vehicle(rng: random.Random, ctx: DemoContext, spec: OwnedModel) -> OwnedVehicle:
    year = rng.randint(spec.first_year, spec.last_year)
    age = max(1, ctx.today.year - year)
    bought_new = rng.random() < 0.55
    acquired_year = year if bought_new else rng.randint(year + 1, max(year + 1, ctx.today.year - 1))
    acquired_on = date(acquired_year, rng.randint(1, 12), rng.randint(1, 28))
    if acquired_on >= ctx.today:
        acquired_on = ctx.today - timedelta(days=rng.randint(30, 300))
    return OwnedVehicle(
        make=spec.make,
        model=spec.model,
        version=spec.version,
        year=year,
        mileage_km=round(age * rng.randint(7000, 17000), -2),
        fuel=spec.fuel,
        plate=plate(rng),
        vin=vin(rng, WMI.get(spec.make, "VF1")) if rng.random() < 0.5 else None,
        acquired_on=acquired_on,
        dms_ref=None,
    )


def create_people(ctx: DemoContext) -> People:
    rng = seeded(ctx.slug, "people")
    people = People()
    phones: set[str] = set()
    names = []
    for _ in range(CONTACTS):
        female = rng.random() < 0.5
        names.append((rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M), rng.choice(LAST_NAMES), female))
    has_email = [rng.random() < 0.85 for _ in range(CONTACTS)]
    emails = _unique_emails(rng, [(first, last) for first, last, _ in names], has_email)
    dms_refs = rng.sample(range(100000, 999999), CONTACTS)

    for index, ((first, last, female), email) in enumerate(zip(names, emails, strict=True)):
        customer = index < CUSTOMERS
        postal_code, city, streets = rng.choice(LOCALITIES)
        phone = mobile_phone(rng, phones) if (email is None or rng.random() < 0.93) else None
        if customer:
            created_at = ctx.now - timedelta(days=rng.randint(90, 2400), minutes=rng.randint(0, 1440))
        else:  # a prospect, created by their first request (the leads builder starts there)
            created_at = _prospect_moment(rng, ctx)
        contact = Contact(
            civility="Mme" if female else "M.",
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            address=f"{rng.randint(1, 160)} {rng.choice(streets)}",
            postal_code=postal_code,
            city=city,
            language="en" if rng.random() < 0.03 else "fr",
            dms_ref=f"CL{dms_refs[index]}" if customer else None,
            created_at=created_at,
            updated_at=created_at,
        )
        people.contacts.append(contact)
        (people.customers if customer else people.prospects).append(contact)

        count = (1 if rng.random() < 0.75 else 2) if customer and rng.random() < 0.92 else 0
        if not customer and rng.random() < 0.5:
            count = 1
        vehicles = [_owned_vehicle(rng, ctx, rng.choice(OWNED_MODELS)) for _ in range(count)]
        for vehicle in vehicles:
            vehicle.contact = contact
            if customer:
                vehicle.dms_ref = f"VH{rng.randint(100000, 999999)}"
        if vehicles:
            people.owned[index] = vehicles
    db.session.add_all(people.contacts)
    db.session.flush()
    return people


def create_consents(ctx: DemoContext, people: People) -> None:
    """Contact and marketing answers per channel, with their proof (text version, page, source)."""
    rng = seeded(ctx.slug, "consents")
    rows = []
    for contact in people.contacts:
        customer = contact.dms_ref is not None
        source = (
            rng.choice(("dms", "showroom")) if customer else rng.choice(("website", "website", "lacentrale"))
        )
        recorded_at = contact.created_at
        version = "2026-01" if recorded_at >= NEW_CONSENT_TEXT_FROM else "2024-06"
        page = f"{ctx.web}/contact" if source == "website" else ""
        marketing = rng.random() < 0.45
        for channel in CONSENT_CHANNELS:
            if channel == "email" and not contact.email:
                continue
            if channel in ("phone", "sms") and not contact.phone:
                continue
            for purpose, granted in (("contact", rng.random() < 0.96), ("marketing", marketing)):
                rows.append(
                    Consent(
                        contact_id=contact.id,
                        channel=channel,
                        purpose=purpose,
                        granted=granted,
                        text_version=version,
                        page_url=page,
                        source=source,
                        recorded_at=recorded_at,
                    )
                )
    db.session.add_all(rows)


def create_history(ctx: DemoContext, people: People) -> None:
    """Purchases for ~60 customers and workshop visits for ~90 (the DMS history)."""
    rng = seeded(ctx.slug, "history")
    sites = ctx.sites
    price = {(m.make, m.model, m.version): m.price_eur for m in OWNED_MODELS}
    with_vehicles = [index for index in people.owned if people.contacts[index].dms_ref]
    purchasers = rng.sample(with_vehicles, min(PURCHASERS, len(with_vehicles)))
    workshop = rng.sample(with_vehicles, min(WORKSHOP_CLIENTS, len(with_vehicles)))
    rows: list[PurchaseLine | WorkshopLine] = []
    invoice = rng.randint(1000, 4000)

    for index in purchasers:
        contact = people.contacts[index]
        vehicle = people.owned[index][0]
        new = vehicle.acquired_on.year == vehicle.year
        base = price.get((vehicle.make, vehicle.model, vehicle.version), 20000)
        paid = base if new else base * (0.85 ** max(1, vehicle.acquired_on.year - vehicle.year))
        brand_site = BRAND_SITE.get(vehicle.make, "vo-center")
        site_code = brand_site if new else rng.choice(("vo-center", "vo-center", brand_site))
        invoice += rng.randint(20, 200)
        rows.append(
            PurchaseLine(
                contact_id=contact.id,
                site_id=sites[site_code].id,
                purchased_on=vehicle.acquired_on,
                kind="VN" if new else "VO",
                make=vehicle.make,
                model=vehicle.model,
                version=vehicle.version,
                price_cents=int(round(paid, -1)) * 100,
                invoice_ref=f"FA{vehicle.acquired_on.year}-{invoice:05d}",
            )
        )
        if rng.random() < 0.3:  # an earlier car, sold or traded in since
            older = rng.choice(OWNED_MODELS)
            on = vehicle.acquired_on - timedelta(days=rng.randint(900, 2500))
            rows.append(
                PurchaseLine(
                    contact_id=contact.id,
                    site_id=sites[BRAND_SITE.get(older.make, "vo-center")].id,
                    purchased_on=on,
                    kind="VO",
                    make=older.make,
                    model=older.model,
                    version=older.version,
                    price_cents=int(older.price_eur * 0.6) * 100,
                    invoice_ref=f"FA{on.year}-{rng.randint(1000, 9999):05d}",
                )
            )

    order = rng.randint(10000, 40000)
    for index in workshop:
        contact = people.contacts[index]
        for vehicle in people.owned[index]:
            start = max(vehicle.acquired_on, ctx.today - timedelta(days=3 * 365))
            span = (ctx.today - timedelta(days=5) - start).days
            if span < 30:
                continue
            days = sorted(rng.sample(range(span), k=min(span, rng.randint(1, 4))))
            site_code = BRAND_SITE.get(vehicle.make) or rng.choice(("lyon-centre", "villeurbanne"))
            for step, offset in enumerate(days, start=1):
                visited = start + timedelta(days=offset)
                code, label, low, high = rng.choice(SERVICES)
                mileage = vehicle.mileage_km or 0
                order += rng.randint(5, 60)
                rows.append(
                    WorkshopLine(
                        contact_id=contact.id,
                        owned_vehicle_id=vehicle.id,
                        site_id=sites[site_code].id,
                        visited_on=visited,
                        description=label,
                        mileage_km=max(0, mileage - (len(days) - step) * rng.randint(6000, 14000)),
                        amount_cents=rng.randint(low, high) * 100 + rng.choice((0, 50, 90)),
                        order_ref=f"OR{visited:%y}-{order:05d}",
                    )
                )
    db.session.add_all(rows)
