"""ADF 1.0 ("Auto-lead Data Format") in: an XML document → leads in the CONTRACT JSON shape.

Parsing goes through defusedxml only, with DTDs, entities and external references forbidden: a
document carrying any of them is refused before anything is expanded. Real feeds are messy, so the
reader is lenient about everything else: BOM, leading blanks, any `<?adf ...?>` line, element names
in any case, namespaces, declared encodings (ISO-8859-1, windows-1252) and whitespace.

`export_adf` (the inverse) lives in `server.intake.adf_export` and is re-exported here.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - only the types and the serialiser; parsing is defused
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from server.intake.adf_export import PLATE_LABEL, TIMEFRAME_LABELS, export_adf, workshop_comments

__all__ = ["AdfError", "AdfProspect", "export_adf", "parse_adf"]

MAX_BYTES = 1024 * 1024
MAX_SERVICE = 100  # workshop.service is a short label; the full text stays in the message
BUY_INTERESTS = {"", "buy", "lease", "test-drive", "testdrive"}
TRADE_INTERESTS = {"trade-in", "tradein", "trade_in", "trade in", "sell"}
TIMEFRAMES = ("now", "within_1_month", "within_3_months", "within_6_months", "later")

_ADF_PI = {str: re.compile(r"<\?\s*adf\b[^>]*>", re.I), bytes: re.compile(rb"<\?\s*adf\b[^>]*>", re.I)}
_ROOT_START = {str: re.compile(r"<[A-Za-z_]"), bytes: re.compile(rb"<[A-Za-z_]")}
_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", re.I)
_PLATES = (re.compile(r"\b([A-Z]{2})[- ]?(\d{3})[- ]?([A-Z]{2})\b"),  # AB-123-CD, AB 123 CD, AB123CD
           re.compile(r"\b([a-z]{2})-?(\d{3})-?([a-z]{2})\b", re.I))  # ab-123-cd, ab123cd (not "de 150 km")
_LABELLED_PLATE = re.compile(rf"^\s*{PLATE_LABEL}\s*:?\s*(\S.{{0,15}}?)\s*$", re.I)
_LABELLED_DATE = re.compile(r"^\s*date souhait[ée]e\s*:?\s*(\d{4}-\d{2}-\d{2})\s*$", re.I)
_WORKSHOP_WORDS = re.compile(r"\b(ateliers?|services?|entretien|r[ée]vision)\b", re.I)


class AdfError(ValueError):
    """The document cannot be read as ADF; `message` says why, for a human."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class AdfProspect:
    lead: dict
    resend: bool
    raw: str
    request_date: str | None


# --- reading the XML --------------------------------------------------------------------------

