"""The shared planning (CE5): the week view, editing shifts and absences, and who may do what.

The demo's sellers work Monday to Saturday in their site's opening hours, but one day off each
(Julien Moreau, Lyon Centre: Wednesday). Tests remove every row they add.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import delete, select

from server.extensions import db
from server.lead_routing.decide import load_candidates, load_planning
from server.lead_routing.planning import on_duty
from server.models import PlanningException, Shift, Site, User
from tests.conftest import in_group
from tests.routing_helpers import SUNDAY, TUESDAY_MORNING

GROUP_A = "garage-du-parc"
WEEK = "2026-W50"  # Monday 7 to Sunday 13 December 2026: TUESDAY_MORNING and SUNDAY


def _user(email_local: str) -> User:
    return db.session.execute(select(User).where(User.email.startswith(email_local + "@"))).scalar_one()


def _site(code: str) -> Site:
    return db.session.execute(select(Site).where(Site.code == code)).scalar_one()


def _ids(app) -> dict[str, int]:
    with in_group(app, GROUP_A):
        return {"julien": _user("julien.moreau").id, "nicolas": _user("nicolas.fournier").id,
                "lyon": _site("lyon-centre").id, "villeurbanne": _site("villeurbanne").id,
                "nicolas_shift": db.session.execute(select(Shift.id).where(Shift.user_id == _user("nicolas.fournier").id)).scalars().first()}


@pytest.fixture
def cleanup(app, demo):
    """Shifts and exceptions added by the test are removed afterwards."""
    with in_group(app, GROUP_A):
        shifts = set(db.session.execute(select(Shift.id)).scalars())
        exceptions = set(db.session.execute(select(PlanningException.id)).scalars())
    yield
    with in_group(app, GROUP_A):
        db.session.execute(delete(Shift).where(Shift.id.not_in(shifts)))
        db.session.execute(delete(PlanningException).where(PlanningException.id.not_in(exceptions)))
        db.session.commit()


def week_cells(body: str, name: str) -> list[str]:
    """The seven day cells of `name`'s row in the desktop table, as text."""
    table = re.search(r'<table class="week-table">(.*?)</table>', body, re.S).group(1)
    row = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S) if name in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert len(cells) == 7
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


