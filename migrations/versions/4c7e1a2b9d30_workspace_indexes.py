"""Workspace indexes: sellers' recent assignments, the agenda, the action.due sweep, customer search

The sellers' load (routing's fairness and the cell's seller board) counts the leads assigned to
each seller since a moment: (assignee_id, assigned_at). The agenda reads a user's actions between
two dates, done or not: (user_id, due_at). The scheduler looks for the actions not yet announced
at every tick: a partial index on due_at holds only those. The customer search looks for a word
anywhere in the first name, last name or e-mail (ILIKE '%word%'): on PostgreSQL, trigram GIN
indexes (pg_trgm, an extension shipped with PostgreSQL that a database owner may create) answer it
without reading every customer; elsewhere they are plain indexes on the same columns.

Revision ID: 4c7e1a2b9d30
Revises: 3b1f2c9d4e10
Create Date: 2026-12-04 23:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '4c7e1a2b9d30'
down_revision = '3b1f2c9d4e10'
branch_labels = None
depends_on = None

SEARCH_COLUMNS = ('first_name', 'last_name', 'email')
UNNOTIFIED = 'done_at IS NULL AND notified_at IS NULL'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_leads_assignee_assigned', 'leads', ['assignee_id', 'assigned_at'], unique=False)
    op.create_index('ix_actions_user_due', 'actions', ['user_id', 'due_at'], unique=False)
    op.create_index('ix_actions_due_unnotified', 'actions', ['due_at'], unique=False,
                    postgresql_where=sa.text(UNNOTIFIED), sqlite_where=sa.text(UNNOTIFIED))
    for column in SEARCH_COLUMNS:
        op.create_index(f'ix_contacts_{column}_trgm', 'contacts', [column], unique=False,
                        postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'})


def downgrade():
    # The pg_trgm extension stays: other objects of the database may use it, and it costs nothing idle.
    for column in reversed(SEARCH_COLUMNS):
        op.drop_index(f'ix_contacts_{column}_trgm', table_name='contacts')
    op.drop_index('ix_actions_due_unnotified', table_name='actions')
    op.drop_index('ix_actions_user_due', table_name='actions')
    op.drop_index('ix_leads_assignee_assigned', table_name='leads')
