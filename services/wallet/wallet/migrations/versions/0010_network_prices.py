"""networks' agreed prices: copies of companies' networks and of agreements, and a
voucher's list price and agreement when bought at an agreed price

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'network_members',
        sa.Column('company_id', sa.String(length=36), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=True),
        sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('company_id'))
    op.create_table(
        'agreements',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=False),
        sa.Column('offering_id', sa.String(length=36), nullable=False),
        sa.Column('price_cents', sa.BigInteger(), nullable=True),
        sa.Column('discount_bps', sa.Integer(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_agreements_network_offering', 'agreements',
                    ['network_id', 'offering_id'])
    with op.batch_alter_table('vouchers') as batch:
        batch.add_column(sa.Column('list_price_cents', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('agreement_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vouchers') as batch:
        batch.drop_column('agreement_id')
        batch.drop_column('list_price_cents')
    op.drop_index('ix_agreements_network_offering', table_name='agreements')
    op.drop_table('agreements')
    op.drop_table('network_members')
