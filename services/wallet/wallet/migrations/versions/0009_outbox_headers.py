"""the outbox keeps the headers an event is published with (its trace context, its
request id): docs/operations.md#traces. A nullable column: code before it ignores it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('headers')
