"""Indexes that bulk record creation appends to instead of scattering into.

* ``graduate (session, id)``: ``cohort issue`` walks a session in id order without sorting it.
* ``status_slot (graduate_id, version)`` replaces the index on ``diploma_id``: a slot's owner is found by
  the record's natural key, which grows with the cohort, rather than by the random credential id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("graduate", schema=None) as batch_op:
        batch_op.create_index("ix_graduate_session_id", ["session", "id"], unique=False)

    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("graduate_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE status_slot SET "
        "graduate_id = (SELECT d.graduate_id FROM diploma d WHERE d.id = status_slot.diploma_id), "
        "version = (SELECT d.version FROM diploma d WHERE d.id = status_slot.diploma_id)"
    )
    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.alter_column("graduate_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("ix_status_slot_diploma")
        batch_op.create_index("ix_status_slot_owner", ["graduate_id", "version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_status_slot_owner")
        batch_op.create_index("ix_status_slot_diploma", ["diploma_id"], unique=False)
        batch_op.drop_column("version")
        batch_op.drop_column("graduate_id")
    with op.batch_alter_table("graduate", schema=None) as batch_op:
        batch_op.drop_index("ix_graduate_session_id")
