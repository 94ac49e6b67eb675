"""a grant is recorded before the wallet moves its money: `pending` with whom it is
for, then `done` with the wallet's transaction (every earlier grant is done)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grants') as batch:  # SQLite alters a column by a copy
        batch.add_column(sa.Column('status', sa.String(12), nullable=False,
                                   server_default='done'))
        batch.add_column(sa.Column('employee_ids', sa.JSON(), nullable=True))
        batch.alter_column('total_cents', existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column('transaction_id', existing_type=sa.String(36), nullable=True)
    op.create_index('ix_grants_pending', 'grants', ['created_at'],
                    postgresql_where=sa.text("status = 'pending'"),
                    sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_grants_pending', 'grants')
    with op.batch_alter_table('grants') as batch:
        batch.alter_column('transaction_id', existing_type=sa.String(36), nullable=False)
        batch.alter_column('total_cents', existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column('employee_ids')
        batch.drop_column('status')
