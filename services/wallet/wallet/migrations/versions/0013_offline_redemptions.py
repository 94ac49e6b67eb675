"""redeeming without a network (issue 26, docs/offline.md): each provider's offline limits,
every acceptance a phone sent (recorded or duplicate), and on vouchers when one was
accepted offline and on which phone, and a cancellation waiting for the offline window. An
expand step: new tables and nullable columns the version before ignores.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

VOUCHER_COLUMNS = [
    ('accepted_offline_at', sa.DateTime(timezone=True)),
    ('offline_device_id', sa.String(length=64)),
    ('cancel_requested_at', sa.DateTime(timezone=True)),
    ('cancel_takes_effect_at', sa.DateTime(timezone=True)),
    ('cancellation_refused', sa.String(length=40)),
]


def upgrade() -> None:
    op.create_table(
        'offline_limits',
        sa.Column('provider_id', sa.String(length=36), nullable=False),
        sa.Column('voucher_cents', sa.BigInteger(), nullable=False),
        sa.Column('waiting_cents', sa.BigInteger(), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('provider_id'),
    )
    op.create_table(
        'offline_redemptions',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('voucher_id', sa.String(length=36), nullable=False),
        sa.Column('provider_id', sa.String(length=36), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('first_redeemed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('first_device_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('seq'),
    )
    op.create_index('ix_offline_redemptions_voucher_id', 'offline_redemptions', ['voucher_id'])
    op.create_index('ix_offline_redemptions_provider_id', 'offline_redemptions',
                    ['provider_id'])
    op.create_index('ux_offline_redemptions_acceptance', 'offline_redemptions',
                    ['voucher_id', 'device_id', 'accepted_at'], unique=True)
    with op.batch_alter_table('vouchers') as batch:
        for name, type_ in VOUCHER_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vouchers') as batch:
        for name, _ in reversed(VOUCHER_COLUMNS):
            batch.drop_column(name)
    op.drop_index('ux_offline_redemptions_acceptance', 'offline_redemptions')
    op.drop_index('ix_offline_redemptions_provider_id', 'offline_redemptions')
    op.drop_index('ix_offline_redemptions_voucher_id', 'offline_redemptions')
    op.drop_table('offline_redemptions')
    op.drop_table('offline_limits')
