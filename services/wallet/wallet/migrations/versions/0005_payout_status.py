"""a payout is recorded before it is paid: `pending` until Stripe took it (the
reference then), `sent` once it has left (every earlier payout)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payouts') as batch:  # SQLite alters a column by a copy
        batch.add_column(sa.Column('status', sa.String(12), nullable=False,
                                   server_default='sent'))
        batch.alter_column('reference', existing_type=sa.String(64), nullable=True)
    op.create_index('ix_payouts_pending', 'payouts', ['seq'],
                    postgresql_where=sa.text("status = 'pending'"),
                    sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_payouts_pending', 'payouts')
    with op.batch_alter_table('payouts') as batch:
        batch.alter_column('reference', existing_type=sa.String(64), nullable=False)
        batch.drop_column('status')
