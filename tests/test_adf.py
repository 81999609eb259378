"""ADF 1.0 in and out: `server.intake.adf` (pure functions, no app, no database)."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - reading our own export in a test
from pathlib import Path

import pytest

from server.intake.adf import AdfError, AdfProspect, export_adf, parse_adf
from tests.samples import NAMES, sample

# The contract's samples live in the product repository's sibling folder shared/, when it is there.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"

MINI_CUSTOMER = """<customer><contact><name part="full">Jean Dupont</name>
  <phone>06 11 22 33 44</phone></contact></customer>"""


def adf(prospects: str, *, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n') -> str:
    return f"{prolog}<adf>{prospects}</adf>"


def one(document: bytes | str) -> dict:
    prospects = parse_adf(document)
    assert len(prospects) == 1
    return prospects[0].lead


def carried(lead: dict) -> dict:
    """The fields of a lead ADF can carry, with the absent ones (None, empty) left out."""
    def clean(value):
        if isinstance(value, dict):
            value = {key: clean(val) for key, val in value.items()}
            return {key: val for key, val in value.items() if val not in (None, "", {})}
        return value

    keep = ("kind", "source", "site", "brand", "customer", "vehicle", "trade_in", "workshop", "message",
            "timeframe", "financing", "external_id")
    data = clean({key: lead.get(key) for key in keep})
    data.get("customer", {}).pop("language", None)  # ADF 1.0 has no place for it
    data.get("customer", {}).pop("id", None)
    return data


# --- the samples ------------------------------------------------------------------------------

def test_full_sample_every_field():
    [prospect] = parse_adf(sample("adf-full.xml"))
    assert isinstance(prospect, AdfProspect)
    assert prospect.resend is False
    assert prospect.request_date == "2026-12-01T09:12:44+01:00"
    lead = prospect.lead
    assert lead["external_id"] == "LC-2026-0042871"
    assert lead["source"] == "lacentrale"
    assert lead["kind"] == "VO"
    assert lead["site"] == "lyon-centre"
    assert lead["brand"] == "Peugeot"
    assert lead["vehicle"] == {"year": 2022, "make": "Peugeot", "model": "3008",
                               "version": "1.2 PureTech 130 Allure", "vin": "VF3MCYHZRMS123456",
                               "stock_ref": "VO-1042", "price_eur": 24990}
    assert lead["financing"] is True
    assert lead["trade_in"] == {"make": "Renault", "model": "Clio", "year": 2015, "mileage_km": 98000,
                                "plate": "AB-123-CD"}
    assert lead["customer"] == {"first_name": "Camille", "last_name": "Martin",
                                "email": "camille.martin@example.fr", "phone": "06 12 34 56 78",
                                "postal_code": "69003", "city": "Lyon"}
    assert "Essai possible samedi matin." in lead["message"]
    assert "Prefere etre rappele apres 18h." in lead["message"]
    assert "\n\n" in lead["message"]
    assert lead["timeframe"] == "within_1_month"
    assert "workshop" not in lead
    assert None not in lead.values()
    assert prospect.raw.startswith("<prospect") and "LC-2026-0042871" in prospect.raw


def test_minimal_sample():
    [prospect] = parse_adf(sample("adf-minimal.xml"))
    lead = prospect.lead
    assert lead["source"] == "adf"
    assert "external_id" not in lead and "site" not in lead and "financing" not in lead
    assert lead["kind"] == "VO"
    assert lead["vehicle"] == {"make": "Renault", "model": "Captur", "year": 2021}
    assert lead["brand"] == "Renault"
    assert lead["customer"] == {"first_name": "Julie", "last_name": "Moreau",
                                "email": "julie.moreau@example.fr", "phone": "+33 6 45 12 78 90"}
    assert "message" not in lead and "timeframe" not in lead and "trade_in" not in lead
    assert prospect.request_date == "2026-11-30T15:30:20+01:00"


@pytest.mark.parametrize("name", NAMES)
def test_sample_copies_match_the_contract(name):
    if not (SAMPLES / name).is_file():
        pytest.skip("the contract's samples are not on this machine")
    assert (SAMPLES / name).read_bytes() == sample(name)


def test_str_input_parses_like_bytes():
    assert parse_adf(sample("adf-full.xml").decode("utf-8"))[0].lead == one(sample("adf-full.xml"))


# --- documents as they come -------------------------------------------------------------------

def test_several_prospects_each_with_its_own_raw():
    document = adf(f"""
      <prospect><id source="portal">A-1</id><vehicle interest="buy" status="new"><make>Peugeot</make>
        <model>208</model></vehicle>{MINI_CUSTOMER}</prospect>
      <prospect status="resend"><id source="portal">B-2</id><vehicle interest="buy" status="used">
        <make>Renault</make><model>Clio</model></vehicle>{MINI_CUSTOMER}</prospect>""")
    first, second = parse_adf(document)
    assert (first.lead["external_id"], first.lead["kind"], first.resend) == ("A-1", "VN", False)
    assert (second.lead["external_id"], second.lead["kind"], second.resend) == ("B-2", "VO", True)
    assert "A-1" in first.raw and "B-2" not in first.raw
    assert "B-2" in second.raw and "A-1" not in second.raw
    assert second.raw.startswith('<prospect status="resend">') and second.raw.endswith("</prospect>")
    assert first.request_date is None


def test_resend_status():
    document = adf(f'<prospect status="RESEND"><vehicle><make>Kia</make><model>Niro</model></vehicle>'
                   f"{MINI_CUSTOMER}</prospect>")
    [prospect] = parse_adf(document)
    assert prospect.resend is True
    assert prospect.lead["kind"] == "VN"  # no status: the ADF default is new


def test_uppercase_pi_and_element_names():
    document = (' \n<?ADF VERSION "1.0"?>\n<ADF><PROSPECT STATUS="new"><ID SOURCE="Leboncoin">LBC-9</ID>'
                '<VEHICLE INTEREST="Buy" STATUS="Used"><Make>Citroen</Make><MODEL>C3</MODEL></VEHICLE>'
                '<Customer><Contact><Name Part="Full">Jean Paul Dupont</Name><Email>jp@example.fr</Email>'
                "</Contact></Customer></PROSPECT></ADF>")
    lead = one(document)
    assert lead["source"] == "leboncoin" and lead["external_id"] == "LBC-9"
    assert lead["kind"] == "VO"
    assert lead["vehicle"] == {"make": "Citroen", "model": "C3"}
    assert lead["customer"] == {"first_name": "Jean", "last_name": "Paul Dupont", "email": "jp@example.fr"}


@pytest.mark.parametrize("prolog", [
    '<?ADF VERSION "1.0"?>\n',
    '<?xml version="1.0"?>\n<?ADF VERSION "1.0"?>\n',
    '<?adf version="1.0"?>\n<?xml version="1.0" encoding="utf-8"?>\n',
    '<?ADF VERSION="1.0">\n',
    "",
])
def test_adf_processing_instruction_variants(prolog):
    lead = one(adf(f"<prospect><vehicle><make>Kia</make></vehicle>{MINI_CUSTOMER}</prospect>", prolog=prolog))
    assert lead["vehicle"] == {"make": "Kia"}


def test_namespaces_are_stripped():
    document = ('<?xml version="1.0"?><a:adf xmlns:a="urn:adf"><a:prospect><a:vehicle a:interest="buy" '
                'status="new"><a:make>Tesla</a:make><a:model>Model 3</a:model></a:vehicle>'
                '<customer xmlns="urn:other"><contact><name part="last">Durand</name><phone>0600000000</phone>'
                "</contact></customer></a:prospect></a:adf>")
    [prospect] = parse_adf(document)
    assert prospect.lead["vehicle"] == {"make": "Tesla", "model": "Model 3"}
    assert prospect.lead["customer"] == {"last_name": "Durand", "phone": "0600000000"}
    assert "xmlns" not in prospect.raw and "urn:adf" not in prospect.raw


def test_bom_and_leading_whitespace():
    data = b"\xef\xbb\xbf\n\n  " + sample("adf-full.xml")
    assert one(data) == one(sample("adf-full.xml"))
    assert one(data.decode("utf-8")) == one(sample("adf-full.xml"))


def test_iso_8859_1_with_accents():
    text = adf('<prospect><vehicle interest="buy" status="new"><make>Citroën</make><model>ë-C4</model></vehicle>'
               '<customer><contact><name part="first">Hélène</name><name part="last">Lefèvre</name>'
               "<phone>06 00 00 00 00</phone><address><city>Besançon</city></address></contact>"
               "<comments>Très intéressée, à rappeler</comments></customer></prospect>",
               prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n<?adf version="1.0"?>\n')
    lead = one(text.encode("iso-8859-1"))
    assert lead["customer"]["first_name"] == "Hélène" and lead["customer"]["last_name"] == "Lefèvre"
    assert lead["customer"]["city"] == "Besançon"
    assert lead["vehicle"] == {"make": "Citroën", "model": "ë-C4"}
    assert lead["message"] == "Très intéressée, à rappeler"


def test_latin1_bytes_declared_utf8_are_still_read():
    text = adf('<prospect><customer><contact><name part="last">Gérard</name></contact></customer></prospect>')
    assert one(text.encode("cp1252"))["customer"]["last_name"] == "Gérard"


def test_whitespace_everywhere():
    document = adf("""
      <prospect>
        <id sequence="1"
            source="  AutoScout24 ">
            AS-77
        </id>
        <vehicle interest=" buy " status=" new ">
          <year> 2024 </year>
          <make>
             Peugeot
          </make>
          <model> 2008 </model>
          <price currency="EUR"> 24 990,00 € </price>
        </vehicle>
        <customer><contact>
          <name part="first">  Camille  </name><name part="last">
            Martin </name>
          <phone>  06 12 34 56 78  </phone>
        </contact></customer>
      </prospect>""")
    lead = one(document)
    assert lead["source"] == "autoscout24" and lead["external_id"] == "AS-77"
    assert lead["vehicle"] == {"year": 2024, "make": "Peugeot", "model": "2008", "price_eur": 24990}
    assert lead["customer"] == {"first_name": "Camille", "last_name": "Martin", "phone": "06 12 34 56 78"}
    assert lead["kind"] == "VN"


@pytest.mark.parametrize(("text", "expected"), [
    ("24990", 24990), ("24 990", 24990), ("24990.00", 24990), ("24\u00a0990 €", 24990),
    ("24.990", 24990), ("24,990.50", 24990.5), ("24 990,50", 24990.5), ("sur demande", None),
])
def test_prices(text, expected):
    document = adf(f'<prospect><vehicle><make>Kia</make><price currency="EUR">{text}</price></vehicle>'
                   f"{MINI_CUSTOMER}</prospect>")
    assert one(document)["vehicle"].get("price_eur") == expected


def test_provider_gives_the_source_and_stock_from_dealer_id():
    document = adf(f"""<prospect><vehicle interest="lease" status="new"><id source="dealer-stock">VN-7</id>
      <make>Peugeot</make><model>408</model><finance><method>lease</method></finance></vehicle>
      {MINI_CUSTOMER}<vendor><id source="dms">lyon-centre</id><vendorname>X</vendorname></vendor>
      <provider><name part="full">Peugeot.fr</name></provider></prospect>""")
    lead = one(document)
    assert lead["source"] == "peugeot.fr"
    assert "external_id" not in lead
    assert lead["vehicle"]["stock_ref"] == "VN-7"
    assert lead["financing"] is True
    assert "site" not in lead  # the vendor id is not eSeller's


def test_service_vehicle_is_an_atelier_lead():
    document = adf(f"""<prospect><vehicle interest="service"><year>2019</year><make>Renault</make>
      <model>Megane</model><comments>Révision des 60 000 km
