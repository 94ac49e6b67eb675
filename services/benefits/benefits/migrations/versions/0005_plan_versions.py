"""a plan's version, raised by each change (PATCH /plans/{id}): copies of the plan
elsewhere (the wallet's) keep the newest

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                   server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.drop_column('version')
