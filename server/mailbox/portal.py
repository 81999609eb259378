"""Classified-ad portals' notification mails: French "key : value" lines to a lead.

Portals (Leboncoin, La Centrale, AutoScout24...) send the buyer's details as labelled lines and the
buyer's own words after "Message :", then their own footer. The labels vary a little from portal to
portal, so keys are matched accent- and case-insensitively against a few known spellings.
"""

from __future__ import annotations

import re

from server.mailbox.text import fold, split_name

# Folded key -> the lead field it fills.
KEYS = {
    "nom": "name", "nom complet": "name", "nom et prenom": "name", "prenom et nom": "name",
    "prenom": "first_name",
    "telephone": "phone", "tel": "phone", "tel.": "phone", "portable": "phone", "mobile": "phone",
    "numero de telephone": "phone",
    "e-mail": "email", "email": "email", "mail": "email", "courriel": "email", "adresse e-mail": "email",
    "adresse email": "email",
    "code postal": "postal_code", "cp": "postal_code",
    "ville": "city",
}
MESSAGE_KEYS = {"message", "votre message", "message de l'acheteur", "commentaire", "question"}

_KEY_LINE = re.compile(r"^\s*(?P<key>[^\W\d][\w .'’\-]{0,40}?)\s*:\s*(?P<value>.*?)\s*$")
# "réf. VO-2211", "Réf. VO-2211", "ref VO-2211", "(ref. VO-2211)", "Référence : VO-2211"
_STOCK_REF = re.compile(r"\br[ée]f(?:[ée]rence)?\b\.?\s*(?:annonce\s*)?(?:n°|[:#])*\s*(?P<ref>[A-Z0-9][A-Z0-9._/-]{1,31})",
                        re.IGNORECASE)
_AD_TITLE = re.compile(r"\bannonce\b\s*[:«\"]?\s*(?P<title>.+)$", re.IGNORECASE)
_PRICE = re.compile(r"(?P<amount>\d{1,3}(?:[\s\u00a0\u202f.]\d{3})+|\d+)\s*(?:€|eur\b|euros?\b)", re.IGNORECASE)
# Footers portals add under the buyer's message: never part of what the customer wrote.
_FOOTER = re.compile(
    r"^(--\s*$|répondez|repondez|pour répondre|pour repondre|ne répondez|ne repondez|cet e-?mail|ce message a été"
    r"|vous recevez|vous avez reçu|l'équipe|l’équipe|conseil|astuce|https?://|se désinscrire|désinscription)",
    re.IGNORECASE,
)
# Makes of two words, so that "Land Rover Defender" is not read as make "Land".
_TWO_WORD_MAKES = {"alfa romeo", "aston martin", "land rover", "rolls royce", "mercedes benz", "ds automobiles"}
MAX_MESSAGE = 5000


def stock_ref(*texts: str) -> str | None:
    for text in texts:
        match = _STOCK_REF.search(text or "")
        if match and any(ch.isdigit() for ch in match.group("ref")):
            return match.group("ref").rstrip(".-/").upper()
    return None


def _vehicle_from_subject(subject: str) -> dict:
    """'Nouveau message pour votre annonce Renault Clio V 1.0 TCe 90 Zen (ref. VO-2211)' -> make/model/version."""
    match = _AD_TITLE.search(subject)
    if not match:
        return {}
    title = match.group("title")
    ref = _STOCK_REF.search(title)
    if ref:  # cut at the reference and its opening bracket or dash
        title = title[: ref.start()]
    title = re.sub(r"[\s(\[\-–—,:»\"]+$", "", _PRICE.sub("", title)).strip()
    words = title.split()
    if not words:
        return {}
    make_len = 2 if len(words) > 2 and fold(" ".join(words[:2]).replace("-", " ")) in _TWO_WORD_MAKES else 1
    vehicle = {"make": " ".join(words[:make_len])[:64]}
    if len(words) > make_len:
        vehicle["model"] = words[make_len][:64]
    if len(words) > make_len + 1:
        vehicle["version"] = " ".join(words[make_len + 1:])[:128]
    return vehicle


def _price(text: str, ref: str | None) -> int | None:
    """The ad's price, read on the line that names the reference (not any amount in the message)."""
    for line in text.splitlines():
        if ref and ref.lower() in line.lower() and (match := _PRICE.search(line)):
            return int(re.sub(r"\D", "", match.group("amount")))
    return None


def _message_block(lines: list[str], start: int, first: str) -> str:
    """The buyer's words: from "Message :" to the portal's footer (a known phrase or more labels)."""
    paragraphs: list[list[str]] = [[first]] if first else [[]]
    for line in lines[start + 1:]:
        stripped = line.strip()
        if not stripped:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if not paragraphs[-1] and paragraphs[0] and (_FOOTER.match(stripped) or _is_label(stripped)):
            break  # a new paragraph that is the portal talking again
        paragraphs[-1].append(stripped)
    return "\n\n".join("\n".join(p) for p in paragraphs if p).strip()[:MAX_MESSAGE]


def _is_label(line: str) -> bool:
    match = _KEY_LINE.match(line)
    return bool(match and len(match.group("key").split()) <= 3)


def parse_portal(text: str, subject: str, default_kind: str) -> dict | None:
    """A lead dict when `text` carries a portal's labelled contact block, else None."""
    lines = text.splitlines()
    found: dict[str, str] = {}
    message = ""
    for index, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if not match:
            continue
        key = fold(match.group("key")).rstrip(" .")
        if key in MESSAGE_KEYS and not message:
            message = _message_block(lines, index, match.group("value"))
        elif key in KEYS and match.group("value") and KEYS[key] not in found:
            found[KEYS[key]] = match.group("value")
    named = found.get("name") or found.get("first_name")
    if not named or not (found.get("phone") or found.get("email")):
        return None  # not a portal mail: no labelled person to call back

    customer = {key: found[key] for key in ("email", "phone", "postal_code", "city") if found.get(key)}
    if found.get("first_name"):
        customer["first_name"] = found["first_name"]
        if found.get("name"):
            customer["last_name"] = found["name"]
    else:
        customer["first_name"], customer["last_name"] = split_name(found["name"])
    ref = stock_ref(subject, text)
    vehicle = _vehicle_from_subject(subject)
    if ref:
        vehicle["stock_ref"] = ref
    if (price := _price(text, ref)) is not None:
        vehicle["price_eur"] = price
    context = fold(f"{subject}\n{text}")
    used = (ref or "").upper().startswith("VO") or re.search(r"\b(occasion|annonce)\b", context)
    lead: dict = {"kind": "VO" if used else default_kind, "customer": customer}
    if vehicle:
        lead["vehicle"] = vehicle
        if vehicle.get("make"):
            lead["brand"] = vehicle["make"]
    if message:
        lead["message"] = message
    return lead
