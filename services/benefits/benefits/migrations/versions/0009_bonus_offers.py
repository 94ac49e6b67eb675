"""performance-bonus offers and each employee's choice; a grant's offer and the
wallet's last refusal of it; the year's bonus paid in cash at the substitute tax

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bonus_offers',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('company_id', sa.String(length=36), nullable=False),
        sa.Column('plan_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('agreement', sa.String(length=300), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('employee_count', sa.Integer(), nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_bonus_offers_company_id', 'bonus_offers', ['company_id'])
    op.create_index('ix_bonus_offers_open', 'bonus_offers', ['deadline'],
                    postgresql_where=sa.text("status <> 'settled'"),
                    sqlite_where=sa.text("status <> 'settled'"))
    op.create_table(
        'bonus_choices',
        sa.Column('offer_id', sa.String(length=36), nullable=False),
        sa.Column('employee_id', sa.String(length=36), nullable=False),
        sa.Column('welfare_cents', sa.BigInteger(), nullable=True),
        sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('granted_welfare_cents', sa.BigInteger(), nullable=True),
        sa.Column('cash_cents', sa.BigInteger(), nullable=True),
        sa.Column('at_substitute_tax_cents', sa.BigInteger(), nullable=True),
        sa.Column('contributions_cents', sa.BigInteger(), nullable=True),
        sa.Column('substitute_tax_base_cents', sa.BigInteger(), nullable=True),
        sa.Column('substitute_tax_cents', sa.BigInteger(), nullable=True),
        sa.Column('ordinary_cents', sa.BigInteger(), nullable=True),
        sa.Column('grant_id', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('offer_id', 'employee_id'),
    )
    op.create_index('ix_bonus_choices_employee_id', 'bonus_choices', ['employee_id'])
    with op.batch_alter_table('grants') as batch:
        batch.add_column(sa.Column('offer_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('problem', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('choice_record', sa.String(length=300), nullable=True))
    op.create_index('ix_grants_offer_id', 'grants', ['offer_id'])
    with op.batch_alter_table('bonus_conversions') as batch:
        batch.add_column(sa.Column('cash_cents', sa.BigInteger(), nullable=False,
                                   server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('bonus_conversions') as batch:
        batch.drop_column('cash_cents')
    op.drop_index('ix_grants_offer_id', 'grants')
    with op.batch_alter_table('grants') as batch:
        batch.drop_column('choice_record')
        batch.drop_column('problem')
        batch.drop_column('offer_id')
    op.drop_index('ix_bonus_choices_employee_id', 'bonus_choices')
    op.drop_table('bonus_choices')
    op.drop_index('ix_bonus_offers_open', 'bonus_offers')
    op.drop_index('ix_bonus_offers_company_id', 'bonus_offers')
    op.drop_table('bonus_offers')
