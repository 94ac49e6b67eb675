"""an employee's own approximate income, kept with their account for the estimates
of what their welfare is worth

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


def upgrade() -> None:
    op.create_table(
        'income_estimates',
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('income_cents', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('income_estimates')
