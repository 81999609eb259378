"""ADF over HTTP: real feeds in, hostile XML refused, resends update, and export reads back."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.extensions import db
from server.intake.adf import parse_adf
from server.models import Lead
from tests.conftest import in_group
from tests.samples import sample_text


def _post(client, demo, document: str | bytes, content_type: str = "application/xml"):
    return client.post("/api/v1/leads/adf", data=document, content_type=content_type,
                       headers={"Authorization": f"Bearer {demo['a']['api_key']}"})


def _unique(document: str) -> str:
    """The sample, as a new customer and a new portal id, so the test stands alone."""
    tag = uuid.uuid4().hex[:8]
    return (document.replace("LC-2026-0042871", f"LC-{tag}")
            .replace("camille.martin@example.fr", f"camille.{tag}@example.fr")
            .replace("06 12 34 56 78", f"06 1{uuid.uuid4().int % 10**7:07d}")
            .replace("julie.moreau@example.fr", f"julie.{tag}@example.fr")
            .replace("+33 6 45 12 78 90", f"06 1{uuid.uuid4().int % 10**7:07d}"))


def _count(app) -> int:
    with in_group(app, "garage-du-parc"):
        return db.session.scalar(select(func.count(Lead.id)))


def test_the_full_sample_becomes_a_lead_with_everything_kept(app, client, demo):
    document = _unique(sample_text("adf-full.xml"))
    for content_type in ("application/xml",):
        response = _post(client, demo, document, content_type)
        assert response.status_code == 202, response.json
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, int(response.json["id"]))
        assert lead.channel == "adf" and lead.source == "lacentrale" and lead.kind == "VO"
        assert lead.stock_vehicle.stock_ref == "VO-1042" and lead.site.code == "lyon-centre"
        assert lead.trade_in.make == "Renault" and lead.trade_in.plate == "AB-123-CD"
        assert lead.contact.first_name == "Camille" and lead.contact.phone.startswith("+336")
        assert lead.financing is True and lead.timeframe == "within_1_month"
        assert "<prospect" in lead.raw_payload and "Prefere etre rappele" in lead.raw_payload


def test_every_adf_content_type_is_accepted(client, demo):
    for content_type in ("text/xml", "application/x-adf+xml", "application/xml; charset=utf-8"):
        response = _post(client, demo, _unique(sample_text("adf-minimal.xml")), content_type)
        assert response.status_code == 202, (content_type, response.json)


def test_several_prospects_make_several_leads(app, client, demo):
    one = _unique(sample_text("adf-minimal.xml"))
    two = _unique(sample_text("adf-minimal.xml"))
    prospects = [doc[doc.index("<prospect"):doc.index("</prospect>") + len("</prospect>")] for doc in (one, two)]
    document = '<?xml version="1.0"?><?ADF VERSION "1.0"?><adf>' + "".join(prospects) + "</adf>"
    response = _post(client, demo, document)
    assert response.status_code == 202
    assert len(response.json["ids"]) == 2 and response.json["id"] == response.json["ids"][0]


def test_a_resent_prospect_updates_the_first_lead(app, client, demo):
    document = _unique(sample_text("adf-full.xml"))
    first = _post(client, demo, document).json["id"]
    resent = document.replace('<prospect status="new">', '<prospect status="resend">').replace(
        "Essai possible samedi matin.", "Finalement dimanche ?")
    again = _post(client, demo, resent)
    assert again.status_code == 202 and again.json["id"] == first
    with in_group(app, "garage-du-parc"):
        lead = db.session.get(Lead, int(first))
        assert "dimanche" in lead.message and "resent" in [entry.kind for entry in lead.entries]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<adf><prospect><customer><contact><name part="last">&lol4;</name><email>a@b.fr</email></contact></customer></prospect></adf>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adf><prospect><customer><contact><name part="last">&xxe;</name><email>a@b.fr</email></contact></customer></prospect></adf>"""


def test_hostile_or_broken_xml_is_400_and_stores_nothing(app, client, demo):
    before = _count(app)
    for document in (BOMB, EXTERNAL, "<adf><prospect>", "not xml at all", "<html><body/></html>", "<adf></adf>"):
        response = _post(client, demo, document)
        assert response.status_code == 400, document[:40]
        assert response.json["error"]["code"] == "malformed_adf"
        assert "root:" not in response.get_data(as_text=True)
    assert _count(app) == before


def test_an_incomplete_prospect_is_422_naming_the_field(client, demo):
    document = '<?xml version="1.0"?><adf><prospect><vehicle interest="buy" status="used"><make>Kia</make></vehicle>' \
               '<customer><contact><name part="last">Sans Contact</name></contact></customer></prospect></adf>'
    response = _post(client, demo, document)
    assert response.status_code == 422
    assert "customer.phone" in response.json["error"]["fields"]


def test_export_reads_back_as_the_same_lead(app, client, demo, login):
    lead_id = _post(client, demo, _unique(sample_text("adf-full.xml"))).json["id"]
    admin = login("a", "admin")
    exported = admin.get(f"/api/v1/leads/{lead_id}.adf")
    assert exported.status_code == 200 and exported.mimetype == "application/xml"
    original = admin.get(f"/api/v1/leads/{lead_id}").json
    back = parse_adf(exported.data)[0].lead
    assert back["kind"] == original["kind"] and back["external_id"] == original["external_id"]
    assert back["customer"]["email"] == original["customer"]["email"]
    assert back["vehicle"]["stock_ref"] == original["vehicle"]["stock_ref"] == "VO-1042"
    assert back["trade_in"]["plate"] == original["trade_in"]["plate"]
    assert back["message"] == original["message"]
    # Posting the export to another group's intake gives the same lead there (a group forwarding leads).
    forwarded = client.post("/api/v1/leads/adf", data=exported.data, content_type="application/xml",
                            headers={"Authorization": f"Bearer {demo['b']['api_key']}"})
    assert forwarded.status_code == 202


def test_export_is_confined_to_what_the_user_may_see(client, demo, login):
    lead_id = _post(client, demo, _unique(sample_text("adf-full.xml"))).json["id"]
    assert login("b", "admin").get(f"/api/v1/leads/{lead_id}.adf").status_code == 404
    assert client.get(f"/api/v1/leads/{lead_id}.adf").status_code == 401
