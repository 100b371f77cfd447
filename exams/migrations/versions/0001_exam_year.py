"""The exam year's first schema: sessions, imports, the candidate registry, personal-data checks and corrections,
marks (hundredths of a point) and deliberation results.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exam_candidate",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("cnie", sa.String(length=16), nullable=False),
        sa.Column("massar_code", sa.String(length=16), nullable=False),
        sa.Column("family_name_ar", sa.String(length=200), nullable=False),
        sa.Column("family_name_lat", sa.String(length=200), nullable=False),
        sa.Column("given_name_ar", sa.String(length=200), nullable=False),
        sa.Column("given_name_lat", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("birth_place_ar", sa.String(length=200), nullable=False),
        sa.Column("birth_place_lat", sa.String(length=200), nullable=False),
        sa.Column("stream_code", sa.String(length=16), nullable=False),
        sa.Column("stream_ar", sa.String(length=200), nullable=False),
        sa.Column("stream_fr", sa.String(length=200), nullable=False),
        sa.Column("option_language", sa.String(length=8), nullable=False),
        sa.Column("school_code", sa.String(length=32), nullable=False),
        sa.Column("school_ar", sa.String(length=200), nullable=False),
        sa.Column("school_fr", sa.String(length=200), nullable=False),
        sa.Column("directorate_code", sa.String(length=32), nullable=False),
        sa.Column("directorate_ar", sa.String(length=200), nullable=False),
        sa.Column("directorate_fr", sa.String(length=200), nullable=False),
        sa.Column("academy_code", sa.String(length=8), nullable=False),
        sa.Column("academy_ar", sa.String(length=200), nullable=False),
        sa.Column("academy_fr", sa.String(length=200), nullable=False),
        sa.Column("exam_centre_code", sa.String(length=32), nullable=False),
        sa.Column("exam_centre_ar", sa.String(length=200), nullable=False),
        sa.Column("exam_centre_fr", sa.String(length=200), nullable=False),
        sa.Column("candidate_type", sa.String(length=16), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session", "cnie", name="uq_exam_candidate_session_cnie"),
        sa.UniqueConstraint("session", "massar_code", name="uq_exam_candidate_session_massar"),
    )
    op.create_index("ix_exam_candidate_academy", "exam_candidate", ["session", "academy_code"], unique=False)
    op.create_index("ix_exam_candidate_school", "exam_candidate", ["session", "school_code"], unique=False)
    op.create_table(
        "exam_correction",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("current", sa.Text(), nullable=False),
        sa.Column("proposed", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exam_correction_candidate", "exam_correction", ["candidate_id"], unique=False)
    op.create_index("ix_exam_correction_state", "exam_correction", ["state"], unique=False)
    op.create_table(
        "exam_data_state",
        sa.Column("candidate_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("candidate_id"),
    )
    op.create_table(
        "exam_import",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_exam_import_session"), "exam_import", ["session"], unique=False)
    op.create_table(
        "exam_mark",
        sa.Column("candidate_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("exam", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=8), nullable=False),
        sa.Column("mark_centi", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("candidate_id", "exam", "subject"),
    )
    op.create_table(
        "exam_result",
        sa.Column("candidate_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("average_centi", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("mention", sa.String(length=16), nullable=True),
        sa.Column("catch_up_average_centi", sa.Integer(), nullable=True),
        sa.Column("catch_up_decision", sa.String(length=16), nullable=True),
        sa.Column("catch_up_mention", sa.String(length=16), nullable=True),
        sa.Column("graduate_id", sa.BigInteger(), nullable=True),
        sa.Column("deliberated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("catch_up_deliberated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("candidate_id"),
    )
    op.create_index("ix_exam_result_session", "exam_result", ["session", "candidate_id"], unique=False)
    op.create_table(
        "exam_session",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("deliberated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("catch_up_deliberated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("catch_up_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("exam_session")
    op.drop_table("exam_result")
    op.drop_table("exam_mark")
    op.drop_table("exam_import")
    op.drop_table("exam_data_state")
    op.drop_table("exam_correction")
    op.drop_table("exam_candidate")
