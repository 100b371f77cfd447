"""The exam year's tables (SQLModel), in the ministry's database beside the issuer's; the Alembic migrations in
``exams/migrations`` create them (version table ``exams_alembic_version``).

* ``exam_session`` — one row per session: when it was deliberated (normal and catch-up stages) and the instants
  its results are published.
* ``exam_import`` — an import of a candidates or marks file (its digest and figures, no personal data).
* ``exam_candidate`` — the registry: one candidate per session and CNIE (and per session and Massar code), with
  every field of the candidates file.
* ``exam_data_state`` / ``exam_correction`` — the candidate's check of their personal data and the corrections
  they ask for, decided by a reviewer.
* ``exam_mark`` — one mark per candidate, exam and subject, in hundredths of a point (exact integers: 13.75 is
  1375).
* ``exam_complaint`` — complaints about material errors in a mark, their review and decision, and what the
  correction did to the candidate's diploma record.
* ``exam_result`` — the deliberation's outcome per candidate: averages in hundredths, the decision and mention of
  the normal stage, the catch-up stage's when there is one, and the issuer ``graduate`` row of an admitted one.

Times are aware UTC datetimes (:class:`issuer.models.UTCDateTime`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import BigInteger, Column, Date, Index, Integer, Table, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from issuer.models import BIG_ID, UTCDateTime

#: The exam year's own registry, so its metadata holds its tables only.
exams_registry = registry()


class ExamTable(SQLModel, registry=exams_registry):
    """Base of the exam year's tables."""


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class ExamSessionRow(ExamTable, table=True):
    __tablename__ = "exam_session"

    name: str = Field(primary_key=True, max_length=32)
    deliberated_at: datetime | None = _when(nullable=True)
    catch_up_deliberated_at: datetime | None = _when(nullable=True)
    published_at: datetime | None = _when(nullable=True)
    catch_up_published_at: datetime | None = _when(nullable=True)
    #: The complaint window when set explicitly (``tawtiq exam complaints``); else publication + 3 days.
    complaints_open_at: datetime | None = _when(nullable=True)
    complaints_close_at: datetime | None = _when(nullable=True)


class ExamImport(ExamTable, table=True):
    __tablename__ = "exam_import"

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    session: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=16)
    source_name: str = Field(max_length=255)
    source_sha256: str = Field(max_length=64)
    rows_total: int = 0
    rows_imported: int = 0
    imported_at: datetime = _when()
    actor: str = Field(max_length=200)


