"""Post-baccalaureate scholarship applications (``exam_scholarship``).

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
    op.create_table(
        "exam_scholarship",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), nullable=False),
        sa.Column("province", sa.String(length=32), nullable=False),
        sa.Column("family_situation", sa.String(length=40), nullable=True),
        sa.Column("income_bracket", sa.String(length=40), nullable=True),
        sa.Column("siblings", sa.Integer(), nullable=True),
        sa.Column("establishment", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("reasons", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("officer", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session", "candidate_id", name="uq_exam_scholarship_session_candidate"),
    )
    with op.batch_alter_table("exam_scholarship", schema=None) as batch_op:
        batch_op.create_index("ix_exam_scholarship_queue", ["session", "province", "state", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("exam_scholarship")
