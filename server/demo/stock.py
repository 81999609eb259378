"""Vehicles in stock: new cars at the two brand sites, used cars mostly at the used-car centre."""

from __future__ import annotations

import random
from datetime import timedelta

from server.demo.catalog import COLOURS, SAMPLE_VO, VN_MODELS, VO_COLOURS, VO_MODELS, WMI
from server.demo.common import DemoContext, plate, seeded, vin
from server.extensions import db
from server.models import StockVehicle

VN_PER_SITE = {"lyon-centre": 18, "villeurbanne": 16}
VO_PER_SITE = {"vo-center": 20, "lyon-centre": 2, "villeurbanne": 2}  # plus the two sample cars


def _used_price(rng: random.Random, new_price: int, age: int, mileage: int) -> int:
    value = new_price * (0.86**age) * (1 - min(mileage, 200000) / 1_000_000)
    value *= rng.uniform(0.95, 1.05)
    return max(4990, int(round(value / 500)) * 500 - 10)


def create_stock(ctx: DemoContext) -> list[StockVehicle]:
    rng = seeded(ctx.slug, "stock")
    vehicles: list[StockVehicle] = []

    def arrived(low: int = 1, high: int = 90):
        return ctx.now - timedelta(days=rng.randint(low, high), hours=rng.randint(0, 10))

    number = 1000
    for code, count in VN_PER_SITE.items():
        models = list(VN_MODELS[code])
        for index in range(count):
            spec = models[index % len(models)] if index < len(models) else rng.choice(models)
            number += 1
            vehicles.append(
                StockVehicle(
                    site_id=ctx.sites[code].id,
                    stock_ref=f"VN-{number}",
                    kind="VN",
                    make=spec.make,
                    model=spec.model,
                    version=spec.version,
                    year=ctx.today.year,
                    mileage_km=rng.randint(5, 40),
                    fuel=spec.fuel,
                    gearbox=spec.gearbox,
                    colour=rng.choice(COLOURS[spec.make]),
                    price_cents=(spec.price_eur + rng.choice((0, 0, 500, 900, 1500, 2400))) * 100,
                    status="available",
                    vin=vin(rng, WMI[spec.make]),
                    plate=None,
                    dms_ref=f"DMS-VN{number}",
                    arrived_at=arrived(),
                )
            )

    refs = [n for n in rng.sample(range(1001, 2999), 40) if n not in (1042, 2211)]
    for sample in SAMPLE_VO:
        spec = sample["model"]
        vehicles.append(
            StockVehicle(
                site_id=ctx.sites[sample["site"]].id,
                stock_ref=sample["stock_ref"],
                kind="VO",
                make=spec.make,
                model=spec.model,
                version=spec.version,
                year=sample["year"],
                mileage_km=sample["mileage_km"],
                fuel=spec.fuel,
                gearbox=spec.gearbox,
                colour=sample["colour"],
                price_cents=sample["price_eur"] * 100,
                status="available",
                vin=sample["vin"],
                plate=plate(rng),
                dms_ref=f"DMS-{sample['stock_ref']}",
                arrived_at=arrived(45, 80),
            )
        )
    for code, count in VO_PER_SITE.items():
        for _ in range(count):
            spec = rng.choice(VO_MODELS)
            year = rng.randint(2015, 2024)
            age = max(1, ctx.today.year - year)
            mileage = round(age * rng.randint(8000, 19000), -2) + rng.randint(0, 99)
            ref = f"VO-{refs.pop()}"
            vehicles.append(
                StockVehicle(
                    site_id=ctx.sites[code].id,
                    stock_ref=ref,
                    kind="VO",
                    make=spec.make,
                    model=spec.model,
                    version=spec.version,
                    year=year,
                    mileage_km=mileage,
                    fuel=spec.fuel,
                    gearbox=spec.gearbox,
                    colour=rng.choice(VO_COLOURS),
                    price_cents=_used_price(rng, spec.price_eur, age, mileage) * 100,
                    status="available",
                    vin=vin(rng, WMI[spec.make]) if rng.random() < 0.7 else None,
                    plate=plate(rng),
                    dms_ref=f"DMS-{ref}",
                    arrived_at=arrived(),
                )
            )

    # A few cars already promised or sold (never the sample cars the repository's feeds point at).
    candidates = [v for v in vehicles if v.stock_ref not in ("VO-1042", "VO-2211")]
    for vehicle in rng.sample(candidates, 10)[:5]:
        vehicle.status = "reserved"
    for vehicle in [v for v in rng.sample(candidates, 12) if v.status == "available"][:5]:
        vehicle.status = "sold"
    db.session.add_all(vehicles)
    return vehicles
