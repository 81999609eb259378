"""Writing a lead as an ADF 1.0 document (the inverse of `server.intake.adf.parse_adf`).

The document is built with `xml.etree.ElementTree`, so every text and attribute is escaped by the
serialiser. `None` values and keys the format cannot carry (consent, language, ...) are ignored, so
the output of `server.leads.serialize.lead_json` can be passed as is.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - building only, never parsing
from datetime import UTC, datetime
from typing import Any

# Human descriptions written in <timeframe><description>; the parser maps them back.
TIMEFRAME_LABELS: dict[str, str] = {
    "now": "Immédiatement",
    "within_1_month": "Dans le mois",
    "within_3_months": "Sous 3 mois",
    "within_6_months": "Sous 6 mois",
    "later": "Plus de 6 mois",
}
PLATE_LABEL = "Immatriculation"
DATE_LABEL = "Date souhaitée"

# Characters XML 1.0 cannot carry at all (even escaped): dropped from every text.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _INVALID_XML.sub("", text)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _add(parent: ET.Element, tag: str, value: Any = None, **attrs: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: _clean(val) for key, val in attrs.items() if _present(val)})
    if _present(value):
        element.text = _clean(value)
    return element


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _vehicle(prospect: ET.Element, data: dict, *, interest: str, status: str | None,
             financing: bool | None = None, comments: str | None = None) -> None:
    vehicle = _add(prospect, "vehicle", interest=interest, status=status)
    if _present(data.get("year")):
        _add(vehicle, "year", data["year"])
    _add(vehicle, "make", data.get("make"))  # make and model are required by the ADF DTD
    _add(vehicle, "model", data.get("model"))
    for tag, key in (("vin", "vin"), ("stock", "stock_ref"), ("trim", "version")):
        if _present(data.get(key)):
            _add(vehicle, tag, data[key])
    if _present(data.get("mileage_km")):
        _add(vehicle, "odometer", _number(data["mileage_km"]), units="km")
    if _present(data.get("price_eur")):
        _add(vehicle, "price", _number(data["price_eur"]), type="asking", currency="EUR")
    if financing is not None:
        finance = _add(vehicle, "finance")
        _add(finance, "method", "finance" if financing else "cash")
    if _present(comments):
        _add(vehicle, "comments", comments)


def workshop_comments(workshop: dict) -> str:
    """The service vehicle's comments carrying a workshop: service, then plate and date lines."""
    lines = [_clean(workshop["service"]).strip()] if _present(workshop.get("service")) else []
    if _present(workshop.get("plate")):
        lines.append(f"{PLATE_LABEL} : {workshop['plate']}")
    if _present(workshop.get("preferred_date")):
        lines.append(f"{DATE_LABEL} : {workshop['preferred_date']}")
    return "\n".join(lines)


def _customer(prospect: ET.Element, lead: dict) -> None:
    data = lead.get("customer") or {}
    customer = _add(prospect, "customer")
    contact = _add(customer, "contact")
    names = [(part, data.get(f"{part}_name")) for part in ("first", "last")]
    for part, name in names:
        if _present(name):
            _add(contact, "name", name, part=part, type="individual")
    if not any(_present(name) for _, name in names):
        _add(contact, "name", part="full")  # the DTD wants at least one name
    if _present(data.get("email")):
        _add(contact, "email", data["email"])
    if _present(data.get("phone")):
        _add(contact, "phone", data["phone"])
    if _present(data.get("postal_code")) or _present(data.get("city")):
        address = _add(contact, "address")
        if _present(data.get("city")):
            _add(address, "city", data["city"])
        if _present(data.get("postal_code")):
            _add(address, "postalcode", data["postal_code"])
    if lead.get("timeframe") in TIMEFRAME_LABELS:
        timeframe = _add(customer, "timeframe")
        _add(timeframe, "description", TIMEFRAME_LABELS[lead["timeframe"]])
    if _present(lead.get("message")):
        _add(customer, "comments", lead["message"])


def export_adf(lead: dict, *, vendor_name: str | None = None) -> str:
    """An ADF 1.0 document (a `str`, declared UTF-8) carrying `lead` (the CONTRACT JSON shape, plus
    optional `id` and `received_at`). `vendor_name` fills `<vendorname>` (default: the site code)."""
    source = lead.get("source")
    prospect = ET.Element("prospect", status="new")
    if _present(lead.get("external_id")):
        _add(prospect, "id", lead["external_id"], sequence="1", source=source or "eseller")
    elif _present(lead.get("id")):
        _add(prospect, "id", lead["id"], sequence="1", source="eseller")
    received = lead.get("received_at")
    if not _present(received):
        received = datetime.now(UTC).replace(microsecond=0).isoformat()
    _add(prospect, "requestdate", received)

    vehicle = lead.get("vehicle") or {}
    workshop = lead.get("workshop") or {}
    if lead.get("kind") == "ATELIER":
        _vehicle(prospect, vehicle, interest="service", status=None, financing=lead.get("financing"),
                 comments=workshop_comments(workshop))
    else:
        status = "used" if lead.get("kind") == "VO" else "new"
        _vehicle(prospect, vehicle, interest="buy", status=status, financing=lead.get("financing"))
    trade_in = lead.get("trade_in") or {}
    if any(_present(value) for value in trade_in.values()):
        plate = f"{PLATE_LABEL} : {trade_in['plate']}" if _present(trade_in.get("plate")) else None
        _vehicle(prospect, trade_in, interest="trade-in", status="used", comments=plate)

    _customer(prospect, lead)
    site = lead.get("site")
    vendor = _add(prospect, "vendor")
    if _present(site):
        _add(vendor, "id", site, source="eseller")
    name = vendor_name if _present(vendor_name) else (site if _present(site) else "eSeller")
    _add(vendor, "vendorname", name)
    _add(_add(vendor, "contact"), "name", name, part="full")
    if _present(source):
        provider = _add(prospect, "provider")
        _add(provider, "id", source, source=source)
        _add(provider, "name", source, part="full")

    root = ET.Element("adf")
    root.append(prospect)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n{body}\n'
