"""a network's staff (role network): the network a user acts for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('network_id', sa.String(length=36), nullable=True))
        batch.create_index('ix_users_network_id', ['network_id'])


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_network_id')
        batch.drop_column('network_id')
