"""The steering dashboard's edges: who may see it, paging through a list, downloads, bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.extensions import db
from server.models import Action, DealerGroup, Lead, Site, User, utcnow
from tests.conftest import in_group
from tests.routing_helpers import post_lead
from tests.test_steering import DAY, GROUP_A, add_lead, counters, listed, new_source, site_and_seller

GROUP_B = "autre-groupe"


def test_the_dashboard_page_shows_the_figures_and_links_to_their_lists(app, demo, login):
    source = new_source()
    site, seller = site_and_seller(app)
    add_lead(app, source, site_id=site, seller_id=seller, actions=("late",))
    admin = login("a", "admin")
    response = admin.get(f"/cockpit?source={source}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'data-count="action_overdue">1<', html) and re.search(r'data-count="open">1<', html)
    assert f'href="/cockpit/deals/action_overdue?period=all&amp;source={source}"' in html
    assert f'/cockpit/deals/behind?period=all&amp;seller={seller}&amp;source={source}' in html  # the seller's row
    assert 'id="inbox-config"' in html and "js/steering.js" in html
    assert 'href="/cockpit"' in html  # the navigation's Cockpit link


def test_a_site_manager_sees_their_sites_only(app, demo, login):
    source = new_source()
    lyon, lyon_seller = site_and_seller(app, "lyon-centre")
    villeurbanne, other_seller = site_and_seller(app, "villeurbanne")
    mine = add_lead(app, source, site_id=lyon, seller_id=lyon_seller)
    theirs = add_lead(app, source, site_id=villeurbanne, seller_id=other_seller)
    isabelle = login("a", "manager", 0)  # Lyon centre only
    olivier = login("a", "manager", 1)  # Villeurbanne and the used-car centre
    assert counters(isabelle, source)["open"] == 1 and listed(isabelle, "open", source) == [mine]
    assert counters(olivier, source)["open"] == 1 and listed(olivier, "open", source) == [theirs]
    assert counters(login("a", "admin"), source)["open"] == 2
    # Another site's figures or lists are refused, not silently emptied.
    for url in ("/api/v1/steering/counters", "/api/v1/steering/deals/open"):
        response = isabelle.get(url, query_string={"site": villeurbanne, "source": source})
        assert response.status_code == 422 and "site" in response.json["error"]["fields"]
    export = isabelle.get(f"/cockpit/deals/open/export?format=csv&source={source}").get_data(as_text=True)
    assert [row[0] for row in csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";")][1:] == [str(mine)]
    assert f'data-lead-id="{theirs}"' not in isabelle.get(f"/cockpit/deals/open?source={source}").get_data(as_text=True)


def test_another_group_never_reaches_these_figures(app, demo, login, token_for):
    source = new_source()
    site, seller = site_and_seller(app)
    lead_id = add_lead(app, source, site_id=site, seller_id=seller, interest="hot")
    for role in ("manager", "admin"):
        other = login("b", role)
        assert counters(other, source)["open"] == 0
        assert listed(other, "hot", source) == []
        # Group A's site and seller are unknown to group B's filters.
        assert other.get("/api/v1/steering/counters", query_string={"site": site}).status_code == 422
        assert other.get("/api/v1/steering/counters", query_string={"seller": seller}).status_code == 422
        export = other.get(f"/cockpit/deals/open/export?format=csv&source={source}").get_data(as_text=True)
        assert export.count("\r\n") == 1  # the header only
        token = token_for("b", role)
        body = app.test_client().get(f"/api/v1/steering/deals/open?source={source}",
                                     headers={"Authorization": f"Bearer {token}"}).json
        assert body["deals"] == [] and str(lead_id) not in str(body)


@pytest.fixture
def group_b_editions(app, demo):
    with in_group(app, GROUP_B) as group:
        saved = list(group.editions)

    def _set(editions: list[str]) -> None:
        with in_group(app, GROUP_B):
            db.session.execute(update(DealerGroup).where(DealerGroup.slug == GROUP_B).values(editions=editions))
            db.session.commit()

    yield _set
    _set(saved)


def test_no_cockpit_without_mg2(login, group_b_editions):
    manager = login("b", "manager")
    assert manager.get("/cockpit").status_code == 200
    assert 'href="/cockpit"' in manager.get("/home").get_data(as_text=True)
    group_b_editions(["SD"])
    assert manager.get("/cockpit").status_code == 403
    assert manager.get("/cockpit/deals/behind").status_code == 403
    response = manager.get("/api/v1/steering/counters")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert 'href="/cockpit"' not in manager.get("/home").get_data(as_text=True)


@pytest.mark.parametrize("role", ["seller", "cell", "call_center"])
def test_only_managers_and_admins(login, role):
    other = login("a", role)
    assert other.get("/cockpit").status_code == 403
    assert other.get("/api/v1/steering/counters").status_code == 403
    assert other.get("/api/v1/steering/deals/behind").status_code == 403
    assert 'href="/cockpit"' not in other.get("/home").get_data(as_text=True)


def test_paging_has_no_gap_and_no_duplicate(app, demo, login):
    source = new_source()
    site, seller = site_and_seller(app)
    now = utcnow()
    ids = [add_lead(app, source, site_id=site, seller_id=seller, actions=(), received_at=now - (i // 2) * DAY)
           for i in range(7)]
    with in_group(app, GROUP_A):
        # Ties on the reception time: the id decides, so no page repeats or skips one of them.
        db.session.execute(update(Lead).where(Lead.id.in_(ids[2:5])).values(received_at=now - 3 * DAY))
        db.session.commit()
        order = [row.id for row in db.session.execute(
            select(Lead.id, Lead.received_at).where(Lead.id.in_(ids)).order_by(Lead.received_at, Lead.id))]
    admin = login("a", "admin")
    # Late deals come oldest first, the others newest first.
    assert listed(admin, "no_action", source) == order
    assert listed(admin, "open", source) == order[::-1]
    for size in (1, 3, 7, 50):
        assert listed(admin, "behind", source, limit=size) == order

    # The page: fifty at a time, then a link to the next.
    first = admin.get(f"/cockpit/deals/behind?source={source}&limit=4").get_data(as_text=True)
    assert re.findall(r'data-lead-id="(\d+)"', first) == [str(i) for i in order[:4]]
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "limit=4" in next_url
    second = admin.get(next_url).get_data(as_text=True)
    assert re.findall(r'data-lead-id="(\d+)"', second) == [str(i) for i in order[4:]]
    assert 'rel="next"' not in second
    back_to_start = re.findall(r'class="button" href="(/cockpit/deals/behind\?[^"]+)"', second)
    assert back_to_start and "cursor" not in back_to_start[0] and "limit=4" in back_to_start[0]


def test_exports_hold_every_deal_of_the_list(app, demo, login):
    source = new_source()
    site, seller = site_and_seller(app)
    late = [add_lead(app, source, site_id=site, seller_id=seller, actions=("late",)) for _ in range(3)]
    add_lead(app, source, site_id=site, seller_id=seller)  # on track: not in the list
    admin = login("a", "admin")
    response = admin.get(f"/cockpit/deals/action_overdue/export?format=csv&source={source}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 4 and sorted(int(row[0]) for row in rows[1:]) == sorted(late)
    assert all(row[5] == source for row in rows[1:])

    response = admin.get(f"/cockpit/deals/action_overdue/export?format=xlsx&source={source}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert sorted(int(row[0]) for row in values[1:]) == sorted(late)
    assert all(row[1] is not None and row[1] <= utcnow().replace(tzinfo=None) + timedelta(hours=2) for row in values[1:])


def test_bad_input_is_named(app, demo, login):
    admin = login("a", "admin")
    cases = {
        "/api/v1/steering/deals/late": (404, "category"),
        "/api/v1/steering/deals/behind?cursor=not-a-cursor": (422, "cursor"),
        "/api/v1/steering/deals/behind?limit=0": (422, "limit"),
        "/api/v1/steering/deals/behind?limit=ten": (422, "limit"),
        "/api/v1/steering/counters?kind=BUS": (422, "kind"),
        "/api/v1/steering/counters?period=forever": (422, "period"),
        "/api/v1/steering/counters?from=2026-13-01": (422, "from"),
        "/cockpit/deals/behind/export?format=pdf": (422, "format"),
        "/cockpit/deals/late/export?format=csv": (404, "category"),
    }
    for url, (status, field) in cases.items():
        response = admin.get(url)
        assert response.status_code == status, url
        assert field in response.json["error"]["fields"], url
    assert admin.get("/cockpit/deals/late").status_code == 404
    assert admin.get("/cockpit/deals/behind?cursor=%%%").status_code == 400
    # A page shows a bad filter next to its field instead of failing.
    page = admin.get("/cockpit?kind=BUS")
    assert page.status_code == 200 and 'id="f-kind-error"' in page.get_data(as_text=True)


def test_a_manager_filters_by_one_of_their_sellers(app, demo, login):
    source = new_source()
    site, julien = site_and_seller(app, "lyon-centre", 0)
    _site, other = site_and_seller(app, "lyon-centre", 1)
    mine = add_lead(app, source, site_id=site, seller_id=julien)
    add_lead(app, source, site_id=site, seller_id=other)
    manager = login("a", "manager", 0)
    assert listed(manager, "open", source, seller=julien) == [mine]
    with in_group(app, GROUP_A):
        vo = db.session.execute(select(Site).where(Site.code == "vo-center")).scalar_one()
        outsider = next(u.id for u in db.session.execute(select(User).where(User.role == "seller")).scalars()
                        if u.site_ids == {vo.id})
    response = manager.get("/api/v1/steering/counters", query_string={"seller": outsider})
    assert response.status_code == 422 and "seller" in response.json["error"]["fields"]


def test_counts_are_kept_until_the_groups_leads_or_actions_change(app, demo, login):
    source = new_source()
    site, seller = site_and_seller(app)
    lead_id = add_lead(app, source, site_id=site, seller_id=seller)
    admin = login("a", "admin")

    def read() -> dict:
        return admin.get("/api/v1/steering/counters", query_string={"source": source}).json

    first = read()
    assert first["totals"]["action_overdue"] == 0
    # A bulk UPDATE bypasses the ORM, so the kept counts stand (for 30 s at most).
    with in_group(app, GROUP_A):
        db.session.execute(update(Action).where(Action.lead_id == lead_id).values(due_at=utcnow() - DAY))
        db.session.commit()
    assert read() == first
    # Any write of a lead through the ORM makes the next read count again.
    with in_group(app, GROUP_A):
        db.session.get(Lead, lead_id).interest = "hot"
        db.session.commit()
    fresh = read()
    assert fresh["totals"]["action_overdue"] == 1 and fresh["totals"]["hot_interest"] == 1
    assert fresh["now"] > first["now"]
    # Without the cache, every request counts.
    app.config["STEERING_CACHE_SECONDS"] = 0
    try:
        with in_group(app, GROUP_A):
            db.session.execute(update(Lead).where(Lead.id == lead_id).values(interest="cold"))
            db.session.commit()
        assert read()["totals"]["hot_interest"] == 0
    finally:
        app.config["STEERING_CACHE_SECONDS"] = 30


def test_the_version_moves_before_the_commits_events_go_out(app, demo, client, monkeypatch):
    from server.realtime import events
    from server.steering import cache

    order = []
    monkeypatch.setattr(cache, "_bump", lambda groups: order.append(("bump", sorted(groups))))
    monkeypatch.setattr(events, "push", lambda type_, payload, rooms: order.append(("push", type_)))
    post_lead(client, demo, source=new_source())
    with in_group(app, GROUP_A) as group:
        assert order[0] == ("bump", [group.id])
    assert ("push", "lead.created") in order[1:]
