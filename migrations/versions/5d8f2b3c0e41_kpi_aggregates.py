"""Lead KPI aggregates: each lead's fact, daily sums (fine and per site) and delay histograms

Leads already in the database are counted by `eseller kpi rebuild` (run it once after upgrading);
from then on every change is counted as it is written.

Revision ID: 5d8f2b3c0e41
Revises: 4c7e1a2b9d30
Create Date: 2026-12-04 22:45:04.285901

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d8f2b3c0e41'
down_revision = '4c7e1a2b9d30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kpi_daily',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('leads', sa.Integer(), nullable=False),
    sa.Column('contacted', sa.Integer(), nullable=False),
    sa.Column('appointment', sa.Integer(), nullable=False),
    sa.Column('test_drive', sa.Integer(), nullable=False),
    sa.Column('offer', sa.Integer(), nullable=False),
    sa.Column('ordered', sa.Integer(), nullable=False),
    sa.Column('won', sa.Integer(), nullable=False),
    sa.Column('lost', sa.Integer(), nullable=False),
    sa.Column('n_assigned', sa.Integer(), nullable=False),
    sa.Column('n_displayed', sa.Integer(), nullable=False),
    sa.Column('n_acknowledged', sa.Integer(), nullable=False),
    sa.Column('n_first_contact', sa.Integer(), nullable=False),
    sa.Column('fc_deadline', sa.Integer(), nullable=False),
    sa.Column('fc_on_time', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['dealer_groups.id'], name=op.f('fk_kpi_daily_group_id_dealer_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'day', 'site_id', 'seller_id', 'kind', 'source', 'reason', name=op.f('pk_kpi_daily'))
    )
    op.create_table('kpi_delays',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['dealer_groups.id'], name=op.f('fk_kpi_delays_group_id_dealer_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'day', 'site_id', 'step', 'minutes', name=op.f('pk_kpi_delays'))
    )
    op.create_table('kpi_site_daily',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('leads', sa.Integer(), nullable=False),
    sa.Column('contacted', sa.Integer(), nullable=False),
    sa.Column('appointment', sa.Integer(), nullable=False),
    sa.Column('test_drive', sa.Integer(), nullable=False),
    sa.Column('offer', sa.Integer(), nullable=False),
    sa.Column('ordered', sa.Integer(), nullable=False),
    sa.Column('won', sa.Integer(), nullable=False),
    sa.Column('lost', sa.Integer(), nullable=False),
    sa.Column('n_assigned', sa.Integer(), nullable=False),
    sa.Column('n_displayed', sa.Integer(), nullable=False),
    sa.Column('n_acknowledged', sa.Integer(), nullable=False),
    sa.Column('n_first_contact', sa.Integer(), nullable=False),
    sa.Column('fc_deadline', sa.Integer(), nullable=False),
    sa.Column('fc_on_time', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['dealer_groups.id'], name=op.f('fk_kpi_site_daily_group_id_dealer_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'day', 'site_id', 'reason', name=op.f('pk_kpi_site_daily'))
    )
    op.create_table('kpi_lead_facts',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('furthest', sa.SmallInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('d_assigned', sa.Integer(), nullable=True),
    sa.Column('d_displayed', sa.Integer(), nullable=True),
    sa.Column('d_acknowledged', sa.Integer(), nullable=True),
    sa.Column('d_first_contact', sa.Integer(), nullable=True),
    sa.Column('has_deadline', sa.Boolean(), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['dealer_groups.id'], name=op.f('fk_kpi_lead_facts_group_id_dealer_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_kpi_lead_facts_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_kpi_lead_facts'))
    )
    with op.batch_alter_table('kpi_lead_facts', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_lead_facts_group_day', ['group_id', 'day'], unique=False)
        batch_op.create_index('ix_kpi_lead_facts_group_site_day', ['group_id', 'site_id', 'day'], unique=False)
        batch_op.create_index('ix_kpi_lead_facts_group_seller_day', ['group_id', 'seller_id', 'day'], unique=False)
    with op.batch_alter_table('kpi_daily', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_daily_group_site_day', ['group_id', 'site_id', 'day'], unique=False)
        batch_op.create_index('ix_kpi_daily_group_seller_day', ['group_id', 'seller_id', 'day'], unique=False)


def downgrade():
    with op.batch_alter_table('kpi_lead_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_lead_facts_group_seller_day')
        batch_op.drop_index('ix_kpi_lead_facts_group_site_day')
        batch_op.drop_index('ix_kpi_lead_facts_group_day')
    with op.batch_alter_table('kpi_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_daily_group_seller_day')
        batch_op.drop_index('ix_kpi_daily_group_site_day')

    op.drop_table('kpi_lead_facts')
    op.drop_table('kpi_site_daily')
    op.drop_table('kpi_delays')
    op.drop_table('kpi_daily')