def _prepare(document: bytes | str) -> bytes | str:
    if isinstance(document, str):
        if len(document) > MAX_BYTES or len(document.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise AdfError("The ADF document is over 1 MiB.")
        text: bytes | str = document.lstrip("\ufeff \t\r\n")
    elif isinstance(document, bytes | bytearray):
        if len(document) > MAX_BYTES:
            raise AdfError("The ADF document is over 1 MiB.")
        data = bytes(document)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM: read as text
            return _prepare(data.decode("utf-16", errors="replace"))
        text = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    else:
        raise AdfError("The ADF document must be bytes or text.")
    root_at = _ROOT_START[type(text)].search(text)
    if root_at is None:
        raise AdfError("The document is not XML: no root element.")
    prolog = _ADF_PI[type(text)].sub(type(text)(), text[: root_at.start()])  # any <?adf ...?> form
    return prolog.lstrip() + text[root_at.start():]


def _fromstring(text: bytes | str) -> ET.Element:
    try:
        return DefusedET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise AdfError("DTDs, entities and external references are not accepted in ADF documents "
                       f"({type(exc).__name__}).") from exc
    except ET.ParseError as exc:
        if isinstance(text, bytes) and _mislabelled_latin1(text):
            return _fromstring(text.decode("cp1252", errors="replace"))
        raise AdfError(f"The document is not well-formed XML: {exc}.") from exc
    except (ValueError, LookupError) as exc:
        raise AdfError(f"The document cannot be read: {exc}.") from exc


def _mislabelled_latin1(data: bytes) -> bool:
    """Bytes declared (or defaulting to) UTF-8 that are not UTF-8: a common feed bug."""
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in {b"utf-8", b"utf8"}:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _text(element: ET.Element | None) -> str:
    """The element's text on one line (blanks collapsed), '' when absent."""
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _block(element: ET.Element | None) -> str:
    """The element's text with its inner line breaks kept (comments)."""
    return "".join(element.itertext()).strip() if element is not None else ""


def _attr(element: ET.Element | None, name: str) -> str:
    return (element.get(name) or "").strip().lower() if element is not None else ""


def _first(element: ET.Element | None, tag: str) -> str:
    if element is None:
        return ""
    return next((text for child in element.findall(tag) if (text := _text(child))), "")


# --- values -----------------------------------------------------------------------------------

def _number(text: str) -> int | float | None:
    cleaned = re.sub(r"[\s\u00a0\u202f'€]|eur(os?)?", "", text, flags=re.I)
    if "," in cleaned and "." in cleaned:
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,]", "", cleaned)
    else:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", cleaned):
        return None
    value = float(cleaned)
    return int(value) if value.is_integer() else value


def _year(text: str) -> int | None:
    match = re.search(r"\b(19|20|21)\d{2}\b", text)
    return int(match.group(0)) if match else None


def _date(text: str) -> date | None:
    text = text.strip()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
        try:
            return date(*map(int, match.groups())) if match else None
        except ValueError:
            return None


def _plate(text: str) -> str | None:
    for pattern in _PLATES:
        if match := pattern.search(text):
            return "-".join(match.groups()).upper()
    for line in text.splitlines():
        if labelled := _LABELLED_PLATE.match(line):
            return labelled.group(1)
    return None


def _bucket(days: float) -> str:
    for limit, code in ((3, "now"), (31, "within_1_month"), (92, "within_3_months"), (184, "within_6_months")):
        if days <= limit:
            return code
    return "later"


def _timeframe_from_text(text: str) -> str | None:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    plain = " ".join(plain.split())
    by_label = {label.lower(): code for code, label in TIMEFRAME_LABELS.items()}
    if plain in TIMEFRAMES or plain.replace(" ", "_") in TIMEFRAMES:
        return plain.replace(" ", "_")
    if found := by_label.get(text.strip().lower()):
        return found
    if re.search(r"\b(plus de|au[- ]dela|plus tard|later|more than|over)\b|>", plain):
        return "later"
    if re.search(r"\b(immediat\w*|tout de suite|maintenant|asap|des que possible|urgent|now|today|"
                 r"aujourd'?hui)\b", plain):
        return "now"
    counted = re.search(r"(\d+)\s*(jours?|j|days?|semaines?|weeks?|mois|months?|ans?|annees?|years?)\b", plain)
    if counted:
        unit = counted.group(2)
        factor = 1 if unit[0] in "jd" else 7 if unit[0] in "sw" else 365 if unit[0] in "ay" else 30.5
        return _bucket(int(counted.group(1)) * factor)
    if re.search(r"\b(mois|month|semaine|week)\b", plain):
        return "within_1_month"
    return None


def _timeframe(element: ET.Element | None, requested: date | None) -> str | None:
    if element is None:
        return None
    if found := _timeframe_from_text(_first(element, "description")):
        return found
    if requested is None:
        return None
    latest = _date(_first(element, "latestdate"))
    if latest is not None:
        return _bucket(max((latest - requested).days, 0))
    earliest = _date(_first(element, "earliestdate"))
    if earliest is not None and (earliest - requested).days > 184:
        return "later"
    return None


# --- the prospect -----------------------------------------------------------------------------