Immatriculation : GH-456-JK</comments></vehicle>{MINI_CUSTOMER}</prospect>""")
    lead = one(document)
    assert lead["kind"] == "ATELIER"
    assert lead["workshop"] == {"service": "Révision des 60 000 km", "plate": "GH-456-JK"}
    assert lead["vehicle"] == {"year": 2019, "make": "Renault", "model": "Megane"}
    assert "message" not in lead


def test_long_service_text_is_cut_to_a_label_and_kept_whole_in_the_message():
    text = "Bruit au freinage. " * 10 + "\nPlaque GH456JK, dispo le 12"
    lead = one(adf(f'<prospect><vehicle interest="service"><make>Kia</make><comments>{text}</comments></vehicle>'
                   f"<customer><contact><name>Roux</name><phone>06</phone></contact><comments>Merci</comments>"
                   "</customer></prospect>"))
    assert lead["kind"] == "ATELIER" and lead["customer"]["last_name"] == "Roux"
    assert len(lead["workshop"]["service"]) == 100 and lead["workshop"]["service"].endswith("…")
    assert lead["workshop"]["plate"] == "GH-456-JK"
    assert lead["message"] == text.strip() + "\n\nMerci"


def test_atelier_from_comments_without_a_buy_vehicle():
    document = adf("""<prospect><customer><contact><name part="last">Roux</name><phone>0600000001</phone>
      </contact><comments>Rendez-vous atelier pour les freins</comments></customer>
      <provider><name>Site</name><service>Prise de RDV</service></provider></prospect>""")
    lead = one(document)
    assert lead["kind"] == "ATELIER"
    assert lead["workshop"]["service"] == "Rendez-vous atelier pour les freins"
    assert lead["message"] == "Rendez-vous atelier pour les freins"


def test_buy_vehicle_wins_over_a_mention_of_service():
    document = adf('<prospect><vehicle interest="buy" status="new"><make>Kia</make></vehicle><customer><contact>'
                   '<name part="last">Roux</name></contact><comments>Le service commercial</comments></customer>'
                   "</prospect>")
    assert one(document)["kind"] == "VN"


@pytest.mark.parametrize(("timeframe", "expected"), [
    ("<description>Immédiatement</description>", "now"),
    ("<description>Dans les 3 mois</description>", "within_3_months"),
    ("<description>d'ici 6 mois</description>", "within_6_months"),
    ("<description>Plus de 6 mois</description>", "later"),
    ("<description>within_1_month</description>", "within_1_month"),
    ("<description>?</description><latestdate>2026-12-20</latestdate>", "within_1_month"),
    ("<description/><earliestdate>2026-12-01</earliestdate><latestdate>2027-02-15</latestdate>",
     "within_3_months"),
    ("<description>Bientôt</description>", None),
])
def test_timeframes(timeframe, expected):
    document = adf(f"<prospect><requestdate>2026-12-01T10:00:00+01:00</requestdate>"
                   f"<customer><contact><name part='last'>X</name></contact><timeframe>{timeframe}</timeframe>"
                   f"</customer></prospect>")
    assert one(document).get("timeframe") == expected


def test_trade_in_in_miles_and_sell_interest():
    document = adf(f"""<prospect><vehicle interest="sell"><make>Ford</make><model>Fiesta</model><year>2012</year>
      <odometer units="mi">10 000</odometer><comments>Plaque ab123cd</comments></vehicle>{MINI_CUSTOMER}</prospect>""")
    lead = one(document)
    assert lead["trade_in"] == {"make": "Ford", "model": "Fiesta", "year": 2012, "mileage_km": 16093,
                                "plate": "AB-123-CD"}
    assert lead["kind"] == "VN" and "vehicle" not in lead


# --- refusals ---------------------------------------------------------------------------------

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE adf [\n<!ENTITY lol0 "lol">\n'
                  + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
                  + "]>\n<adf><prospect><customer><comments>&lol9;</comments></customer></prospect></adf>")

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE adf [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<adf><prospect><customer><comments>&x;</comments></customer></prospect></adf>"""

