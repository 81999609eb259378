"""The one scoping mechanism: every query and write on group data is confined to one group."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from server.extensions import db
from server.models import Contact, DealerGroup, Lead, User
from server.tenancy import TenantScopeError, all_groups, group_scope
from tests.conftest import in_group


def _group_ids(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(DealerGroup.slug, DealerGroup.id)).all()
        return dict(rows)


def test_query_outside_a_group_raises(app, demo):
    with app.app_context(), pytest.raises(TenantScopeError):
        db.session.execute(select(Lead)).first()


def test_each_group_sees_only_its_own_rows(app, demo):
    ids = _group_ids(app)
    with app.app_context():
        total = db.session.scalar(all_groups(select(func.count(Lead.id))))
        per_group = {}
        for slug in ("garage-du-parc", "autre-groupe"):
            with group_scope(ids[slug]):
                leads = db.session.execute(select(Lead)).scalars().all()
                assert leads, "the demo group has leads"
                assert {lead.group_id for lead in leads} == {ids[slug]}
                per_group[slug] = len(leads)
        assert total >= sum(per_group.values())


def test_get_by_id_of_another_group_finds_nothing(app, demo):
    ids = _group_ids(app)
    with in_group(app, "garage-du-parc"):
        lead_a = db.session.execute(select(Lead.id).limit(1)).scalar_one()
    with app.app_context(), group_scope(ids["autre-groupe"]):
        assert db.session.get(Lead, lead_a) is None
        assert db.session.execute(select(Lead).where(Lead.id == lead_a)).first() is None


def test_joins_and_relationships_stay_in_the_group(app, demo):
    ids = _group_ids(app)
    with app.app_context(), group_scope(ids["autre-groupe"]):
        rows = db.session.execute(select(Lead, Contact).join(Contact, Lead.contact_id == Contact.id)).all()
        assert rows
        assert all(lead.group_id == contact.group_id == ids["autre-groupe"] for lead, contact in rows)
        lead = rows[0][0]
        assert lead.contact.group_id == ids["autre-groupe"]


def test_bulk_update_cannot_reach_another_group(app, demo):
    ids = _group_ids(app)
    with in_group(app, "garage-du-parc"):
        before = db.session.execute(select(Contact.id, Contact.city).order_by(Contact.id)).all()
    with app.app_context(), group_scope(ids["autre-groupe"]):
        db.session.execute(update(Contact).values(city=Contact.city), execution_options={"synchronize_session": False})
        db.session.execute(
            update(Contact).where(Contact.id.in_([row.id for row in before])).values(city="Piraté"),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
    with in_group(app, "garage-du-parc"):
        after = db.session.execute(select(Contact.id, Contact.city).order_by(Contact.id)).all()
    assert after == before


def test_new_rows_take_the_current_group_and_cannot_be_written_elsewhere(app, demo):
    ids = _group_ids(app)
    with app.app_context(), group_scope(ids["garage-du-parc"]):
        contact = Contact(first_name="Nina", last_name="Scope")
        db.session.add(contact)
        db.session.flush()
        assert contact.group_id == ids["garage-du-parc"]
        db.session.rollback()
        intruder = Contact(first_name="Eve", last_name="Cross", group_id=ids["autre-groupe"])
        db.session.add(intruder)
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_new_rows_outside_a_group_are_refused(app, demo):
    with app.app_context():
        db.session.add(Contact(first_name="No", last_name="Group"))
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_sign_in_lookup_crosses_groups_only_when_asked(app, demo):
    email = demo["b"]["users"][0]["email"]
    with app.app_context():
        user = db.session.execute(all_groups(select(User).where(User.email == email))).scalar_one()
        assert user.group.slug == "autre-groupe"
