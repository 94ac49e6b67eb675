"""when a voucher was redeemed (the counter says "already redeemed on …")

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('vouchers', sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('vouchers', 'redeemed_at')
