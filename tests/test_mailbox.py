"""The inbound mailbox end to end: the real SMTP server, smtplib as the sending side, the real database."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.mailbox import service
from server.mailbox.server import make_controller
from server.models import ExternalRef, InboundMessage, Lead, LeadEntry
from tests.conftest import free_port, in_group
from tests.test_mail_parsing import sample

GROUP_A = "garage-du-parc"


@pytest.fixture(scope="module")
def smtp_port(app, demo):
    controller = make_controller(app, "127.0.0.1", free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def crlf(raw: bytes) -> bytes:
    """On the wire, lines end in CRLF (smtplib sends bytes as they are)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send(port: int, raw: bytes, to: list[str], mail_from: str = "sender@example.fr") -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.sendmail(mail_from, to, crlf(raw))


def stored(app, slug: str, **where) -> list[InboundMessage]:
    with in_group(app, slug) as group:
        rows = db.session.execute(
            select(InboundMessage).filter_by(group_id=group.id, **where).order_by(InboundMessage.id)
        ).scalars().all()
        db.session.expunge_all()
        return list(rows)


def portal_mail(message_id: str, email: str | None = None, phone: str | None = None) -> bytes:
    raw = sample("portal-email.eml").replace(b"<20261130184210.77812@pro.example-portal.fr>", f"<{message_id}>".encode())
    if email:
        raw = raw.replace(b"thomas.lefevre@example.fr", email.encode())
    if phone is not None:
        old = "Téléphone : 07 81 22 45 10\n".encode()
        raw = raw.replace(old, f"Téléphone : {phone}\n".encode() if phone else b"")
    return raw


def test_portal_sample_becomes_a_lead(app, demo, smtp_port):
    assert send(smtp_port, sample("portal-email.eml"), [demo["a"]["smtp_address"]]) == {}
    [message] = stored(app, GROUP_A, message_id="<20261130184210.77812@pro.example-portal.fr>")
    assert message.status == "accepted", message.reason
    assert message.reason == "" and len(message.lead_ids) == 1
    assert message.raw == crlf(sample("portal-email.eml"))  # kept as received
    with in_group(app, GROUP_A):
        lead = db.session.get(Lead, message.lead_ids[0])
        assert lead.contact.phone == "+33781224510"
        assert lead.contact.first_name == "Thomas" and lead.contact.last_name == "Lefèvre"
        assert lead.stock_vehicle is not None and lead.stock_vehicle.stock_ref == "VO-2211"
        assert lead.channel == "email" and lead.source == "leboncoin" and lead.kind == "VO"
        assert "jeudi en fin de journée" in lead.message and "Répondez" not in lead.message


def test_adf_mail_becomes_leads(app, demo, smtp_port):
    tag = uuid.uuid4().hex[:10]
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<adf>
  <prospect><id source="autoportal">AP-{tag}-1</id>
    <vehicle interest="buy" status="new"><make>Peugeot</make><model>2008</model></vehicle>
    <customer><contact><name part="full">Nina Caron</name><email>nina.{tag}@example.fr</email></contact></customer>
  </prospect>
  <prospect><id source="autoportal">AP-{tag}-2</id>
    <vehicle interest="buy" status="used"><make>Renault</make><model>Captur</model></vehicle>
    <customer><contact><name part="full">Yann Morel</name><email>yann.{tag}@example.fr</email></contact></customer>
  </prospect>
