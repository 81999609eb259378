"""Raw e-mail -> leads or a quarantine reason (server.mailbox.parse): pure functions, no app."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from server.intake.schemas import load_lead
from server.mailbox.parse import parse_message
from server.mailbox.text import html_to_text, source_label, split_name
from tests.samples import NAMES, sample

# The contract's samples live in the product repository's sibling folder shared/, when it is there.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.mark.parametrize("name", NAMES)
def test_sample_copies_match_the_contract(name):
    if not (SAMPLES / name).is_file():
        pytest.skip("the contract's samples are not on this machine")
    assert (SAMPLES / name).read_bytes() == sample(name)


PROSPECT = """  <prospect status="new">
    <id sequence="1" source="autoportal">{ident}</id>
    <vehicle interest="buy" status="used"><make>Peugeot</make><model>308</model></vehicle>
    <customer><contact>
      <name part="first">{first}</name><name part="last">{last}</name>
      <phone type="cellphone">06 12 34 56 {n:02d}</phone>
      <email>{first_lower}@example.fr</email>
    </contact></customer>
  </prospect>
"""


def adf(*people: tuple[str, str]) -> str:
    body = "".join(PROSPECT.format(ident=f"AP-{i}", first=first, last=last, n=10 + i, first_lower=first.lower())
                   for i, (first, last) in enumerate(people))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n<adf>\n{body}</adf>\n'


def mail(subject: str = "Demande", sender: str = "Claire Dubois <claire.dubois@example.fr>", **headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "leads+garage-du-parc@eseller.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<test-1@example.fr>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg


def test_portal_sample_reads_the_buyer_not_the_portal():
    decision = parse_message(sample("portal-email.eml"), default_kind="VN")
    assert decision.kind_of_mail == "portal" and len(decision.leads) == 1
    lead = decision.leads[0]
    data = lead.data
    assert data["customer"] == {"first_name": "Thomas", "last_name": "Lefèvre", "phone": "07 81 22 45 10",
                                "email": "thomas.lefevre@example.fr", "postal_code": "69100"}
    assert data["vehicle"]["stock_ref"] == "VO-2211"
    assert data["vehicle"]["make"] == "Renault"
    assert data["kind"] == "VO"
    assert data["source"] == lead.source == "leboncoin"
    assert data["external_id"] == "20261130184210.77812@pro.example-portal.fr"
    assert data["message"] == ("Bonjour, la voiture est-elle toujours disponible ? Je peux passer\n"
                               "jeudi en fin de journée. J'ai une Peugeot 208 de 2016 à reprendre.")
    assert "Répondez" not in data["message"]
    loaded = load_lead(data)
    assert loaded["customer"]["phone"] == "+33781224510"


@pytest.mark.parametrize("subject, body", [
    ("Contact annonce Peugeot 208 réf. VO-1042", ""),
    ("Contact", "Votre annonce Réf. VO-1042 a reçu un message"),
    ("Contact annonce (ref VO-1042)", ""),
])
def test_portal_stock_reference_spellings(subject, body):
    msg = mail(subject, sender="La Centrale <ne-pas-repondre@notifications.lacentrale.example>")
    msg.set_content(f"{body}\n\nNom : DUPONT Marc\nTél. : 06 11 22 33 44\n\nMessage :\nEncore dispo ?\n")
    decision = parse_message(msg.as_bytes(), default_kind="VN")
    lead = decision.leads[0].data
    assert lead["vehicle"]["stock_ref"] == "VO-1042"
    assert lead["customer"]["first_name"] == "Marc" and lead["customer"]["last_name"] == "DUPONT"
    assert lead["source"] == "lacentrale" and lead["kind"] == "VO"
    assert lead["message"] == "Encore dispo ?"


def test_adf_in_the_body():
    msg = mail("Nouveau lead")
    msg.set_content("Bonjour,\n\n" + adf(("Julie", "Moreau")) + "\n-- \nEnvoyé par AutoPortal\n")
    decision = parse_message(msg.as_bytes())
    assert decision.kind_of_mail == "adf" and len(decision.leads) == 1
    data = decision.leads[0].data
    assert data["customer"]["last_name"] == "Moreau" and data["kind"] == "VO"
    assert data["source"] == "autoportal" and data["external_id"] == "AP-0"
    assert "<prospect" in decision.leads[0].raw
    load_lead(data)


def test_adf_sample_as_text_xml_body():
    msg = mail("ADF")
    msg.set_content(sample("adf-minimal.xml"), maintype="text", subtype="xml")
    decision = parse_message(msg.as_bytes())
    assert [lead.data["customer"]["last_name"] for lead in decision.leads] == ["Moreau"]


def test_adf_as_attachment():
    msg = mail("Lead La Centrale")
    msg.set_content("Voir la pièce jointe.")
    msg.add_attachment(sample("adf-full.xml"), maintype="application", subtype="xml", filename="lead.xml")
    decision = parse_message(msg.as_bytes())
    assert decision.kind_of_mail == "adf"
    data = decision.leads[0].data
    assert data["customer"]["first_name"] == "Camille" and data["vehicle"]["stock_ref"] == "VO-1042"
    assert data["source"] == "lacentrale" and data["external_id"] == "LC-2026-0042871"


def test_multi_prospect_adf_attachment():
    msg = mail("Leads du jour")
    msg.set_content("3 leads en pièce jointe.")
    document = adf(("Anne", "Roux"), ("Paul", "Girard"), ("Léa", "Fabre")).encode()
    msg.add_attachment(document, maintype="application", subtype="octet-stream", filename="leads.adf")
    decision = parse_message(msg.as_bytes())
    assert [lead.data["customer"]["last_name"] for lead in decision.leads] == ["Roux", "Girard", "Fabre"]
    assert len({lead.raw for lead in decision.leads}) == 3  # each lead keeps its own prospect


def test_unrelated_xml_attachment_is_not_adf():
    msg = mail("Facture")
    msg.set_content("Bonjour, je voudrais un essai de la 3008 samedi.")
    msg.add_attachment(b"<invoice><total>12</total></invoice>", maintype="application", subtype="xml",
                       filename="invoice.xml")
    decision = parse_message(msg.as_bytes())
    assert decision.kind_of_mail == "email"


def test_generic_email_becomes_a_lead_of_the_default_kind():
    msg = mail("Essai 3008 hybride", sender="Claire Dubois <claire.dubois@example.fr>")
    msg.set_content("Bonjour,\nJe voudrais essayer le 3008 hybride samedi.\nClaire")
    decision = parse_message(msg.as_bytes(), default_kind="VN")
    assert decision.kind_of_mail == "email"
    data = decision.leads[0].data
    assert data["kind"] == "VN" and data["source"] == "email"
    assert data["customer"] == {"first_name": "Claire", "last_name": "Dubois", "email": "claire.dubois@example.fr"}
    assert data["message"].startswith("Essai 3008 hybride\n\nBonjour,")
    assert data["external_id"] == "test-1@example.fr"
    load_lead(data)


def test_generic_email_prefers_reply_to_and_uses_local_part_without_name():
    msg = mail("Devis", sender="no-reply@forms.example", Reply_To="marc.petit@example.fr")
    msg.set_content("Un devis pour une révision.")
    data = parse_message(msg.as_bytes(), default_kind="ATELIER").leads[0].data
    assert data["customer"] == {"first_name": "", "last_name": "marc.petit", "email": "marc.petit@example.fr"}
    assert data["kind"] == "ATELIER"
    assert load_lead(data)["customer"]["last_name"] == "marc.petit"


def test_html_only_email_drops_tags_and_scripts():
    msg = mail("Question", sender="Paul <paul@example.fr>")
    msg.set_content("<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
                    "<body><p>Bonjour,</p><p>Le <b>C5 Aircross</b> est-il dispo&nbsp;?</p>"
                    "<script>document.write('evil')</script></body></html>", subtype="html")
    data = parse_message(msg.as_bytes()).leads[0].data
    assert data["message"] == "Question\n\nBonjour,\n\nLe C5 Aircross est-il dispo ?"
    assert "alert" not in data["message"] and "<" not in data["message"] and "color" not in data["message"]


@pytest.mark.parametrize("sender, headers, reason", [
    ("noreply@spam.example", {}, "No way to reach the sender"),
    ("MAILER-DAEMON@mx.example", {}, "No way to reach the sender"),
    ("client@example.fr", {"Auto_Submitted": "auto-replied"}, "Automatic message"),
])
def test_unreadable_mail_is_quarantined_with_a_reason(sender, headers, reason):
    msg = mail("Hello", sender=sender, **headers)
    msg.set_content("Win a prize now!")
    decision = parse_message(msg.as_bytes())
    assert decision.quarantined and reason in decision.reason


def test_empty_and_garbage_are_quarantined():
    assert "Empty" in parse_message(b"").reason
    assert parse_message(b"\x00\xff\xfe garbage without headers").quarantined
    msg = mail("", sender="client@example.fr")
    decision = parse_message(msg.as_bytes())
    assert decision.quarantined and "Empty message" in decision.reason


def test_bomb_adf_attachment_is_quarantined():
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE adf [\n<!ENTITY lol "lol">\n'
            + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
            + ']>\n<adf><prospect><customer><contact><name part="last">&lol9;</name></contact></customer>'
              "</prospect></adf>\n")
    msg = mail("Lead")
    msg.set_content("Voir PJ")
    msg.add_attachment(bomb.encode(), maintype="application", subtype="xml", filename="lead.xml")
    decision = parse_message(msg.as_bytes())
    assert decision.quarantined and decision.reason.startswith("ADF document refused")
    assert "entities" in decision.reason.lower() or "dtd" in decision.reason.lower()


def test_broken_adf_attachment_is_quarantined():
    msg = mail("Lead")
    msg.set_content("Voir PJ")
    msg.add_attachment(b"<adf><prospect>", maintype="application", subtype="x-adf+xml", filename="lead.adf")
    decision = parse_message(msg.as_bytes())
    assert decision.quarantined and "well-formed" in decision.reason


def test_helpers():
    assert html_to_text("<div>a<br>b</div><script>x</script><p>c &amp; d</p>") == "a\nb\n\nc & d"
    assert split_name("Thomas Lefèvre") == ("Thomas", "Lefèvre")
    assert split_name("LEFÈVRE Thomas") == ("Thomas", "LEFÈVRE")
    assert split_name("Cher") == ("", "Cher")
    assert source_label("Leboncoin Pro", "pro.example-portal.fr") == "leboncoin"
    assert source_label("AutoScout24 Notifications", "autoscout24.example") == "autoscout24"
    assert source_label("", "pro.example-portal.fr") == "example-portal"
    assert source_label("Pro", "") == "email"
