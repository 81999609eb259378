"""About 300 leads over the past 60 days, consistent with routing, stock, customers and status."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from server.demo.catalog import BRAND_SITE, SERVICE_LABELS, SERVICES, VN_MODELS, VO_MODELS
from server.demo.common import TZ, DemoContext, local_day, seeded
from server.demo.people import People
from server.demo.texts import MESSAGES, TRADE_IN_SENTENCE
from server.demo.timeline import Timeline, open_before
from server.extensions import db
from server.models import Contact, Lead, StockVehicle, User
from server.models.lead import CLOSE_REASONS, TIMEFRAMES

TOTAL_LEADS = 300
KINDS = {"VN": 40, "VO": 42, "ATELIER": 18}
# (channel, source, weight) per kind: portals sell used cars, manufacturers' sites new cars...
ORIGINS = {
    "VN": (
        ("widget", "website", 18),
        ("api", "website", 8),
        ("api", "peugeot.fr", 10),
        ("adf", "peugeot.fr", 5),
        ("api", "renault.fr", 10),
        ("adf", "renault.fr", 5),
        ("email", "website", 3),
        ("direct", "showroom", 10),
        ("direct", "phone", 5),
        ("direct", "salon", 5),
        ("call_center", "call_center", 6),
    ),
    "VO": (
        ("widget", "website", 14),
        ("api", "lacentrale", 14),
        ("adf", "lacentrale", 5),
        ("email", "leboncoin", 14),
        ("api", "leboncoin", 4),
        ("adf", "autoscout24", 8),
        ("api", "autoscout24", 4),
        ("email", "lacentrale", 3),
        ("direct", "showroom", 6),
        ("direct", "phone", 5),
        ("call_center", "call_center", 6),
    ),
    "ATELIER": (
        ("widget", "website", 30),
        ("api", "peugeot.fr", 8),
        ("api", "renault.fr", 8),
        ("direct", "phone", 15),
        ("call_center", "call_center", 10),
        ("email", "website", 5),
    ),
}
STATUSES = {"new": 6, "assigned": 8, "in_progress": 40, "won": 24, "lost": 22}
# How old a lead of each status is, in minutes (new leads: see `_age`).
AGES = {
    "assigned": (5, 30 * 60),
    "in_progress": (3 * 60, 45 * 1440),
    "won": (6 * 1440, 60 * 1440),
    "lost": (2 * 1440, 60 * 1440),
}
WORK_STAGES = {
    "VN": ("contacted", "appointment", "presentation", "test_drive", "offer"),
    "VO": ("contacted", "appointment", "presentation", "test_drive", "offer"),
    "ATELIER": ("contacted", "appointment", "offer"),
}
STAGE_WEIGHTS = {"contacted": 30, "appointment": 20, "presentation": 15, "test_drive": 15, "offer": 20}
REASONS = dict(zip(CLOSE_REASONS, (30, 25, 20, 10, 15), strict=True))  # bought elsewhere, postponed...
EXTERNAL_PREFIX = {
    "lacentrale": "LC-",
    "leboncoin": "LBC-",
    "autoscout24": "AS24-",
    "peugeot.fr": "PEU-",
    "renault.fr": "RNO-",
}
# One lead for every value of every field, whatever the slug:
# (channel, source, kind, status, stage, interest).
COVERAGE = (
    ("widget", "website", "VN", "new", "new", "hot"),
    ("api", "lacentrale", "VO", "assigned", "new", "warm"),
    ("api", "peugeot.fr", "VN", "in_progress", "contacted", "cold"),
    ("widget", "website", "ATELIER", "in_progress", "appointment", "warm"),
    ("adf", "autoscout24", "VO", "in_progress", "presentation", "hot"),
    ("adf", "renault.fr", "VN", "in_progress", "test_drive", "hot"),
    ("email", "leboncoin", "VO", "in_progress", "offer", "warm"),
    ("direct", "showroom", "VN", "won", "order", "hot"),
    ("direct", "phone", "ATELIER", "lost", "abandoned", "cold"),
    ("direct", "salon", "VN", "in_progress", "offer", "warm"),
    ("call_center", "call_center", "VO", "lost", "abandoned", "warm"),
    ("api", "website", "VO", "won", "order", "hot"),
)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class LeadFactory:
    def __init__(self, ctx: DemoContext, people: People, stock: list[StockVehicle]) -> None:
        self.ctx, self.people = ctx, people
        self.start(0)
        self.stock = sorted(stock, key=lambda v: v.stock_ref)
        self.site_codes = {site.id: code for code, site in ctx.sites.items()}
        self.open_pairs: set[tuple[int, str]] = set()
        self.external_ids: set[str] = set()
        self.sold_used: set[int] = set()
        self.owned = {people.contacts[i].id: vehicles for i, vehicles in people.owned.items()}
        self.sla = {"VO": 15, "VN": 30, "ATELIER": 60}
        self.stock_arrival = {vehicle.id: vehicle.arrived_at for vehicle in stock}

    def start(self, index: int) -> None:
        """Fresh random streams per lead: what it is about, and when things happened (this one
        depends on the time of day of "now"); a difference in one lead never shifts the others."""
        self.rng = seeded(self.ctx.slug, f"lead-{index}")
        self.clock = seeded(self.ctx.slug, f"lead-{index}-times")
        self.timeline = Timeline(self.ctx, self.clock)

    # -- the lead's origin and age -------------------------------------------------------------
    def _age(self, status: str, kind: str) -> timedelta:
        rng = self.clock
        if status == "new":
            if rng.random() < 0.35:  # still inside its first-contact deadline
                return timedelta(minutes=rng.randint(1, self.sla[kind] - 1))
            return timedelta(minutes=rng.randint(self.sla[kind] + 5, 36 * 60))
        low, high = AGES[status]
        return timedelta(minutes=rng.randint(low, high))

    def status_for_age(self, age: timedelta) -> str:
        hours = age.total_seconds() / 3600
        if hours < 1:
            weights = {"new": 50, "assigned": 50}
        elif hours < 30:
            weights = {"new": 15, "assigned": 25, "in_progress": 60}
        elif hours < 6 * 24:
            weights = {"in_progress": 65, "lost": 35} if hours >= 48 else {"in_progress": 100}
        else:
            weights = {"in_progress": 40, "won": 30, "lost": 30}
        return _pick(self.rng, weights)

    def _contact(self, kind: str, status: str, received_at: datetime) -> Contact:
        rng = self.rng
        pool = self.people.contacts
        for _ in range(200):
            contact = rng.choice(pool)
            if kind == "ATELIER" and contact.id not in self.owned:
                continue
            if contact.created_at > received_at - timedelta(hours=1):
                continue
            if status in ("new", "assigned", "in_progress") and (contact.id, kind) in self.open_pairs:
                continue
            return contact
        return rng.choice([c for c in self.people.customers if c.id in self.owned])

    # -- what the lead is about ------------------------------------------------------------------
    def _stock_for(
        self, kind: str, status: str, received_at: datetime, make: str | None = None, model: str | None = None
    ) -> StockVehicle | None:
        fits = [
            v
            for v in self.stock
            if v.kind == kind
            and v.arrived_at <= received_at
            and (make is None or v.make == make)
            and (model is None or v.model == model)
        ]
        if status == "won":
            sold = [v for v in fits if v.status in ("reserved", "sold") and v.id not in self.sold_used]
            if sold:
                choice = self.rng.choice(sold)
                self.sold_used.add(choice.id)
                return choice
            return None
        fits = [v for v in fits if v.status != "sold" or status == "lost"]
        return self.rng.choice(fits) if fits else None

    def _subject(self, lead: Lead, contact: Contact) -> str:
        """Vehicle, brand, workshop request; returns the site code routing gives the lead."""
        rng, kind = self.rng, lead.kind
        if kind == "ATELIER":
            vehicle = rng.choice(self.owned[contact.id])
            code, _label, _low, _high = rng.choice(SERVICES)
            day = local_day(lead.received_at) + timedelta(days=rng.randint(2, 12))
            if day.weekday() == 6:
                day += timedelta(days=1)
            lead.brand = vehicle.make
            lead.vehicle = {"make": vehicle.make, "model": vehicle.model, "year": vehicle.year}
            lead.workshop = {"service": code, "preferred_date": day.isoformat(), "plate": vehicle.plate}
            if vehicle.make in BRAND_SITE:
                return BRAND_SITE[vehicle.make]
            return "villeurbanne" if contact.postal_code.startswith("691") else "lyon-centre"
        if kind == "VN":
            makes = {"peugeot.fr": ("Peugeot",), "renault.fr": ("Renault",)}.get(lead.source)
            models = [m for site in VN_MODELS.values() for m in site if makes is None or m.make in makes]
            spec = rng.choice(models)
            stock = (
                self._stock_for("VN", lead.status, lead.received_at, spec.make, spec.model)
                if rng.random() < 0.6
                else None
            )
            if stock is not None:
                lead.stock_vehicle_id = stock.id
                spec = spec._replace(version=stock.version)
            price = stock.price_cents // 100 if stock else spec.price_eur
            lead.vehicle = {
                "make": spec.make,
                "model": spec.model,
                "version": spec.version,
                "year": local_day(lead.received_at).year,
                "price_eur": price,
            }
            if stock is not None:
                lead.vehicle["stock_ref"] = stock.stock_ref
            lead.brand = spec.make
            return BRAND_SITE[spec.make]
        stock = self._stock_for("VO", lead.status, lead.received_at) if rng.random() < 0.85 else None
        if stock is None:
            spec = rng.choice(VO_MODELS)
            lead.vehicle = {
                "make": spec.make,
                "model": spec.model,
                "year": rng.randint(2017, 2023),
                "price_eur": rng.choice((12000, 15000, 18000, 20000, 25000)),
            }
            lead.brand = spec.make
            return "vo-center"
        lead.stock_vehicle_id = stock.id
        lead.brand = stock.make
        lead.vehicle = {
            "make": stock.make,
            "model": stock.model,
            "version": stock.version,
            "year": stock.year,
            "mileage_km": stock.mileage_km,
            "price_eur": stock.price_cents // 100,
            "stock_ref": stock.stock_ref,
        }
        return self.site_codes[stock.site_id]

    def _message(self, lead: Lead) -> str:
        vehicle = lead.vehicle
        text = self.rng.choice(MESSAGES[lead.kind]).format(
            model=vehicle.get("model", ""),
            version=vehicle.get("version", ""),
            make=vehicle.get("make", ""),
            ref=vehicle.get("stock_ref", "de votre annonce"),
            service=SERVICE_LABELS.get(lead.workshop.get("service", ""), "").lower(),
            plate=lead.workshop.get("plate", ""),
        )
        return text.replace("  ", " ")

    # -- one lead --------------------------------------------------------------------------------
    def make(
        self,
        kind: str,
        channel: str,
        source: str,
        status: str,
        stage: str | None = None,
        interest: str | None = None,
        contact: Contact | None = None,
        received_at: datetime | None = None,
    ) -> Lead:
        rng, ctx = self.rng, self.ctx
        if channel == "direct" and status in ("new", "assigned"):
            status = "in_progress"  # a seller who enters a request is already working on it
        if received_at is None:
            received_at = ctx.now - self._age(status, kind)
            if (
                channel not in ("direct", "call_center")
                and received_at.astimezone(TZ).hour < 7
                and status != "new"
            ):
                received_at -= timedelta(hours=8)  # web requests at night are rarer: move to the evening
        if contact is None:
            contact = self._contact(kind, status, received_at)
        lead = Lead(
            kind=kind,
            channel=channel,
            source=source,
            status=status,
            contact_id=contact.id,
            received_at=received_at,
            vehicle={},
            workshop={},
            raw_payload=None,
        )
        site_code = self._subject(lead, contact)
        site = ctx.sites[site_code]
        lead.site_id = site.id
        if channel in ("direct", "call_center") and status != "new":
            snapped = max(open_before(self.clock, site, lead.received_at), contact.created_at)
            arrived = self.stock_arrival.get(lead.stock_vehicle_id)
            if arrived is None or arrived <= snapped:  # a request about a car comes after its arrival
                lead.received_at = snapped
        sellers = ctx.sellers[site_code]
        creator: User | None = None
        if channel == "direct":
            creator = rng.choices(sellers, weights=[s.capacity for s in sellers])[0]
        elif channel == "call_center":
            creator = rng.choice(ctx.by_role["call_center"])
        lead.created_by_id = creator.id if creator else None
        assignee = None
        if status != "new":
            if channel == "direct":
                assignee = creator
            else:
                assignee = rng.choices(sellers, weights=[s.capacity for s in sellers])[0]
            lead.assignee_id = assignee.id

        if status in ("won", "lost"):
            lead.stage = "order" if status == "won" else "abandoned"
        elif status == "in_progress":
            allowed = {s: STAGE_WEIGHTS[s] for s in WORK_STAGES[kind]}
            lead.stage = stage if stage in allowed else _pick(rng, allowed)
        else:
            lead.stage = "new"
        lead.interest = interest or _pick(
            rng,
            {"hot": 25, "warm": 50, "cold": 25} if status != "won" else {"hot": 60, "warm": 35, "cold": 5},
        )
        if kind == "ATELIER":
            lead.timeframe, lead.financing = rng.choice(("now", "within_1_month", None)), None
        else:
            lead.timeframe = rng.choice(TIMEFRAMES)
            lead.financing = rng.choice((True, True, False, False, None))
        lead.message = self._message(lead)
        owned = self.owned.get(contact.id)
        if kind != "ATELIER" and owned and rng.random() < 0.4:
            trade_in = owned[0]
            lead.trade_in_id = trade_in.id
            lead.message += TRADE_IN_SENTENCE.format(
                make=trade_in.make, model=trade_in.model, year=trade_in.year
            )
        if source in EXTERNAL_PREFIX and channel in ("api", "adf", "email"):
            while True:
                external = f"{EXTERNAL_PREFIX[source]}{rng.randint(10**6, 10**7 - 1)}"
                if (source, external) not in self.external_ids:
                    self.external_ids.add((source, external))
                    lead.external_id = external
                    break
        reason = _pick(rng, REASONS) if status == "lost" else None
        if reason == "unreachable" and channel == "direct":
            reason = "postponed"  # met in person: reached at least once
        if status in ("new", "assigned", "in_progress"):
            self.open_pairs.add((contact.id, kind))
        self.timeline.build(lead, site, assignee, creator, self.sla[kind], reason)
        return lead

    def origin(self, kind: str) -> tuple[str, str]:
        channel, source, _weight = self.rng.choices(ORIGINS[kind], weights=[o[2] for o in ORIGINS[kind]])[0]
        return channel, source


def create_leads(ctx: DemoContext, people: People, stock: list[StockVehicle]) -> list[Lead]:
    factory = LeadFactory(ctx, people, stock)
    leads: list[Lead] = []
    for channel, source, kind, status, stage, interest in COVERAGE:
        factory.start(len(leads))
        leads.append(factory.make(kind, channel, source, status, stage, interest))
    for prospect in people.prospects:  # each prospect came in through one request
        factory.start(len(leads))
        rng = factory.rng
        kind = _pick(rng, KINDS) if prospect.id in factory.owned else rng.choice(("VN", "VO"))
        channel, source = factory.origin(kind)
        status = factory.status_for_age(ctx.now - prospect.created_at)
        leads.append(
            factory.make(kind, channel, source, status, contact=prospect, received_at=prospect.created_at)
        )
    while len(leads) < TOTAL_LEADS:
        factory.start(len(leads))
        rng = factory.rng
        kind = _pick(rng, KINDS)
        channel, source = factory.origin(kind)
        status = _pick(rng, STATUSES)
        leads.append(factory.make(kind, channel, source, status))
    leads.sort(key=lambda lead: lead.received_at)
    db.session.add_all(leads)
    return leads
