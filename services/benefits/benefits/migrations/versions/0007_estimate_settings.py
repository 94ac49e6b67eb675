"""what salary-equivalent estimates assume for a company's people: its contribution
rate, its surcharges, its income band (each null: the defaults)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('companies') as batch:
        batch.add_column(sa.Column('inps_employee_bps', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('surcharges_bps', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('estimate_band', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('companies') as batch:
        batch.drop_column('estimate_band')
        batch.drop_column('surcharges_bps')
        batch.drop_column('inps_employee_bps')
