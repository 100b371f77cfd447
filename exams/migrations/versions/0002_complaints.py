"""Complaints about material errors in a mark (``exam_complaint``) and the session's complaint window.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
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
    op.create_table(
        "exam_complaint",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), nullable=False),
        sa.Column("exam", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("original_mark_centi", sa.Integer(), nullable=False),
        sa.Column("new_mark_centi", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("old_record", sa.String(length=64), nullable=True),
        sa.Column("new_record", sa.String(length=64), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id", "subject", name="uq_exam_complaint_candidate_subject"),
    )
    with op.batch_alter_table("exam_complaint", schema=None) as batch_op:
        batch_op.create_index("ix_exam_complaint_queue", ["session", "state", "id"], unique=False)

    with op.batch_alter_table("exam_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complaints_open_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("complaints_close_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exam_session", schema=None) as batch_op:
        batch_op.drop_column("complaints_close_at")
        batch_op.drop_column("complaints_open_at")
    op.drop_table("exam_complaint")
