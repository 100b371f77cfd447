"""Indexes for the walks that grow with a session: the deliberation's batches and an academy's complaint queue.

* ``exam_candidate (session, id)``: the deliberation reads a session's candidates in id order, batch after batch;
  without it SQLite chose the (session, school) index and sorted the whole session for every batch (quadratic:
  500,000 candidates deliberated at a quarter of the speed of 20,000).
* ``exam_complaint.academy_code`` (the candidate's, copied from the registry) with ``(session, academy_code, id)``:
  an academy's queue is read from its own complaints instead of every complaint of the session.

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
    op.create_index("ix_exam_candidate_session_id", "exam_candidate", ["session", "id"], unique=False)
    with op.batch_alter_table("exam_complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("academy_code", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE exam_complaint SET academy_code = "
        "(SELECT c.academy_code FROM exam_candidate c WHERE c.id = exam_complaint.candidate_id)"
    )
    with op.batch_alter_table("exam_complaint", schema=None) as batch_op:
        batch_op.alter_column("academy_code", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_index("ix_exam_complaint_academy", ["session", "academy_code", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exam_complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_exam_complaint_academy")
        batch_op.drop_column("academy_code")
    op.drop_index("ix_exam_candidate_session_id", table_name="exam_candidate")
