"""sign-ups recorded before the service that keeps the record is asked

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 21:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signups',
        sa.Column('key', sa.String(length=260), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('call', sa.JSON(), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('invite_name', sa.String(length=200), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_signups_pending', 'signups', ['created_at'],
                    postgresql_where=sa.text("status = 'pending'"),
                    sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_signups_pending', 'signups')
    op.drop_table('signups')
