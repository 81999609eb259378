"""Raw e-mail -> leads in the CONTRACT JSON shape, or the reason it must be quarantined.

Pure functions (no database, no app): the service validates each lead with `load_lead` and
captures it. The rules, in order:

1. an ADF document in the body or in an attachment is read with `parse_adf` (one lead per prospect);
   a broken one quarantines the whole message, since its sender meant it to be read as ADF;
2. a portal notification ("Nom : ...", "Téléphone : ...", "Message : ...") becomes one lead whose
   source is the portal;
3. any other mail from someone we can answer becomes a lead of the group's default kind;
4. anything else (no one to call back, empty, unreadable, automatic) is quarantined with the reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser

from server.intake.adf import AdfError, parse_adf
from server.mailbox.portal import MAX_MESSAGE, parse_portal
from server.mailbox.text import html_to_text, source_label, split_name, tidy

ADF_TYPES = {"application/xml", "text/xml", "application/x-adf+xml"}
ADF_EXTENSIONS = (".xml", ".adf")
_ADF_TAG = re.compile(rb"<\s*adf[\s>/]", re.IGNORECASE)
_ADF_TEXT = re.compile(r"<\s*adf[\s>/]", re.IGNORECASE)
_ADF_END = re.compile(r"</\s*adf\s*>", re.IGNORECASE)
_NO_REPLY = re.compile(r"(^|[._+-])(no[._-]?reply|do[._-]?not[._-]?reply|ne[._-]?pas[._-]?repondre|mailer[._-]?daemon"
                       r"|postmaster|bounces?)($|[._+-])", re.IGNORECASE)
MAX_EXTERNAL_ID = 128
MAX_SUBJECT = 500
MAX_RAW_TEXT = 64 * 1024


@dataclass(frozen=True)
class MailLead:
    """One lead read from a message: the CONTRACT dict (unvalidated) and the text it came from."""

    data: dict
    raw: str
    source: str


@dataclass
class MailDecision:
    """What to do with one message: capture `leads`, or quarantine it for `reason`."""

    leads: list[MailLead] = field(default_factory=list)
    reason: str = ""
    subject: str = ""
    message_id: str | None = None
    kind_of_mail: str = "unreadable"  # adf | portal | email | unreadable

    @property
    def quarantined(self) -> bool:
        return not self.leads


def parse_message(raw: bytes, default_kind: str = "VN") -> MailDecision:
    """Decide what `raw` (an RFC 5322 message, as received) becomes for a group whose default is `default_kind`."""
    if not raw or not raw.strip():
        return MailDecision(reason="Empty message.")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        subject = tidy(_header(msg, "Subject")).replace("\n", " ")[:MAX_SUBJECT]
        message_id = _header(msg, "Message-ID").strip() or None
    except Exception as exc:  # noqa: BLE001 - any parser failure on foreign bytes means "unreadable"
        return MailDecision(reason=f"The message cannot be read as e-mail: {exc}.")
    decision = MailDecision(subject=subject, message_id=message_id[:500] if message_id else None)
    try:
        _decide(msg, raw, default_kind, decision)
    except AdfError as exc:
        decision.leads, decision.kind_of_mail = [], "adf"
        decision.reason = f"ADF document refused: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - malformed MIME must quarantine, never lose the message
        decision.leads = []
        decision.reason = f"The message cannot be read: {type(exc).__name__}: {exc}."
    return decision


def _decide(msg: EmailMessage, raw: bytes, default_kind: str, decision: MailDecision) -> None:
    documents = adf_documents(msg)
    if documents:
        decision.kind_of_mail = "adf"
        for document in documents:
            for prospect in parse_adf(document):
                lead = dict(prospect.lead)
                lead.setdefault("kind", default_kind)
                decision.leads.append(MailLead(lead, prospect.raw, lead.get("source") or "adf"))
        return

    text = body_text(msg)
    sender_name, sender_domain = _from_parts(msg)
    raw_text = _raw_text(msg, text)
    external_id = _external_id(decision.message_id)

    portal = parse_portal(text, decision.subject, default_kind)
    if portal is not None:
        source = source_label(sender_name, sender_domain)
        portal["source"] = source
        if external_id:
            portal["external_id"] = external_id
        decision.kind_of_mail = "portal"
        decision.leads.append(MailLead(portal, raw_text, source))
        return

    automatic = _automatic(msg)
    if automatic:
        decision.reason = automatic
        return
    contact = reply_address(msg)
    if contact is None:
        decision.reason = ("No way to reach the sender: the From address is a no-reply one (or missing) and "
                           "there is no Reply-To, and the text has no contact details.")
        return
    if not text and not decision.subject:
        decision.reason = "Empty message: no subject and no readable text."
        return
    first_name, last_name = split_name(contact.display_name) if contact.display_name else ("", contact.username)
    message = f"{decision.subject}\n\n{text}".strip() if decision.subject else text
    lead = {
        "kind": default_kind,
        "source": "email",
        "customer": {"first_name": first_name[:100], "last_name": last_name[:100],
                     "email": contact.addr_spec},
        "message": _cut(message),
    }
    if external_id:
        lead["external_id"] = external_id
    decision.kind_of_mail = "email"
    decision.leads.append(MailLead(lead, raw_text, "email"))


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    return str(value) if value is not None else ""


def _content(part: Message) -> str | bytes:
    """The decoded payload; falls back to lenient decoding when the declared charset is bogus."""
    try:
        return part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, KeyError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if part.get_content_maintype() == "text" else payload


def adf_documents(msg: EmailMessage) -> list[bytes | str]:
    """Every ADF document carried by the message: attachments (bytes, as sent) and inline text bodies."""
    documents: list[bytes | str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if filename.endswith(ADF_EXTENSIONS) or ctype in ADF_TYPES:
            payload = part.get_payload(decode=True) or b""
            # A generic .xml attachment is ADF only when it says so; a .adf file or ADF type always is.
            if filename.endswith(".adf") or ctype == "application/x-adf+xml" or _ADF_TAG.search(payload[:4096]):
                documents.append(payload)
        elif ctype == "text/plain" and part.get_content_disposition() != "attachment":
            text = _content(part)
            if isinstance(text, str) and (start := _ADF_TEXT.search(text)):
                documents.append(_adf_slice(text, start.start()))
    return documents


def _adf_slice(text: str, start: int) -> str:
    """The XML document inside a text body: from its declaration (or <adf>) to </adf>, nothing around it."""
    declaration = text.rfind("<?xml", 0, start)
    begin = declaration if declaration != -1 else start
    ends = list(_ADF_END.finditer(text, start))  # the last closing tag wins
    return text[begin: ends[-1].end()] if ends else text[begin:]


def body_text(msg: EmailMessage) -> str:
    """The readable text: the plain part, else the HTML part rendered as text (scripts and tags dropped)."""
    for preference in ("plain", "html"):
        part = msg.get_body(preferencelist=(preference,))
        if part is None:
            continue
        content = _content(part)
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        text = html_to_text(content) if preference == "html" else tidy(content)
        if text:
            return text
    return ""


def _addresses(msg: Message, name: str) -> list[Address]:
    try:
        header = msg.get(name)
        return list(getattr(header, "addresses", ()) or ())
    except Exception:  # noqa: BLE001 - a malformed header is as good as none
        return []


def _usable(address: Address) -> bool:
    try:
        return bool(address.username and address.domain) and not _NO_REPLY.search(address.username)
    except Exception:  # noqa: BLE001
        return False


def reply_address(msg: Message) -> Address | None:
    """Who a seller can write back to: the Reply-To, else the From, unless it is a no-reply address."""
    for name in ("Reply-To", "From"):
        for address in _addresses(msg, name):
            if _usable(address):
                return address
    return None


def _from_parts(msg: Message) -> tuple[str, str]:
    addresses = _addresses(msg, "From")
    if not addresses:
        return "", ""
    return addresses[0].display_name or "", addresses[0].domain or ""


def _automatic(msg: Message) -> str:
    """Why a message is a machine's and not a customer's (bounce, auto-reply), or ''."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"Automatic message (Auto-Submitted: {auto}), not a customer's."
    if msg.get_content_type() == "multipart/report":
        return "Delivery report (bounce), not a customer's message."
    return ""


def _external_id(message_id: str | None) -> str | None:
    """The Message-ID without its brackets: a resent mail updates the lead it created."""
    if not message_id:
        return None
    value = message_id.strip().strip("<>").strip()
    if len(value) > MAX_EXTERNAL_ID:  # still stable, and within the schema's limit
        value = "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return value or None


def _raw_text(msg: Message, text: str) -> str:
    """What the lead keeps as its raw payload: the main headers and the text read (attachments stay in the mailbox)."""
    headers = "\n".join(f"{name}: {_header(msg, name)}" for name in ("From", "Reply-To", "To", "Subject", "Date",
                                                                      "Message-ID") if msg.get(name) is not None)
    return f"{headers}\n\n{text}"[:MAX_RAW_TEXT]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
