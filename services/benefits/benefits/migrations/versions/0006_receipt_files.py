"""receipts kept in the database (two replicas, read-only root file systems)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'receipt_files',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'))


def downgrade() -> None:
    op.drop_table('receipt_files')
