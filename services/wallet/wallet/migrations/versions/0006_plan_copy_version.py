"""the wallet's copy of a plan knows which version of it it holds (plans change:
PATCH /plans/{id}), so that an older copy arriving late does not undo a change

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.drop_column('version')