def _vehicle_fields(element: ET.Element) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if (year := _year(_first(element, "year"))) is not None:
        fields["year"] = year
    for key, tag in (("make", "make"), ("model", "model"), ("version", "trim"), ("vin", "vin")):
        if value := _first(element, tag):
            fields[key] = value
    stock = _first(element, "stock") or next(
        (_text(ident) for ident in element.findall("id") if "stock" in _attr(ident, "source") and _text(ident)), "")
    if stock:
        fields["stock_ref"] = stock
    for price in element.findall("price"):
        value = _number(_text(price))
        if value is not None and _attr(price, "currency") in {"", "eur"}:
            fields["price_eur"] = value
            break
    return fields


def _trade_in(element: ET.Element) -> dict[str, Any]:
    fields = {key: value for key, value in _vehicle_fields(element).items() if key in {"make", "model", "year"}}
    odometer = element.find("odometer")
    mileage = _number(_text(odometer))
    if mileage is not None:
        miles = _attr(odometer, "units") in {"mi", "mile", "miles"}
        fields["mileage_km"] = round(mileage * 1.609344) if miles else round(mileage)
    if plate := _plate(_block(element.find("comments"))):
        fields["plate"] = plate
    return fields


def _workshop(text: str) -> dict[str, str]:
    """Service (first line, at most MAX_SERVICE characters), preferred date and plate from a text."""
    workshop: dict[str, str] = {}
    kept = []
    for line in text.splitlines():
        if (date_line := _LABELLED_DATE.match(line)) and _date(date_line.group(1)):
            workshop["preferred_date"] = date_line.group(1)
        elif not _LABELLED_PLATE.match(line):
            kept.append(line)
    if plate := _plate(text):
        workshop["plate"] = plate
    if service := next((line.strip() for line in kept if line.strip()), ""):
        workshop["service"] = service if len(service) <= MAX_SERVICE else service[: MAX_SERVICE - 1] + "…"
    return {key: workshop[key] for key in ("service", "preferred_date", "plate") if key in workshop}


def _customer(element: ET.Element | None) -> dict[str, str]:
    contact = element.find("contact") if element is not None else None
    customer: dict[str, str] = {}
    if contact is None:
        return customer
    names = {"first": "", "last": "", "full": ""}
    for name in contact.findall("name"):
        part = _attr(name, "part") or "full"
        if part in names and not names[part]:
            names[part] = _text(name)
    first, _, last = names["full"].partition(" ")
    if not last:  # a single word is taken as the last name
        first, last = "", first
    for key, value in (("first_name", names["first"] or (first if not names["last"] else "")),
                       ("last_name", names["last"] or (last if not names["first"] else "")),
                       ("email", _first(contact, "email")),
                       ("phone", next((_text(p) for p in contact.findall("phone")
                                       if _attr(p, "type") != "fax" and _text(p)), "")),
                       ("postal_code", _first(contact.find("address"), "postalcode")),
                       ("city", _first(contact.find("address"), "city"))):
        if value:
            customer[key] = value
    return customer


def _source(prospect: ET.Element) -> tuple[str, str | None]:
    for ident in prospect.findall("id"):
        if value := _text(ident):
            return (_attr(ident, "source") or _provider_source(prospect) or "adf"), value
    return (_provider_source(prospect) or "adf"), None


def _provider_source(prospect: ET.Element) -> str:
    provider = prospect.find("provider")
    if provider is None:
        return ""
    ident = provider.find("id")
    return _attr(ident, "source") or _text(ident).lower() or _first(provider, "name").lower()


