"""The workspace's queries at scale: the customer search's words, and the indexes the lists rely on.

`bench/workspace.py` times the pages on 100,000 leads; these tests hold the behaviour and the
query shapes that make them fast (no timing here).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select, text

from server.customers.views import _search_condition
from server.extensions import db
from server.models import Action, Contact, Lead, utcnow
from tests.conftest import demo_user_id, in_group
from tests.test_customers import GROUP_A, GROUP_B, make_contact

ON_POSTGRES = bool(os.environ.get("ESELLER_TEST_DATABASE_URL"))


def _found(client, q: str, ids: dict) -> bool:
    """Whether the search lists this customer (a link to their file; the page echoes `q` anyway)."""
    page = client.get("/customers", query_string={"q": q})
    assert page.status_code == 200
    return f'/customers/{ids["contact"]}"' in page.get_data(as_text=True)


def _plan(statement) -> str:
    """The plan PostgreSQL would pick if reading a whole table were out of the question (a test
    table is small enough to be read whole by choice)."""
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.execute(text(f"EXPLAIN {sql}")).scalars())
    db.session.rollback()
    return plan


def test_full_name_finds_the_customer_in_either_order(app, login):
    ids = make_contact(app)
    last = ids["last_name"].lower()
    manager = login("a", "manager")
    assert _found(manager, f"léa {last}", ids)
    assert _found(manager, f"{last.upper()} léa", ids)
    # Every word must match: a second name that is not this customer's finds nobody.
    assert not _found(manager, f"{last} zoé", ids)


def test_like_wildcards_typed_in_the_search_are_plain_characters(app, login):
    ids = make_contact(app)  # last name "Fiche-<hex>"
    manager = login("a", "manager")
    assert _found(manager, ids["last_name"], ids)
    assert not _found(manager, ids["last_name"].replace("-", "_"), ids)
    assert not _found(manager, ids["last_name"].replace("-", "%"), ids)


def test_one_or_two_letter_words_count_only_without_a_longer_one(app, login):
    ids = make_contact(app)
    manager = login("a", "manager")
    # "xy" is in no field of this customer, but the longer word decides.
    assert _found(manager, f"xy {ids['last_name']}", ids)


def test_full_name_search_stays_inside_the_group_and_the_sellers_customers(app, demo, login):
    mine = make_contact(app, GROUP_B, lead_for=demo_user_id(app, demo, "b", "seller"))
    theirs = make_contact(app, GROUP_B)
    other_group = make_contact(app, GROUP_A)
    seller = login("b", "seller")
    assert _found(seller, f"léa {mine['last_name']}", mine)
    assert not _found(seller, f"léa {theirs['last_name']}", theirs)  # not one of theirs
    assert not _found(login("b", "manager"), f"léa {other_group['last_name']}", other_group)
    assert not _found(login("b", "admin"), other_group["last_name"], other_group)


@pytest.mark.skipif(not ON_POSTGRES, reason="trigram indexes are PostgreSQL's (pg_trgm)")
def test_each_search_word_can_be_answered_by_the_trigram_indexes(app):
    make_contact(app)
    with in_group(app, GROUP_A):
        definitions = dict(db.session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts' AND indexname LIKE '%trgm'")).all())
        for column in ("first_name", "last_name", "email"):
            assert "USING gin" in definitions[f"ix_contacts_{column}_trgm"]
            assert f"{column} gin_trgm_ops" in definitions[f"ix_contacts_{column}_trgm"]
        plan = _plan(select(Contact.id).where(_search_condition("lea fiche")))
    assert "ix_contacts_first_name_trgm" in plan and "ix_contacts_last_name_trgm" in plan, plan
    assert "ix_contacts_email_trgm" in plan, plan


@pytest.mark.skipif(not ON_POSTGRES, reason="query plans are PostgreSQL's")
def test_sellers_load_and_the_action_due_sweep_have_their_indexes(app):
    with in_group(app, GROUP_A):
        now = utcnow()
        since = select(Lead.assignee_id, func.count()).where(Lead.assignee_id.in_([1, 2]), Lead.assigned_at >= now)
        assert "ix_leads_assignee_assigned" in _plan(since.group_by(Lead.assignee_id))
        # The same condition as server.actions.service.notify_due_actions, at every scheduler tick.
        due = select(Action.id).where(Action.due_at <= now, Action.done_at.is_(None), Action.notified_at.is_(None))
        assert "ix_actions_due_unnotified" in _plan(due)
