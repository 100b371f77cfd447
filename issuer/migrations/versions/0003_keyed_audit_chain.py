"""The audit chain is keyed from the next event on.

``audit_head.keyed_from_seq`` records the first event linked with HMAC-SHA-256 and the audit key (which
is not in the database, so this migration cannot re-chain older events): the next sequence number.
Events already written stay verifiable as the plain SHA-256 chain they are; a new database is keyed
from its first event.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keyed_from_seq", sa.BigInteger(), nullable=True))
    op.execute("UPDATE audit_head SET keyed_from_seq = seq + 1")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.alter_column("keyed_from_seq", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("keyed_from_seq")