def _prospect(prospect: ET.Element, raw: str) -> AdfProspect:
    vehicles = prospect.findall("vehicle")
    interests = [(_attr(vehicle, "interest"), vehicle) for vehicle in vehicles]
    bought = [v for i, v in interests if i in BUY_INTERESTS - {""}]
    implicit = [v for i, v in interests if i == ""]
    serviced = [v for i, v in interests if i == "service"]
    trades = [v for i, v in interests if i in TRADE_INTERESTS]
    customer = prospect.find("customer")
    provider = prospect.find("provider")

    kind, workshop, subject, service_text = "VN", None, None, ""
    if bought or (implicit and not serviced):
        mentions = [_block(v.find("comments")) for v in implicit[:1]] + [_block(
            customer.find("comments") if customer is not None else None), _first(provider, "service")]
        subject = (bought or implicit)[0]
        kind = "VO" if _attr(subject, "status") == "used" else "VN"
        if not bought and (mention := next((m for m in mentions if _WORKSHOP_WORDS.search(m)), None)):
            kind, workshop = "ATELIER", _workshop(mention)
    elif serviced:
        subject, kind = serviced[0], "ATELIER"
        service_text = _block(subject.find("comments"))
        workshop = _workshop(service_text)
    else:
        mentions = [_block(customer.find("comments") if customer is not None else None),
                    _first(provider, "service")]
        if mention := next((m for m in mentions if _WORKSHOP_WORDS.search(m)), None):
            kind, workshop = "ATELIER", _workshop(mention)

    source, external_id = _source(prospect)
    lead: dict[str, Any] = {"kind": kind, "source": source}
    vendor = prospect.find("vendor")
    site = next((_text(i) for i in (vendor.findall("id") if vendor is not None else [])
                 if _attr(i, "source") == "eseller" and _text(i)), None)
    if site:
        lead["site"] = site
    vehicle = _vehicle_fields(subject) if subject is not None else {}
    if vehicle.get("make"):
        lead["brand"] = vehicle["make"]
    if person := _customer(customer):
        lead["customer"] = person
    if vehicle:
        lead["vehicle"] = vehicle
    trade_in = _trade_in(trades[0]) if trades else {}
    if trade_in:
        lead["trade_in"] = trade_in
    if workshop:
        lead["workshop"] = workshop
    comments = [] if subject is None or subject in serviced else [_block(subject.find("comments"))]
    if workshop is not None and service_text and workshop_comments(workshop) != service_text:
        comments.append(service_text)  # more than the label and plate/date lines: keep it all
    comments.append(_block(customer.find("comments") if customer is not None else None))
    if message := "\n\n".join(text for text in comments if text):
        lead["message"] = message
    request_text = _first(prospect, "requestdate") or None
    if timeframe := _timeframe(customer.find("timeframe") if customer is not None else None,
                               _date(request_text or "")):
        lead["timeframe"] = timeframe
    finance = subject.find("finance") if subject is not None else None
    if finance is not None:
        lead["financing"] = _first(finance, "method").lower() != "cash"
    if external_id:
        lead["external_id"] = external_id
    resend = _attr(prospect, "status") == "resend"
    return AdfProspect(lead=lead, resend=resend, raw=raw, request_date=request_text)


def parse_adf(document: bytes | str) -> list[AdfProspect]:
    """Every `<prospect>` of an ADF document, in order, as leads in the CONTRACT JSON shape."""
    root = _fromstring(_prepare(document))
    try:
        for element in root.iter():  # namespaces off, case kept for the raw text
            element.tag = _local(element.tag)
            element.attrib = {_local(key): value for key, value in element.attrib.items()}
        if root.tag.lower() != "adf":
            raise AdfError(f"The root element is <{root.tag}>, not <adf>: this is not an ADF document.")
        prospects = [child for child in root if child.tag.lower() == "prospect"]
        if not prospects:
            raise AdfError("The ADF document has no <prospect>.")
        raws = []
        for prospect in prospects:
            prospect.tail = None
            raws.append(ET.tostring(prospect, encoding="unicode"))
        for element in root.iter():
            element.tag = element.tag.lower()
            element.attrib = {key.lower(): value for key, value in element.attrib.items()}
        return [_prospect(prospect, raw) for prospect, raw in zip(prospects, raws, strict=True)]
    except RecursionError as exc:
        raise AdfError("The ADF document is nested too deeply.") from exc
