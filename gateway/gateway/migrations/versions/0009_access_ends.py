"""how access ends: accounts disabled (by an operator) or removed (by an HR colleague),
and employees who left (read-only until access_until)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('disabled_by', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('disabled_reason', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('access_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        for column in ('access_until', 'left_at', 'disabled_reason', 'disabled_by',
                       'disabled_at'):
            batch.drop_column(column)
