"""Actions to do (SM7, SD2, CE4): the list, done, planning a follow-up, the due alerts, the reminder.

The demo seller has demo actions of their own: tests add actions with known due times, assert on
those, and check invariants on the rest. Time is fixed with time_machine, far from the demo's dates.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from server.actions.service import notify_due_actions
from server.extensions import db
from server.models import Action, Event, Lead, Notification
from tests.conftest import PHONE, artifact_path, demo_user, demo_user_id, in_group

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")
# A Wednesday morning in Paris, well after the demo's dates.
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=PARIS)
A, B = "garage-du-parc", "autre-groupe"


def seller_lead(seller_id: int, interest: str | None = None) -> Lead:
    query = select(Lead).where(Lead.assignee_id == seller_id).order_by(Lead.id)
    if interest:
        query = query.where(Lead.interest == interest)
    return db.session.execute(query.limit(1)).scalar_one()


def add_action(user: int, due: datetime, lead: Lead | None = None, title: str = "Test", **extra) -> int:
    action = Action(type=extra.pop("type", "call"), title=title, due_at=due.astimezone(UTC), user_id=user,
                    lead=lead, contact_id=lead.contact_id if lead else None, **extra)
    db.session.add(action)
    db.session.commit()
    return action.id


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(n) for n in re.findall(r'id="action-(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def seller_id(app, demo) -> int:
    return demo_user_id(app, demo, "a", "seller")


def test_filters_and_sorts_on_known_actions(app, demo, login, seller_id):
    with time_machine.travel(NOW), in_group(app, A):
        lead = seller_lead(seller_id)
        other_lead = db.session.execute(
            select(Lead).where(Lead.assignee_id == seller_id, Lead.id != lead.id).order_by(Lead.id).limit(1)
        ).scalar_one()
        lead.interest, other_lead.interest = "hot", "cold"
        db.session.commit()
        overdue = add_action(seller_id, NOW - timedelta(days=2), other_lead, "Overdue monday")
        today = add_action(seller_id, NOW + timedelta(hours=8), lead, "Later today")
        saturday = add_action(seller_id, NOW + timedelta(days=3), lead, "Saturday")
        next_week = add_action(seller_id, NOW + timedelta(days=6), other_lead, "Next week")
        done = add_action(seller_id, NOW + timedelta(hours=1), lead, "Already done", done_at=NOW.astimezone(UTC))
    mine = {overdue, today, saturday, next_week}
    with time_machine.travel(NOW):
        client = login("a", "seller")
        by_filter = {f: listed(client.get(f"/actions?filter={f}")) for f in ("overdue", "today", "week", "all")}
        by_interest = listed(client.get("/actions?filter=all&sort=interest"))
    assert mine & set(by_filter["overdue"]) == {overdue}
    assert mine & set(by_filter["today"]) == {today}
    assert mine & set(by_filter["week"]) == {overdue, today, saturday}
    assert mine & set(by_filter["all"]) == mine
    assert done not in by_filter["all"]
    # By date: in due order. Hot first: today's hot one comes before Monday's cold one.
    assert [i for i in by_filter["all"] if i in mine] == [overdue, today, saturday, next_week]
    assert [i for i in by_interest if i in mine] == [today, saturday, overdue, next_week]
    with in_group(app, A):
        rows = {a.id: a for a in db.session.execute(select(Action).where(Action.id.in_(by_filter["all"]))).scalars()}
        assert len(rows) == len(by_filter["all"])
        assert all(a.user_id == seller_id and a.done_at is None for a in rows.values())
        dues = [rows[i].due_at for i in by_filter["all"]]
        assert dues == sorted(dues)
        ranks = {"hot": 0, "warm": 1, "cold": 2}
        keys = [(ranks.get(rows[i].lead.interest, 3) if rows[i].lead else 3, rows[i].due_at) for i in by_interest]
        assert keys == sorted(keys)


def test_done_closes_the_action_with_its_outcome(app, demo, login, seller_id):
    with in_group(app, A):
        lead = seller_lead(seller_id)
        action_id = add_action(seller_id, datetime.now(UTC) + timedelta(hours=2), lead, "Call about the offer")
    client = login("a", "seller")
    response = client.post(f"/actions/{action_id}/done", data={"outcome": "reached"})
    assert response.status_code == 302
    assert action_id not in listed(client.get("/actions"))
    assert client.post(f"/actions/{action_id}/done", data={"outcome": "again"}).status_code == 302
    with in_group(app, A):
        action = db.session.get(Action, action_id)
        assert action.done_at is not None and action.outcome == "reached"
        assert any(e.kind == "action_done" for e in action.lead.entries)


def test_another_users_or_groups_action_is_not_found(app, demo, login, seller_id):
    other_seller = demo_user_id(app, demo, "a", "seller", 1)
    b_seller = demo_user_id(app, demo, "b", "seller")
    with in_group(app, A):
        colleague_action = add_action(other_seller, datetime.now(UTC), None, "Not yours")
    with in_group(app, B):
        b_action = add_action(b_seller, datetime.now(UTC), None, "Other group")
        b_lead = db.session.execute(select(Lead.id).limit(1)).scalar_one()
    assert app.test_client().post(f"/api/v1/actions/{colleague_action}/done", json={}).status_code == 401
    client = login("a", "seller")
    assert client.post(f"/actions/{colleague_action}/done").status_code == 404
    assert client.post(f"/actions/{b_action}/done").status_code == 404
    for action_id in (colleague_action, b_action):  # the API the phone uses, the same
        response = client.post(f"/api/v1/actions/{action_id}/done", json={"outcome": "sneaky"})
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    plan = {"type": "call", "title": "Sneaky", "due": "2027-03-11T09:30", "lead_id": str(b_lead)}
    assert client.post("/actions", data=plan).status_code == 404
    with in_group(app, A):
        not_his = db.session.execute(
            select(Lead.id).where(Lead.assignee_id != seller_id, Lead.created_by_id.is_distinct_from(seller_id))
            .limit(1)).scalar_one()
    assert client.post("/actions", data=plan | {"lead_id": str(not_his)}).status_code == 404
    with in_group(app, A):
        assert db.session.get(Action, colleague_action).done_at is None
    with in_group(app, B):
        assert db.session.get(Action, b_action).done_at is None


def test_done_through_the_api_is_applied_once_and_refusals_name_the_field(app, demo, login, seller_id):
    """The phone's offline queue marks actions done through the API and may send the same call twice."""
    with in_group(app, A):
        lead = seller_lead(seller_id)
        action_id = add_action(seller_id, datetime.now(UTC) + timedelta(hours=1), lead, "Call back after the trial")
        lead_id = lead.id
        other_id = add_action(seller_id, datetime.now(UTC) + timedelta(hours=2), None, "Send the brochure")
    client = login("a", "seller")
    url = f"/api/v1/actions/{action_id}/done"
    key = {"Idempotency-Key": "done-" + str(action_id)}
    first = client.post(url, json={"outcome": "reached"}, headers=key)
    assert first.status_code == 200, first.json
    assert first.json["id"] == str(action_id) and first.json["lead_id"] == str(lead_id)
    assert first.json["outcome"] == "reached" and first.json["done_at"]
    again = client.post(url, json={"outcome": "reached"}, headers=key)
    assert (again.status_code, again.json) == (200, first.json)
    # Without the key, a second "done" changes nothing either: the first outcome stays.
    assert client.post(url, json={"outcome": "changed my mind"}).json["outcome"] == "reached"
    with in_group(app, A):
        action = db.session.get(Action, action_id)
        assert action.done_at is not None and action.outcome == "reached"
        done_entries = [e for e in action.lead.entries if e.kind == "action_done" and e.data["action_id"] == action_id]
        assert [e.data["outcome"] for e in done_entries] == ["reached"]  # once, whatever was sent again

    other = f"/api/v1/actions/{other_id}/done"
    too_long = client.post(other, json={"outcome": "x" * 33})
    assert too_long.status_code == 422 and "outcome" in too_long.json["error"]["fields"]
    not_text = client.post(other, json={"outcome": 12})
    assert not_text.status_code == 422 and "outcome" in not_text.json["error"]["fields"]
    broken = client.post(other, data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"]["code"] == "malformed_json"
    assert client.post("/api/v1/actions/999999999/done", json={}).status_code == 404
    with in_group(app, A):
        assert db.session.get(Action, other_id).done_at is None
    # With no body at all it is done, with no outcome.
    assert client.post(other).json["outcome"] is None


def test_plan_a_follow_up_with_validation(app, demo, login, seller_id):
    with in_group(app, A):
        lead_id = seller_lead(seller_id).id
    client = login("a", "seller")
    lead_page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert 'action="/actions"' in lead_page and f'name="lead_id" value="{lead_id}"' in lead_page
    bad = client.post("/actions", data={"type": "dance", "title": "", "due": "tomorrow", "lead_id": str(lead_id)})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    for field in ("type", "title", "due"):
        assert f'id="plan-{field}-error"' in body
    assert 'aria-invalid="true"' in body
    title = "Relance offre 208 test-plan"
    ok = client.post("/actions", data={"type": "follow_up", "title": title, "due": "2027-03-11T09:30",
                                       "note": "Rappeler après 9h", "lead_id": str(lead_id),
                                       "next": f"/leads/{lead_id}"})
    assert ok.status_code == 302 and ok.location.endswith(f"/leads/{lead_id}")
    # Only for themselves: a seller cannot give an action to a colleague.
    colleague = demo_user_id(app, demo, "a", "seller", 1)
    refused = client.post("/actions", data={"type": "call", "title": "x", "due": "2027-03-11T09:30",
                                            "user_id": str(colleague)})
    assert refused.status_code == 422 and 'id="plan-user_id-error"' in refused.get_data(as_text=True)
    with in_group(app, A):
        action = db.session.execute(select(Action).where(Action.title == title)).scalar_one()
        assert action.user_id == action.created_by_id == seller_id
        assert action.lead_id == lead_id and action.note == "Rappeler après 9h"
        assert action.due_at == datetime(2027, 3, 11, 9, 30, tzinfo=PARIS)  # read in the group's time zone
        assert db.session.get(Lead, lead_id).entries[-1].kind == "action_planned"


def test_the_cell_gives_an_action_to_a_seller(app, demo, login, seller_id):
    client = login("a", "cell")
    title = "Rappeler Mme test-cell"
    response = client.post("/actions", data={"type": "call", "title": title, "due": "2027-03-12T14:00",
                                             "user_id": str(seller_id)})
    assert response.status_code == 302
    with in_group(app, A):
        action = db.session.execute(select(Action).where(Action.title == title)).scalar_one()
        assert action.user_id == seller_id and action.created_by_id != seller_id


def _due_events(action_id: int) -> list[Event]:
    events = db.session.execute(select(Event).where(Event.type == "action.due")).scalars()
    return [e for e in events if e.payload.get("action", {}).get("id") == action_id]


def test_action_due_is_told_once_to_its_user(app, demo, seller_id):
    start = datetime(2027, 5, 4, 9, 0, tzinfo=PARIS)
    with in_group(app, A):
        lead = seller_lead(seller_id)
        lead_id = lead.id
        first = add_action(seller_id, start + timedelta(hours=1), lead, "Due first")
        second = add_action(seller_id, start + timedelta(hours=3), lead, "Due second")
        no_lead = add_action(seller_id, start + timedelta(hours=1), None, "Due without a lead")
    with app.app_context(), time_machine.travel(start + timedelta(hours=2)):
        assert notify_due_actions() >= 2
        notify_due_actions()
        db.session.remove()
    with in_group(app, A):
        events = _due_events(first)
        assert len(events) == 1
        assert events[0].user_ids == [seller_id] and events[0].roles == []
        assert events[0].payload["action"]["title"] == "Due first" and events[0].lead_id == lead_id
        assert _due_events(second) == []
        assert db.session.get(Action, second).notified_at is None
        notes = db.session.execute(select(Notification).where(Notification.user_id == seller_id,
                                                              Notification.kind == "action_due")).scalars()
        assert [n.data["action"]["id"] for n in notes].count(no_lead) == 1
    with app.app_context(), time_machine.travel(start + timedelta(hours=4)):
        notify_due_actions()
        db.session.remove()
    with in_group(app, A):
        assert len(_due_events(first)) == 1 and len(_due_events(second)) == 1


def test_sign_in_reminds_of_overdue_actions(app, demo, login, seller_id):
    with in_group(app, A):
        add_action(seller_id, datetime.now(UTC) - timedelta(hours=1), None, "Overdue for the banner")
    client = login("a", "seller")
    body = client.get("/home").get_data(as_text=True)
    assert 'class="overdue-reminder" href="/actions?filter=overdue"' in body
    # Once: the next page does not say it again.
    assert "overdue-reminder" not in client.get("/home").get_data(as_text=True)


def test_agenda_day_and_week(app, demo, login, seller_id):
    with in_group(app, A):
        friday = add_action(seller_id, datetime(2027, 3, 12, 15, 0, tzinfo=PARIS), None, "Agenda friday")
    client = login("a", "seller")
    week = client.get("/actions/agenda?view=week&date=2027-03-10").get_data(as_text=True)
    assert "Agenda friday" in week and week.count('class="agenda-day') == 7
    assert "date=2027-03-01" in week and "date=2027-03-15" in week  # previous and next weeks
    day = client.get("/actions/agenda?view=day&date=2027-03-12").get_data(as_text=True)
    assert "Agenda friday" in day and day.count('class="agenda-day') == 1
    assert "Agenda friday" not in client.get("/actions/agenda?view=day&date=2027-03-11").get_data(as_text=True)
    assert friday


def test_roles_without_actions_are_refused(login):
    assert login("a", "call_center").get("/actions").status_code == 403
    assert login("a", "manager").get("/actions").status_code == 200


@pytest.mark.slow
def test_on_a_phone_and_a_desktop(browser, live_server, demo, app, seller_id):
    """The list holds on a phone (no sideways scroll), a follow-up is planned and one is done there."""
    with in_group(app, A):
        add_action(seller_id, datetime.now(UTC) - timedelta(hours=2), seller_lead(seller_id), "Rappel navigateur")
    seller = demo_user(demo, "a", "seller")
    for name, viewport in (("phone", PHONE), ("desktop", {"width": 1280, "height": 800})):
        context = browser.new_context(viewport=viewport, locale="fr-FR", is_mobile=name == "phone")
        page = context.new_page()
        try:
            page.goto(live_server + "/login")
            page.get_by_label("E-mail").fill(seller["email"])
            page.get_by_label("Mot de passe").fill(seller["password"])
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_url("**/home")
            page.locator("a.overdue-reminder").click()
            page.wait_for_url("**/actions?filter=overdue")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            page.screenshot(path=str(artifact_path(f"actions-{name}.png")), full_page=True)
            if name == "phone":
                item = page.locator(".action-item", has_text="Rappel navigateur")
                item.get_by_placeholder("Résultat (facultatif)").fill("joint")
                item.get_by_role("button", name="Fait").click()
                # Through the API: the item says so in place, and is off the list on the next visit.
                expect(item).to_have_class(re.compile(r"\baction-done\b"))
                expect(item.get_by_role("status")).to_have_text("Fait.")
                page.reload()
                assert page.locator(".action-item", has_text="Rappel navigateur").count() == 0
                page.get_by_label("Titre").fill("Relance essai navigateur")
                page.get_by_label("Quand").fill("2027-03-11T09:30")
                page.get_by_role("button", name="Planifier", exact=True).click()
                page.wait_for_load_state()
                page.goto(live_server + "/actions?filter=all")
                assert page.locator(".action-item", has_text="Relance essai navigateur").count() == 1
            page.goto(live_server + "/actions/agenda?view=week&date=2027-03-10")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            page.screenshot(path=str(artifact_path(f"actions-agenda-{name}.png")), full_page=True)
        finally:
            context.close()
