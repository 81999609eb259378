"""Vehicles and workshop services the demo group sells (prices in euros, turned into cents later)."""

from __future__ import annotations

from typing import NamedTuple


class Model(NamedTuple):
    make: str
    model: str
    version: str
    fuel: str  # server.models.vehicle.FUELS
    gearbox: str  # manual | automatic
    price_eur: int  # new price


# New cars, by site: Peugeot and Citroën at Lyon Centre, Renault and Dacia at Villeurbanne.
VN_MODELS: dict[str, tuple[Model, ...]] = {
    "lyon-centre": (
        Model("Peugeot", "208", "1.2 PureTech 100 Style", "petrol", "manual", 22900),
        Model("Peugeot", "208", "Hybrid 110 Allure e-DCS6", "hybrid", "automatic", 26400),
        Model("Peugeot", "e-208", "156 ch Allure", "electric", "automatic", 33900),
        Model("Peugeot", "2008", "Hybrid 145 Allure e-DCS6", "hybrid", "automatic", 32300),
        Model("Peugeot", "2008", "1.2 PureTech 130 GT", "petrol", "manual", 33400),
        Model("Peugeot", "308", "Hybrid 145 Allure e-DCS6", "hybrid", "automatic", 34900),
        Model("Peugeot", "3008", "Hybrid 145 Allure e-DCS6", "hybrid", "automatic", 39990),
        Model("Peugeot", "3008", "E-3008 210 ch GT", "electric", "automatic", 46990),
        Model("Peugeot", "5008", "Hybrid 145 Allure e-DCS6", "hybrid", "automatic", 42990),
        Model("Citroën", "C3", "Turbo 100 Plus", "petrol", "manual", 19990),
        Model("Citroën", "C3", "Hybrid 110 Max e-DCS6", "hybrid", "automatic", 23990),
        Model("Citroën", "C4", "Hybrid 145 Plus e-DCS6", "hybrid", "automatic", 30900),
        Model("Citroën", "ë-C4", "136 ch Plus", "electric", "automatic", 34900),
        Model("Citroën", "C5 Aircross", "Hybrid 145 Plus e-DCS6", "hybrid", "automatic", 36900),
    ),
    "villeurbanne": (
        Model("Renault", "Clio", "TCe 90 Evolution", "petrol", "manual", 19900),
        Model("Renault", "Clio", "E-Tech full hybrid 145 Techno", "hybrid", "automatic", 25400),
        Model("Renault", "Captur", "TCe 90 Evolution", "petrol", "manual", 24300),
        Model("Renault", "Captur", "E-Tech full hybrid 145 Techno", "hybrid", "automatic", 30500),
        Model("Renault", "Austral", "E-Tech full hybrid 200 Techno", "hybrid", "automatic", 41400),
        Model("Renault", "Mégane E-Tech", "EV60 220 ch Techno", "electric", "automatic", 40500),
        Model("Renault", "Scénic E-Tech", "EV87 220 ch Iconic", "electric", "automatic", 49900),
        Model("Dacia", "Sandero", "TCe 90 Expression", "petrol", "manual", 15990),
        Model("Dacia", "Duster", "TCe 130 Journey", "petrol", "manual", 24990),
        Model("Dacia", "Duster", "Hybrid 140 Extreme", "hybrid", "automatic", 27490),
        Model("Dacia", "Jogger", "TCe 110 Expression 7 places", "petrol", "manual", 20990),
        Model("Dacia", "Spring", "Electric 65 Extreme", "electric", "automatic", 18900),
    ),
}