</adf>"""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "AutoPortal <leads@autoportal.example>", demo["a"]["smtp_address"], "Leads"
    msg["Message-ID"] = f"<{tag}@autoportal.example>"
    msg.set_content("Deux leads ci-joints.")
    msg.add_attachment(document.encode(), maintype="application", subtype="xml", filename="leads.xml")
    send(smtp_port, msg.as_bytes(), [demo["a"]["smtp_address"].upper()])  # mailboxes match in any case
    [message] = stored(app, GROUP_A, message_id=f"<{tag}@autoportal.example>")
    assert message.status == "accepted" and len(message.lead_ids) == 2
    with in_group(app, GROUP_A):
        leads = [db.session.get(Lead, lead_id) for lead_id in message.lead_ids]
        assert [(lead.kind, lead.contact.last_name, lead.channel, lead.source) for lead in leads] == [
            ("VN", "Caron", "email", "autoportal"), ("VO", "Morel", "email", "autoportal")]


def test_junk_lands_in_quarantine_for_its_admins_only(app, demo, smtp_port, login):
    tag = uuid.uuid4().hex[:10]
    msg = EmailMessage()
    msg["From"], msg["To"] = "noreply@spam.example", demo["a"]["smtp_address"]
    msg["Subject"] = f"Gagnez <script>alert(1)</script> {tag}"
    msg["Message-ID"] = f"<{tag}@spam.example>"
    msg.set_content("<b>Cliquez ici</b> pour gagner.")
    send(smtp_port, msg.as_bytes(), [demo["a"]["smtp_address"]], mail_from="bounce@spam.example")
    [message] = stored(app, GROUP_A, message_id=f"<{tag}@spam.example>")
    assert message.status == "quarantined" and "No way to reach the sender" in message.reason
    assert message.lead_ids == [] and message.mail_from == "bounce@spam.example"

    admin = login("a", "admin")
    page = admin.get("/admin/quarantine")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert tag in body and "No way to reach the sender" in body and "<script>alert(1)" not in body
    detail = admin.get(f"/admin/quarantine/{message.id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "&lt;b&gt;Cliquez ici&lt;/b&gt;" in text and "<b>Cliquez" not in text
    raw = admin.get(f"/admin/quarantine/{message.id}/raw")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822" and raw.data == message.raw
    assert "attachment" in raw.headers["Content-Disposition"]

    assert login("a", "manager").get("/admin/quarantine").status_code == 403
    other = login("b", "admin")
    assert other.get(f"/admin/quarantine/{message.id}").status_code == 404
    assert other.get(f"/admin/quarantine/{message.id}/raw").status_code == 404
    assert tag not in other.get("/admin/quarantine").get_data(as_text=True)


def test_unknown_recipient_is_refused(app, demo, smtp_port):
    tag = uuid.uuid4().hex[:10]
    raw = portal_mail(f"{tag}@example.fr")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_port, raw, ["leads+nobody@eseller.example"])
    assert refused.value.recipients["leads+nobody@eseller.example"][0] == 550
    # Mixed: the known mailbox gets it, the unknown one is named as refused.
    result = send(smtp_port, raw, ["nobody@eseller.example", demo["a"]["smtp_address"]])
    assert list(result) == ["nobody@eseller.example"]
    assert len(stored(app, GROUP_A, message_id=f"<{tag}@example.fr>")) == 1


def test_oversize_message_is_refused_and_not_stored(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_MAX_BYTES", 4096)
    controller = make_controller(app, "127.0.0.1", free_port())
    controller.start()
    tag = uuid.uuid4().hex[:10]
    raw = portal_mail(f"{tag}@example.fr") + (b"bla " * 20 + b"\n") * 100  # ~8 KiB
    try:
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            send(controller.port, raw, [demo["a"]["smtp_address"]])
        assert refused.value.smtp_code == 552
        # Without the SIZE hint (a client that does not announce it), refused at the end of DATA.
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=30) as smtp:
            smtp.ehlo()
            smtp.esmtp_features.pop("size", None)
            with pytest.raises(smtplib.SMTPDataError) as data_refused:
                smtp.sendmail("sender@example.fr", [demo["a"]["smtp_address"]], crlf(raw))
            assert data_refused.value.smtp_code == 552
    finally:
        controller.stop()
    assert stored(app, GROUP_A, message_id=f"<{tag}@example.fr>") == []


def test_same_mail_twice_updates_its_lead(app, demo, smtp_port):
    tag = uuid.uuid4().hex[:10]
    # A buyer of their own (no phone, a new e-mail): only the Message-ID can tell the resend.
    raw = portal_mail(f"{tag}@pro.example-portal.fr", email=f"buyer.{tag}@example.fr", phone="")
    send(smtp_port, raw, [demo["a"]["smtp_address"]])
    send(smtp_port, raw, [demo["a"]["smtp_address"]])
    first, second = stored(app, GROUP_A, message_id=f"<{tag}@pro.example-portal.fr>")
    assert first.status == second.status == "accepted" and first.lead_ids == second.lead_ids
    with in_group(app, GROUP_A):
        refs = db.session.execute(select(ExternalRef).where(ExternalRef.external_id == f"{tag}@pro.example-portal.fr"))
        assert [(ref.source, ref.lead_id) for ref in refs.scalars()] == [("leboncoin", first.lead_ids[0])]
        resent = db.session.execute(select(func.count()).select_from(LeadEntry).where(
            LeadEntry.lead_id == first.lead_ids[0], LeadEntry.kind == "resent")).scalar_one()
        assert resent == 1


def test_a_capture_failure_keeps_the_message_and_no_lead(app, demo, monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(service, "capture_lead", boom)
    tag = uuid.uuid4().hex[:10]
    with app.app_context():
        [message] = service.receive(portal_mail(f"{tag}@example.fr"), "<sender@example.fr>",
                                    [f"<{demo['a']['smtp_address']}>"])
        assert message.status == "quarantined" and "RuntimeError: database hiccup" in message.reason
        db.session.remove()
    assert len(stored(app, GROUP_A, message_id=f"<{tag}@example.fr>")) == 1


def test_an_invalid_lead_is_quarantined_with_the_field_messages(app, demo, smtp_port):
    tag = uuid.uuid4().hex[:10]
    raw = portal_mail(f"{tag}@example.fr", phone="12").replace(b"E-mail : thomas.lefevre@example.fr\n", b"")
    send(smtp_port, raw, [demo["a"]["smtp_address"]])
    [message] = stored(app, GROUP_A, message_id=f"<{tag}@example.fr>")
    assert message.status == "quarantined" and "customer.phone" in message.reason


def test_a_storage_failure_answers_451_so_the_sender_retries(app, demo, smtp_port, monkeypatch):
    import server.mailbox.server as smtp_server

    def down(*_args, **_kwargs):
        raise OSError("database unreachable")

    monkeypatch.setattr(smtp_server, "receive", down)
    with pytest.raises(smtplib.SMTPDataError) as failed:
        send(smtp_port, portal_mail(f"{uuid.uuid4().hex}@example.fr"), [demo["a"]["smtp_address"]])
    assert failed.value.smtp_code == 451


def test_demo_mail_is_one_quarantined_message(app, demo):
    from server.mailbox.demo import ensure_demo_mail
    from server.models import DealerGroup

    for _ in range(2):  # idempotent
        with app.app_context():
            group = db.session.execute(select(DealerGroup).where(DealerGroup.slug == GROUP_A)).scalar_one()
            ensure_demo_mail(group)
            db.session.remove()
    [message] = stored(app, GROUP_A, message_id="<demo-quarantine.garage-du-parc@promo-pneus.example>")
    assert message.status == "quarantined" and message.reason
