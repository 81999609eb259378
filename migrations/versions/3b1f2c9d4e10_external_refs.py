"""External references: every (source, external id) received, and its lead

Revision ID: 3b1f2c9d4e10
Revises: 85d73da44c8d
Create Date: 2026-12-04 20:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '3b1f2c9d4e10'
down_revision = '85d73da44c8d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'external_refs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['dealer_groups.id'], name=op.f('fk_external_refs_group_id_dealer_groups'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_external_refs_lead_id_leads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_refs')),
        sa.UniqueConstraint('group_id', 'source', 'external_id', name=op.f('uq_external_refs_group_id_source_external_id')),
    )
    with op.batch_alter_table('external_refs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_refs_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_refs_lead_id'), ['lead_id'], unique=False)


def downgrade():
    with op.batch_alter_table('external_refs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_refs_lead_id'))
        batch_op.drop_index(batch_op.f('ix_external_refs_group_id'))
    op.drop_table('external_refs')
