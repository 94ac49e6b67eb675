"""redemptions refused because the provider was suspended, for the operators' console

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'redemption_refusals',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('provider_id', sa.String(length=36), nullable=False),
        sa.Column('voucher_id', sa.String(length=36), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('refused_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )
    op.create_index('ix_redemption_refusals_provider_id', 'redemption_refusals',
                    ['provider_id'])


def downgrade() -> None:
    op.drop_index('ix_redemption_refusals_provider_id', 'redemption_refusals')
    op.drop_table('redemption_refusals')