# Used cars: any make (new price, used to compute a believable used price).
VO_MODELS: tuple[Model, ...] = (
    Model("Peugeot", "208", "1.2 PureTech 82 Active", "petrol", "manual", 17500),
    Model("Peugeot", "2008", "1.2 PureTech 130 GT Line", "petrol", "manual", 27000),
    Model("Peugeot", "308", "1.5 BlueHDi 130 Allure EAT8", "diesel", "automatic", 31000),
    Model("Peugeot", "5008", "1.5 BlueHDi 130 GT EAT8", "diesel", "automatic", 40000),
    Model("Citroën", "C3", "1.2 PureTech 83 Feel", "petrol", "manual", 16500),
    Model("Citroën", "C5 Aircross", "1.5 BlueHDi 130 Shine EAT8", "diesel", "automatic", 36000),
    Model("Renault", "Clio IV", "1.5 dCi 90 Intens", "diesel", "manual", 18500),
    Model("Renault", "Captur", "1.3 TCe 140 Intens EDC", "petrol", "automatic", 26500),
    Model("Renault", "Mégane IV", "1.3 TCe 140 Business", "petrol", "manual", 27000),
    Model("Renault", "Zoe", "R110 Zen", "electric", "automatic", 32000),
    Model("Dacia", "Sandero Stepway", "1.0 TCe 90 Confort", "petrol", "manual", 15500),
    Model("Dacia", "Duster", "1.5 Blue dCi 115 Prestige 4x4", "diesel", "manual", 22000),
    Model("Volkswagen", "Golf", "1.5 TSI 130 Life", "petrol", "manual", 30000),
    Model("Volkswagen", "Polo", "1.0 TSI 95 Lounge", "petrol", "manual", 20500),
    Model("Volkswagen", "Tiguan", "2.0 TDI 150 Carat DSG7", "diesel", "automatic", 42000),
    Model("Toyota", "Yaris", "Hybride 116h Dynamic", "hybrid", "automatic", 22500),
    Model("Toyota", "C-HR", "Hybride 122h Edition", "hybrid", "automatic", 31000),
    Model("BMW", "Série 1", "118i M Sport DKG7", "petrol", "automatic", 36000),
    Model("Audi", "A3 Sportback", "35 TFSI 150 S line S tronic", "petrol", "automatic", 38000),
    Model("Mercedes-Benz", "Classe A", "180 d Progressive Line 8G-DCT", "diesel", "automatic", 37000),
    Model("Ford", "Puma", "1.0 EcoBoost 125 mHEV Titanium", "hybrid", "manual", 26000),
    Model("Tesla", "Model 3", "Propulsion", "electric", "automatic", 43000),
    Model("Fiat", "500", "1.2 69 Lounge", "petrol", "manual", 14500),
    Model("Kia", "Niro", "1.6 GDi Hybride 141 Active DCT6", "hybrid", "automatic", 30000),
    Model("Skoda", "Octavia Combi", "2.0 TDI 150 Style DSG7", "diesel", "automatic", 34000),
    Model("Nissan", "Qashqai", "1.3 DIG-T 140 N-Connecta", "petrol", "manual", 29000),
    Model("Opel", "Corsa", "1.2 75 Edition", "petrol", "manual", 16000),
    Model("Hyundai", "Tucson", "1.6 T-GDi 230 Hybrid Executive", "hybrid", "automatic", 41000),
)

# The two used cars the repository's sample feeds talk about (adf-full.xml, portal-email.eml).
SAMPLE_VO = (
    {
        "stock_ref": "VO-1042",
        "site": "lyon-centre",
        "year": 2022,
        "mileage_km": 31250,
        "model": Model("Peugeot", "3008", "1.2 PureTech 130 Allure", "petrol", "manual", 34000),
        "price_eur": 24990,
        "colour": "Gris Platinium",
        "vin": "VF3MCYHZRMS123456",
    },
    {
        "stock_ref": "VO-2211",
        "site": "vo-center",
        "year": 2020,
        "mileage_km": 52300,
        "model": Model("Renault", "Clio V", "1.0 TCe 90 Zen", "petrol", "manual", 19000),
        "price_eur": 14490,
        "colour": "Blanc Glacier",
        "vin": None,
    },
)

COLOURS: dict[str, tuple[str, ...]] = {
    "Peugeot": ("Blanc Okenite", "Gris Sélénium", "Noir Perla Nera", "Bleu Vertigo", "Rouge Elixir"),
    "Citroën": ("Blanc Banquise", "Gris Platinium", "Noir Perla Nera", "Bleu Éclipse", "Rouge Elixir"),
    "Renault": ("Blanc Glacier", "Gris Schiste", "Noir Étoilé", "Bleu Iron", "Rouge Flamme"),
    "Dacia": ("Blanc Glacier", "Gris Comète", "Noir Nacré", "Vert Cèdre", "Orange Arizona"),
}
VO_COLOURS = ("Blanc", "Gris", "Gris foncé", "Noir", "Bleu", "Rouge", "Argent", "Beige")

# World manufacturer identifiers, for believable VINs.
WMI = {
    "Peugeot": "VF3",
    "Citroën": "VF7",
    "Renault": "VF1",
    "Dacia": "UU1",
    "Volkswagen": "WVW",
    "Toyota": "VNK",
    "BMW": "WBA",
    "Audi": "WAU",
    "Mercedes-Benz": "WDD",
    "Ford": "WF0",
    "Tesla": "LRW",
    "Fiat": "ZFA",
    "Kia": "KNA",
    "Skoda": "TMB",
    "Nissan": "SJN",
    "Opel": "W0V",
    "Hyundai": "TMA",
}

