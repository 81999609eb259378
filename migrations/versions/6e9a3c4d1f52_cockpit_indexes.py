"""Cockpit indexes: the open deals of a group, each lead's open actions, the lead list by date

The steering dashboard counts and lists a group's open leads (new, assigned, in progress), which
are a small share of all leads once a group has history: a partial index holds only those, with
the columns the dashboard judges them on (INCLUDE on PostgreSQL, so the count reads the index
alone). "Overdue next action" and "no next action" look up each lead's open actions: a partial
index on (group_id, lead_id, due_at) holds only the actions not done. The cockpit's lead lists
page by (received_at, id) within a group, whatever the status: (group_id, received_at, id).

Revision ID: 6e9a3c4d1f52
Revises: 5d8f2b3c0e41
Create Date: 2026-12-04 23:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '6e9a3c4d1f52'
down_revision = '5d8f2b3c0e41'
branch_labels = None
depends_on = None

OPEN_LEADS = "status IN ('new', 'assigned', 'in_progress')"
OPEN_ACTIONS = 'done_at IS NULL'
JUDGED_ON = ['site_id', 'assignee_id', 'kind', 'stage', 'stage_changed_at', 'first_contact_at',
             'first_contact_due_at', 'interest', 'score', 'source']


def upgrade():
    op.create_index('ix_leads_open_received', 'leads', ['group_id', 'received_at', 'id'], unique=False,
                    postgresql_where=sa.text(OPEN_LEADS), sqlite_where=sa.text(OPEN_LEADS),
                    postgresql_include=JUDGED_ON)
    op.create_index('ix_leads_group_received', 'leads', ['group_id', 'received_at', 'id'], unique=False)
    op.create_index('ix_actions_open_lead', 'actions', ['group_id', 'lead_id', 'due_at'], unique=False,
                    postgresql_where=sa.text(OPEN_ACTIONS), sqlite_where=sa.text(OPEN_ACTIONS))


def downgrade():
    op.drop_index('ix_actions_open_lead', table_name='actions')
    op.drop_index('ix_leads_group_received', table_name='leads')
    op.drop_index('ix_leads_open_received', table_name='leads')
