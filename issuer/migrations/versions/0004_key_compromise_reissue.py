"""A compromised key's copies can be revoked one by one and their records re-issued exactly once.

* ``status_slot.revoked_at`` — a copy revoked on its own (its signing key was declared compromised), whatever
  its record's status; null for every existing slot (nothing was revoked that way before).
* ``credential_copy.issuer_kid`` gets an index: the copies a key signed are found by kid. The kid has been stored
  with every copy since the first migration (non-null), so there is nothing to backfill.
* ``key_reissue`` — one row per (compromised kid, record) with the offer made to re-issue it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("credential_copy", schema=None) as batch_op:
        batch_op.create_index("ix_credential_copy_issuer_kid", ["issuer_kid"], unique=False)
    op.create_table(
        "key_reissue",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("diploma_id", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", "diploma_id"),
    )


def downgrade() -> None:
    op.drop_table("key_reissue")
    with op.batch_alter_table("credential_copy", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_copy_issuer_kid")
    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
