"""the provider's language: every email to the provider is written in it (the one its
application was made in). An expand step (docs/operations.md#upgrades): the version
still serving inserts providers without it and they are Italian, as every provider was.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=False,
                                      server_default='it'))


def downgrade() -> None:
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('language')