# Which site sells a brand new (and services it); other makes go to the used-car centre.
BRAND_SITE = {
    "Peugeot": "lyon-centre",
    "Citroën": "lyon-centre",
    "Renault": "villeurbanne",
    "Dacia": "villeurbanne",
}

# Workshop services: code (as in the lead's `workshop.service`), label, price range in euros.
SERVICES: tuple[tuple[str, str, int, int], ...] = (
    ("revision", "Révision constructeur", 180, 420),
    ("vidange", "Vidange et filtre à huile", 89, 160),
    ("pneus", "Remplacement de 2 pneus", 190, 420),
    ("freins", "Plaquettes et disques de frein avant", 240, 520),
    ("controle_technique", "Préparation au contrôle technique", 60, 180),
    ("climatisation", "Recharge de climatisation", 79, 120),
    ("distribution", "Remplacement du kit de distribution", 520, 980),
    ("diagnostic", "Diagnostic électronique", 60, 95),
    ("carrosserie", "Réparation carrosserie (pare-chocs)", 350, 1400),
)
SERVICE_LABELS = {code: label for code, label, _low, _high in SERVICES}


class OwnedModel(NamedTuple):
    make: str
    model: str
    version: str
    fuel: str
    first_year: int
    last_year: int
    price_eur: int  # new price at the time


# What customers drive today (their future trade-in), mostly the group's brands.
OWNED_MODELS: tuple[OwnedModel, ...] = (
    OwnedModel("Peugeot", "207", "1.4 HDi 70 Urban", "diesel", 2008, 2012, 15500),
    OwnedModel("Peugeot", "208", "1.2 PureTech 82 Active", "petrol", 2013, 2019, 16500),
    OwnedModel("Peugeot", "308", "1.6 BlueHDi 120 Allure", "diesel", 2014, 2020, 26000),
    OwnedModel("Peugeot", "3008", "1.6 BlueHDi 120 Allure EAT6", "diesel", 2016, 2020, 33000),
    OwnedModel("Peugeot", "2008", "1.2 PureTech 110 Allure", "petrol", 2015, 2021, 23000),
    OwnedModel("Citroën", "C3", "1.4 HDi 70 Confort", "diesel", 2009, 2016, 14500),
    OwnedModel("Citroën", "C4 Picasso", "1.6 e-HDi 115 Exclusive", "diesel", 2012, 2018, 27000),
    OwnedModel("Citroën", "C3 Aircross", "1.2 PureTech 110 Shine", "petrol", 2018, 2022, 22000),
    OwnedModel("Renault", "Clio", "1.5 dCi 90 Intens", "diesel", 2013, 2019, 18000),
    OwnedModel("Renault", "Clio", "1.0 TCe 90 Zen", "petrol", 2019, 2023, 18500),
    OwnedModel("Renault", "Scénic", "1.5 dCi 110 Bose", "diesel", 2012, 2018, 27000),
    OwnedModel("Renault", "Mégane", "1.5 dCi 110 Business", "diesel", 2011, 2019, 24000),
    OwnedModel("Renault", "Captur", "0.9 TCe 90 Intens", "petrol", 2014, 2020, 20500),
    OwnedModel("Renault", "Kangoo", "1.5 dCi 90 Zen", "diesel", 2012, 2020, 19500),
    OwnedModel("Renault", "Zoe", "R110 Zen", "electric", 2018, 2022, 32000),
    OwnedModel("Dacia", "Sandero", "1.0 SCe 75 Confort", "petrol", 2013, 2022, 10500),
    OwnedModel("Dacia", "Duster", "1.5 dCi 110 4x2 Prestige", "diesel", 2012, 2021, 18500),
    OwnedModel("Dacia", "Logan MCV", "1.5 dCi 90 Lauréate", "diesel", 2010, 2019, 12500),
    OwnedModel("Volkswagen", "Golf", "1.6 TDI 110 Confortline", "diesel", 2013, 2019, 26000),
    OwnedModel("Toyota", "Auris", "Hybride 136h Dynamic", "hybrid", 2013, 2018, 25000),
    OwnedModel("Ford", "Fiesta", "1.0 EcoBoost 100 Titanium", "petrol", 2013, 2020, 17000),
    OwnedModel("Opel", "Astra", "1.6 CDTI 110 Innovation", "diesel", 2012, 2019, 23000),
)
