"""networks' circuits: providers approved by a network, agreements on offerings'
prices, and the copy of which network a company is in

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
LIVE = "status IN ('proposed', 'active')"


def upgrade() -> None:
    op.create_table(
        'network_providers',
        sa.Column('network_id', sa.String(length=36), nullable=False),
        sa.Column('provider_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('network_id', 'provider_id'))
    op.create_index('ix_network_providers_provider_id', 'network_providers', ['provider_id'])
    op.create_table(
        'agreements',
        sa.Column('seq', Seq, autoincrement=True, nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=False),
        sa.Column('network_name', sa.String(length=200), nullable=False),
        sa.Column('provider_id', sa.String(length=36), nullable=False),
        sa.Column('offering_id', sa.String(length=36), nullable=False),
        sa.Column('price_cents', sa.BigInteger(), nullable=True),
        sa.Column('discount_bps', sa.Integer(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('seq'), sa.UniqueConstraint('id'))
    for column in ('network_id', 'provider_id', 'offering_id'):
        op.create_index(f'ix_agreements_{column}', 'agreements', [column])
    op.create_index('uq_agreements_one_per_offering', 'agreements',
                    ['network_id', 'offering_id'], unique=True,
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    op.create_table(
        'company_networks',
        sa.Column('company_id', sa.String(length=36), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=True),
        sa.Column('network_name', sa.String(length=200), nullable=True),
        sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('company_id'))


def downgrade() -> None:
    op.drop_table('company_networks')
    op.drop_table('agreements')
    op.drop_table('network_providers')