class CandidateRow(ExamTable, table=True):
    __tablename__ = "exam_candidate"
    __table_args__ = (
        UniqueConstraint("session", "cnie", name="uq_exam_candidate_session_cnie"),
        UniqueConstraint("session", "massar_code", name="uq_exam_candidate_session_massar"),
        Index("ix_exam_candidate_school", "session", "school_code"),
        Index("ix_exam_candidate_academy", "session", "academy_code"),
        Index("ix_exam_candidate_session_id", "session", "id"),  # the deliberation walks a session in id order
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    session: str = Field(max_length=32)
    cnie: str = Field(max_length=16)
    massar_code: str = Field(max_length=16)
    family_name_ar: str = Field(max_length=200)
    family_name_lat: str = Field(max_length=200)
    given_name_ar: str = Field(max_length=200)
    given_name_lat: str = Field(max_length=200)
    birth_date: date = Field(sa_column=Column(Date(), nullable=False))
    birth_place_ar: str = Field(max_length=200)
    birth_place_lat: str = Field(max_length=200)
    stream_code: str = Field(max_length=16)
    stream_ar: str = Field(max_length=200)
    stream_fr: str = Field(max_length=200)
    option_language: str = Field(max_length=8)
    school_code: str = Field(max_length=32)
    school_ar: str = Field(max_length=200)
    school_fr: str = Field(max_length=200)
    directorate_code: str = Field(max_length=32)
    directorate_ar: str = Field(max_length=200)
    directorate_fr: str = Field(max_length=200)
    academy_code: str = Field(max_length=8)
    academy_ar: str = Field(max_length=200)
    academy_fr: str = Field(max_length=200)
    exam_centre_code: str = Field(max_length=32)
    exam_centre_ar: str = Field(max_length=200)
    exam_centre_fr: str = Field(max_length=200)
    candidate_type: str = Field(max_length=16)
    import_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    row_number: int = Field(sa_column=Column(BigInteger(), nullable=False))
    created_at: datetime = _when()


class DataStateRow(ExamTable, table=True):
    """A candidate's check of their personal data; no row means ``unconfirmed``."""

    __tablename__ = "exam_data_state"

    candidate_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    state: str = Field(max_length=24)
    changed_at: datetime = _when()


class CorrectionRow(ExamTable, table=True):
    __tablename__ = "exam_correction"
    __table_args__ = (
        Index("ix_exam_correction_candidate", "candidate_id"),
        Index("ix_exam_correction_state", "state"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    candidate_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    field: str = Field(max_length=32)
    current: str = Field(sa_column=Column(Text(), nullable=False))
    proposed: str = Field(sa_column=Column(Text(), nullable=False))
    comment: str = Field(sa_column=Column(Text(), nullable=False))
    state: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    reviewer: str | None = Field(default=None, max_length=200)
    requested_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)


class MarkRow(ExamTable, table=True):
    __tablename__ = "exam_mark"

    candidate_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    exam: str = Field(primary_key=True, max_length=16)
    subject: str = Field(primary_key=True, max_length=8)
    mark_centi: int = Field(sa_column=Column(Integer(), nullable=False))
    import_id: int = Field(sa_column=Column(BigInteger(), nullable=False))


class ResultRow(ExamTable, table=True):
    __tablename__ = "exam_result"
    __table_args__ = (Index("ix_exam_result_session", "session", "candidate_id"),)

    candidate_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    session: str = Field(max_length=32)
    average_centi: int = Field(sa_column=Column(Integer(), nullable=False))
    decision: str = Field(max_length=16)
    mention: str | None = Field(default=None, max_length=16)
    catch_up_average_centi: int | None = Field(default=None, sa_column=Column(Integer(), nullable=True))
    catch_up_decision: str | None = Field(default=None, max_length=16)
    catch_up_mention: str | None = Field(default=None, max_length=16)
    graduate_id: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    deliberated_at: datetime = _when()
    catch_up_deliberated_at: datetime | None = _when(nullable=True)


class ComplaintRow(ExamTable, table=True):
    """A complaint about a material error in one mark; one per candidate and subject."""

    __tablename__ = "exam_complaint"
    __table_args__ = (
        UniqueConstraint("candidate_id", "subject", name="uq_exam_complaint_candidate_subject"),
        Index("ix_exam_complaint_queue", "session", "state", "id"),
        Index("ix_exam_complaint_academy", "session", "academy_code", "id"),  # an academy's queue
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    session: str = Field(max_length=32)
    candidate_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    #: The candidate's academy, copied when the complaint is filed (not a contestable field), for the queue's index.
    academy_code: str = Field(max_length=8)
    exam: str = Field(max_length=16)
    subject: str = Field(max_length=8)
    kind: str = Field(max_length=24)
    comment: str = Field(sa_column=Column(Text(), nullable=False))
    state: str = Field(max_length=16)
    original_mark_centi: int = Field(sa_column=Column(Integer(), nullable=False))
    new_mark_centi: int | None = Field(default=None, sa_column=Column(Integer(), nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    reviewer: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=24)
    old_record: str | None = Field(default=None, max_length=64)
    new_record: str | None = Field(default=None, max_length=64)
    filed_at: datetime = _when()
    review_started_at: datetime | None = _when(nullable=True)
    decided_at: datetime | None = _when(nullable=True)


class ScholarshipRow(ExamTable, table=True):
    """A scholarship application; one per candidate and session. ``province`` is the candidate's directorate code
    when the application was created (the officers' scope)."""

    __tablename__ = "exam_scholarship"
    __table_args__ = (
        UniqueConstraint("session", "candidate_id", name="uq_exam_scholarship_session_candidate"),
        Index("ix_exam_scholarship_queue", "session", "province", "state", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    session: str = Field(max_length=32)
    candidate_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    province: str = Field(max_length=32)
    family_situation: str | None = Field(default=None, max_length=40)
    income_bracket: str | None = Field(default=None, max_length=40)
    siblings: int | None = Field(default=None, sa_column=Column(Integer(), nullable=True))
    establishment: str | None = Field(default=None, max_length=40)
    state: str = Field(max_length=16)
    eligible: bool | None = Field(default=None)
    #: The eligibility reasons' codes found at submission, space-separated.
    reasons: str | None = Field(default=None, max_length=200)
    decision_reason: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    officer: str | None = Field(default=None, max_length=200)
    created_at: datetime = _when()
    updated_at: datetime = _when()
    submitted_at: datetime | None = _when(nullable=True)
    review_started_at: datetime | None = _when(nullable=True)
    decided_at: datetime | None = _when(nullable=True)


metadata: Final = exams_registry.metadata


def table(model: type[ExamTable]) -> Table:
    """The SQLAlchemy table of a model (for Core statements)."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found