PLAIN_DTD = """<?xml version="1.0"?>
<!DOCTYPE adf SYSTEM "http://example.com/adf.dtd">
<?adf version="1.0"?>
<adf><prospect><customer><contact><name>Jean</name></contact></customer></prospect></adf>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DTD, "<!DOCTYPE adf><adf/>"],
                         ids=["billion-laughs", "external-entity", "dtd", "empty-dtd"])
def test_dtds_and_entities_are_refused(document):
    for data in (document, document.encode("utf-8")):
        with pytest.raises(AdfError) as caught:
            parse_adf(data)
        assert caught.value.message
        assert "root:" not in caught.value.message  # nothing from /etc/passwd


def test_undeclared_entity_is_refused():
    with pytest.raises(AdfError):
        parse_adf(adf("<prospect><customer><comments>&eacute;</comments></customer></prospect>"))


@pytest.mark.parametrize("document", [
    b"", "   ", "hello world", b"\x00\x01\x02garbage", '{"kind": "VN"}', "<adf><prospect>", b"<adf>\xff\xfe</ad",
    "<html><body>Nouveau lead</body></html>",
])
def test_garbage_is_refused(document):
    with pytest.raises(AdfError) as caught:
        parse_adf(document)
    assert isinstance(caught.value, ValueError) and caught.value.message


def test_root_must_be_adf_and_hold_a_prospect():
    with pytest.raises(AdfError, match="not <adf>"):
        parse_adf("<prospect><customer/></prospect>")
    with pytest.raises(AdfError, match="no <prospect>"):
        parse_adf('<?adf version="1.0"?><adf><vendor/></adf>')


def test_oversize_document_is_refused():
    padding = "<comments>" + "x" * (1024 * 1024) + "</comments>"
    document = adf(f"<prospect><customer>{padding}</customer></prospect>")
    with pytest.raises(AdfError, match="1 MiB"):
        parse_adf(document)
    with pytest.raises(AdfError, match="1 MiB"):
        parse_adf(document.encode("utf-8"))


def test_deep_nesting_is_refused_not_crashing():
    with pytest.raises(AdfError, match="nested"):
        parse_adf("<adf><prospect>" + "<a>" * 50_000 + "</a>" * 50_000 + "</prospect></adf>")


# --- export and round trip --------------------------------------------------------------------

NASTY = "<script>alert('x & \"y\"')</script> & é à ç — «ok»"

ROUND_TRIP_LEADS = {
    "vn": {"kind": "VN", "source": "peugeot.fr", "brand": "Peugeot", "site": "lyon-centre",
           "customer": {"first_name": "Camille", "last_name": "Martin", "email": "camille@example.fr",
                        "phone": "+33612345678", "postal_code": "69003", "city": "Lyon"},
           "vehicle": {"make": "Peugeot", "model": "208", "version": "GT", "year": 2026, "price_eur": 31500.5},
           "message": "Une offre ?\n\nMerci.", "timeframe": "now", "financing": False, "external_id": "P-1"},
    "vo-trade-in": {"kind": "VO", "source": "lacentrale", "brand": "Peugeot",
                    "customer": {"last_name": "Martin", "phone": "06 12 34 56 78"},
                    "vehicle": {"make": "Peugeot", "model": "3008", "year": 2022, "vin": "VF3MCYHZRMS123456",
                                "stock_ref": "VO-1042", "price_eur": 24990},
                    "trade_in": {"make": "Renault", "model": "Clio", "year": 2015, "mileage_km": 98000,
                                 "plate": "AB-123-CD"},
                    "timeframe": "within_6_months", "financing": True, "external_id": "LC-2026-0042871"},
    "atelier": {"kind": "ATELIER", "source": "website", "brand": "Renault",
                "customer": {"first_name": "Julie", "email": "julie@example.fr"},
                "vehicle": {"make": "Renault", "model": "Captur", "year": 2021},
                "workshop": {"service": "revision", "preferred_date": "2026-12-10", "plate": "AB-123-CD"},
                "message": "Le matin si possible", "timeframe": "within_1_month", "external_id": "W-9"},
    "nasty": {"kind": "VO", "source": "a&b<c>'\"", "brand": NASTY, "site": NASTY,
              "customer": {"first_name": NASTY, "last_name": "O'Brien & <Sons>", "email": f"{NASTY}@x.fr",
                           "phone": NASTY, "postal_code": "<69003>", "city": "Saint-Étienne & \"Co\""},
              "vehicle": {"make": NASTY, "model": "<b>3008</b>", "version": "1.2 & 'PureTech'",
                          "vin": "<vin>&", "stock_ref": "VO-<1042>&'\"", "year": 2020, "price_eur": 1},
              "trade_in": {"make": NASTY, "model": "Clio & <b>", "year": 2015, "mileage_km": 1,
                           "plate": "<é>&'\""},
              "message": f"{NASTY}\n\n  indented line\nlast ]]> line", "timeframe": "later",
              "external_id": NASTY},
    "nasty-atelier": {"kind": "ATELIER", "source": "agent", "brand": NASTY,
                      "customer": {"last_name": NASTY, "phone": "0600000000"},
                      "vehicle": {"make": NASTY, "model": "\"Zoé\" & <Co>"},
                      "workshop": {"service": NASTY, "plate": "<é>&'\""},
                      "message": NASTY},
    "bare": {"kind": "VN", "source": "adf", "customer": {"last_name": "Seul", "phone": "0600000000"}},
}


@pytest.mark.parametrize("name", list(ROUND_TRIP_LEADS))
def test_export_then_parse_round_trip(name):
    lead = ROUND_TRIP_LEADS[name]
    document = export_adf(lead)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n')
    assert "<script>" not in document
    back = one(document.encode("utf-8"))
    assert carried(back) == carried(lead)
    assert one(document) == back


def test_round_trip_of_the_full_sample():
    lead = one(sample("adf-full.xml"))
    document = export_adf(lead | {"id": "123", "received_at": "2026-12-01T09:12:44+01:00"})
    assert '<?adf version="1.0"?>' in document
    [prospect] = parse_adf(document)
    assert prospect.lead == lead
    assert prospect.request_date == "2026-12-01T09:12:44+01:00"


def test_export_structure():
    lead = ROUND_TRIP_LEADS["vo-trade-in"] | {"site": "lyon-centre"}
    root = ET.fromstring(export_adf(lead))  # noqa: S314 - our own output
    prospect = root.find("prospect")
    assert root.tag == "adf" and prospect.get("status") == "new"
    ident = prospect.find("id")
    assert (ident.get("sequence"), ident.get("source"), ident.text) == ("1", "lacentrale", "LC-2026-0042871")
    assert prospect.find("requestdate").text
    buy, trade = prospect.findall("vehicle")
    assert (buy.get("interest"), buy.get("status")) == ("buy", "used")
    assert buy.find("stock").text == "VO-1042"
    assert (buy.find("price").get("currency"), buy.find("price").text) == ("EUR", "24990")
    assert trade.get("interest") == "trade-in"
    assert (trade.find("odometer").get("units"), trade.find("odometer").text) == ("km", "98000")
    assert "AB-123-CD" in trade.find("comments").text
    assert prospect.find("vendor/id").get("source") == "eseller"
    assert prospect.find("vendor/id").text == "lyon-centre"
    assert prospect.find("provider/name").text == "lacentrale"
    assert prospect.find("customer/timeframe/description").text


def test_export_accepts_the_api_lead_json_with_nulls_and_extra_keys():
    lead = {"id": "42", "kind": "VN", "source": "website", "channel": "widget", "external_id": None,
            "status": "new", "site": None, "brand": None, "received_at": "2026-12-02T08:00:00+00:00",
            "customer": {"id": "7", "first_name": None, "last_name": "Petit", "email": None,
                         "phone": "+33600000000", "postal_code": None, "city": None},
            "vehicle": {}, "trade_in": None, "workshop": None, "message": None, "timeframe": None,
            "financing": None, "assignee": None, "vehicle_label": None}
    [prospect] = parse_adf(export_adf(lead))
    assert prospect.lead == {"kind": "VN", "source": "eseller", "external_id": "42",
                             "customer": {"last_name": "Petit", "phone": "+33600000000"}}
    assert prospect.request_date == "2026-12-02T08:00:00+00:00"


def test_export_drops_characters_xml_cannot_carry():
    lead = {"kind": "VN", "source": "web", "customer": {"last_name": "Nul\x00\x0bl", "phone": "06"},
            "message": "a\r\nb\x1f"}
    back = one(export_adf(lead))
    assert back["customer"]["last_name"] == "Null"
    assert back["message"] == "a\nb"
