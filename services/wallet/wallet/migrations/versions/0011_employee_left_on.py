"""the wallet's copy of an employee knows when they left: they buy nothing more, and
credit given back after (a voucher cancelled) goes to the company fund

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('employees') as batch:
        batch.add_column(sa.Column('left_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('employees') as batch:
        batch.drop_column('left_on')
