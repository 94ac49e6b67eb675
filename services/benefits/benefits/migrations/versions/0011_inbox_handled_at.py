"""the inbox indexed by when each event was handled: the hourly pruning of records past
their retention (wecare_common.inbox.prune_handled) finds them without reading the whole
inbox. An expand step (docs/operations.md#upgrades): built CONCURRENTLY, so the version
still serving keeps recording events while it builds; code before it ignores it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 08:00:00
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # outside a transaction: PostgreSQL builds an index CONCURRENTLY only so
    with op.get_context().autocommit_block():
        op.create_index('ix_inbox_handled_at', 'inbox', ['handled_at'],
                        postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_inbox_handled_at', 'inbox', postgresql_concurrently=True)
