"""networks of firms: networks, their members (a firm active in one network at most),
their shared plans, and the plan that adopts one

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

Seq = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'networks',
        sa.Column('seq', Seq, autoincrement=True, nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('tax_id', sa.String(length=16), nullable=False),
        sa.Column('provinces', sa.JSON(), nullable=False),
        sa.Column('municipalities', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
        sa.UniqueConstraint('id'), sa.UniqueConstraint('slug'), sa.UniqueConstraint('tax_id'))
    op.create_table(
        'network_memberships',
        sa.Column('seq', Seq, autoincrement=True, nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=False),
        sa.Column('company_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('municipality', sa.String(length=100), nullable=False),
        sa.Column('province', sa.String(length=2), nullable=False),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('seq'), sa.UniqueConstraint('id'))
    op.create_index('ix_network_memberships_network_id', 'network_memberships',
                    ['network_id'])
    op.create_index('ix_network_memberships_company_id', 'network_memberships',
                    ['company_id'])
    op.create_index('uq_memberships_one_network', 'network_memberships', ['company_id'],
                    unique=True, postgresql_where=sa.text("status = 'active'"),
                    sqlite_where=sa.text("status = 'active'"))
    op.create_index('uq_memberships_one_invitation', 'network_memberships',
                    ['network_id', 'company_id'], unique=True,
                    postgresql_where=sa.text("status = 'invited'"),
                    sqlite_where=sa.text("status = 'invited'"))
    op.create_table(
        'shared_plans',
        sa.Column('seq', Seq, autoincrement=True, nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('network_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('leftover_policy', sa.String(length=20), nullable=False),
        sa.Column('amount_per_employee_cents', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq'), sa.UniqueConstraint('id'))
    op.create_index('ix_shared_plans_network_id', 'shared_plans', ['network_id'])
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('template_id', sa.String(length=36), nullable=True))
        batch.create_unique_constraint('uq_plans_company_template',
                                       ['company_id', 'template_id'])


def downgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.drop_constraint('uq_plans_company_template', type_='unique')
        batch.drop_column('template_id')
    op.drop_table('shared_plans')
    op.drop_table('network_memberships')
    op.drop_table('networks')