def test_the_week_view_shows_each_persons_shifts_for_that_week(app, login):
    manager = login("a", "manager")  # Isabelle Garnier, Lyon Centre
    response = manager.get(f"/admin/planning?site=lyon-centre&week={WEEK}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for name in ("Julien Moreau", "Sophie Lambert", "Karim Benali", "Manon Petit"):
        assert name in body
    assert "Nicolas Fournier" not in body, "Villeurbanne's seller is not on Lyon Centre's planning"
    julien = week_cells(body, "Julien Moreau")
    assert julien[0] == "09:00–12:00 14:00–19:00", julien
    assert julien[2] == "—", "Wednesday is his day off"
    assert julien[5] == "09:00–12:00 14:00–18:00", "Saturday hours"
    assert julien[6] == "—"
    assert "week=2026-W49" in body and "week=2026-W51" in body
    assert "Lundi 7 décembre" in body, "the phone's day-by-day list"


def test_who_is_on_duty_now_is_highlighted(app, login):
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        manager = login("a", "manager")
        body = manager.get("/admin/planning?site=lyon-centre").get_data(as_text=True)  # this week: W50
    on_duty_rows = re.findall(r'<tr class="on-duty">(.*?)</tr>', body, re.S)
    names = {name for name in ("Julien Moreau", "Sophie Lambert", "Karim Benali") if any(name in r for r in on_duty_rows)}
    assert names == {"Julien Moreau", "Sophie Lambert", "Karim Benali"}, "the three work on Tuesday mornings"
    assert week_cells(body, "Julien Moreau")[1].startswith("09:00–12:00 (de service maintenant)")
    week_nav = re.search(r'<nav class="week-nav".*?</nav>', body, re.S).group(0)
    assert "Cette semaine" not in week_nav, "no link back to this week while on it"


def test_shifts_are_added_validated_and_removed(app, login, cleanup):
    ids = _ids(app)
    manager = login("a", "manager")
    url = f"/admin/planning/people/{ids['julien']}/shifts?site=lyon-centre&week={WEEK}"
    sunday = {"site": ids["lyon"], "weekday": 6, "starts": "10:00", "ends": "12:30"}
    assert manager.post(url, data=sunday).status_code == 302
    with in_group(app, GROUP_A):
        added = db.session.execute(select(Shift).where(Shift.user_id == ids["julien"], Shift.weekday == 6)).scalar_one()
        assert (added.starts, added.ends, added.site_id) == ("10:00", "12:30", ids["lyon"])
        added_id = added.id
    week = manager.get(f"/admin/planning?site=lyon-centre&week={WEEK}").get_data(as_text=True)
    assert week_cells(week, "Julien Moreau")[6] == "10:00–12:30"

    for wrong, field in ((dict(sunday, starts="25:00"), "starts"), (dict(sunday, starts="9h"), "starts"),
                         (dict(sunday, starts="12:00", ends="11:00"), "ends"),
                         (dict(sunday, starts="12:00", ends="13:00"), "starts"),  # overlaps 10:00-12:30
                         (dict(sunday, weekday=0, starts="18:00", ends="20:00"), "starts")):  # overlaps Monday 14-19
        response = manager.post(url, data=wrong)
        assert response.status_code == 422, wrong
        assert re.search(rf'id="{field}-error">[^<]+<', response.get_data(as_text=True)), wrong
    with in_group(app, GROUP_A):
        assert len(db.session.execute(select(Shift).where(Shift.user_id == ids["julien"], Shift.weekday == 6)).all()) == 1

    assert manager.post(f"/admin/planning/shifts/{added_id}/delete?site=lyon-centre").status_code == 302
    with in_group(app, GROUP_A):
        assert db.session.get(Shift, added_id) is None


def test_an_absence_takes_the_person_off_duty_and_an_extra_puts_them_on(app, login, cleanup):
    ids = _ids(app)
    manager = login("a", "manager")
    with in_group(app, GROUP_A):
        lyon = _site("lyon-centre")
        assert ids["julien"] in {c.user_id for c in load_candidates(lyon, TUESDAY_MORNING)}
    absence = {"person": ids["julien"], "kind": "absence", "starts": "2026-12-08T10:00", "ends": "2026-12-08T12:00",
               "note": "Formation"}
    response = manager.post("/admin/planning/exceptions?site=lyon-centre", data=absence)
    assert response.status_code == 302 and "week=2026-W50" in response.location
    with in_group(app, GROUP_A):
        lyon = _site("lyon-centre")
        assert ids["julien"] not in {c.user_id for c in load_candidates(lyon, TUESDAY_MORNING)}
        assert ids["julien"] not in on_duty(lyon.id, TUESDAY_MORNING, lyon.tz, *load_planning(lyon.id))
        assert ids["julien"] in on_duty(lyon.id, TUESDAY_MORNING + timedelta(hours=4), lyon.tz, *load_planning(lyon.id))
        absence_id = db.session.execute(select(PlanningException.id).where(PlanningException.note == "Formation")).scalar_one()
    week = manager.get(f"/admin/planning?site=lyon-centre&week={WEEK}").get_data(as_text=True)
    assert week_cells(week, "Julien Moreau")[1] == "09:00–10:00 14:00–19:00 Absent 10:00–12:00 · Formation"

    # Nicolas (Villeurbanne) comes to help in Lyon on Sunday: an extra duty at Lyon Centre.
    admin = login("a", "admin")
    extra = {"person": ids["nicolas"], "kind": "extra", "starts": "2026-12-13T10:00", "ends": "2026-12-13T13:00"}
    assert admin.post("/admin/planning/exceptions?site=lyon-centre", data=extra).status_code == 302
    with in_group(app, GROUP_A):
        lyon = _site("lyon-centre")
        assert {c.user_id for c in load_candidates(lyon, SUNDAY)} == {ids["nicolas"]}
    week = admin.get(f"/admin/planning?site=lyon-centre&week={WEEK}").get_data(as_text=True)
    assert week_cells(week, "Nicolas Fournier")[6] == "10:00–13:00 (renfort)"

    for wrong in ({"ends": "2026-12-08T09:00"}, {"starts": ""}, {"kind": "holiday"}, {"ends": "2028-12-08T09:00"}):
        assert manager.post("/admin/planning/exceptions?site=lyon-centre", data={**absence, **wrong}).status_code == 422

    assert manager.post(f"/admin/planning/exceptions/{absence_id}/delete?site=lyon-centre").status_code == 302
    with in_group(app, GROUP_A):
        assert ids["julien"] in {c.user_id for c in load_candidates(_site("lyon-centre"), TUESDAY_MORNING)}


def test_a_manager_edits_only_the_people_of_their_sites(app, login, cleanup):
    ids = _ids(app)
    lyon_manager = login("a", "manager", 0)
    assert lyon_manager.get("/admin/planning?site=villeurbanne").status_code == 403
    assert lyon_manager.get(f"/admin/planning/people/{ids['nicolas']}").status_code == 403
    shift = {"site": ids["villeurbanne"], "weekday": 6, "starts": "10:00", "ends": "12:00"}
    assert lyon_manager.post(f"/admin/planning/people/{ids['nicolas']}/shifts", data=shift).status_code == 403
    assert lyon_manager.post(f"/admin/planning/people/{ids['julien']}/shifts", data=shift).status_code == 403
    assert lyon_manager.post(f"/admin/planning/shifts/{ids['nicolas_shift']}/delete").status_code == 403
    absence = {"person": ids["nicolas"], "kind": "absence", "starts": "2026-12-08T10:00", "ends": "2026-12-08T12:00"}
    assert lyon_manager.post("/admin/planning/exceptions", data=absence).status_code == 403
    with in_group(app, GROUP_A):
        assert db.session.get(Shift, ids["nicolas_shift"]) is not None

    other_manager = login("a", "manager", 1)  # Villeurbanne and the VO centre
    assert other_manager.get("/admin/planning").status_code == 200
    assert other_manager.post(f"/admin/planning/people/{ids['nicolas']}/shifts?site=villeurbanne",
                              data=shift).status_code == 302


@pytest.mark.parametrize("role", ["manager", "cell", "admin"])
def test_another_groups_people_and_rows_are_not_found(app, login, role):
    ids = _ids(app)
    with in_group(app, GROUP_A):
        exception_id = db.session.execute(select(PlanningException.id)).scalars().first()
    other = login("b", role)
    assert other.get(f"/admin/planning/people/{ids['julien']}").status_code == 404
    shift = {"site": ids["lyon"], "weekday": 6, "starts": "10:00", "ends": "12:00"}
    assert other.post(f"/admin/planning/people/{ids['julien']}/shifts", data=shift).status_code == 404
    assert other.post(f"/admin/planning/shifts/{ids['nicolas_shift']}/delete").status_code == 404
    assert other.post(f"/admin/planning/exceptions/{exception_id}/delete").status_code == 404
    absence = {"person": ids["julien"], "kind": "absence", "starts": "2026-12-08T10:00", "ends": "2026-12-08T12:00"}
    assert other.post("/admin/planning/exceptions", data=absence).status_code == 404
    assert other.get("/admin/planning?site=lyon-centre").status_code == 200, "group B has its own lyon-centre"
    body = other.get("/admin/planning").get_data(as_text=True)
    assert f"/admin/planning/people/{ids['julien']}" not in body


@pytest.mark.parametrize(("role", "status"), [("seller", 403), ("call_center", 403), ("cell", 200), ("admin", 200)])
def test_who_reaches_the_planning(login, role, status):
    user = login("a", role)
    response = user.get("/admin/planning")
    assert response.status_code == status
    if role == "cell":
        home = user.get("/home").get_data(as_text=True)
        assert 'href="/admin/planning"' in home, "the cell has a link to the planning"
