"""The candidate registry of a session: the import of a candidates file, and the candidate as the portal reads it.

:func:`import_candidates` is all-or-nothing with the issuer's row report (:mod:`exams.imports`): every row checked
(:mod:`exams.candidates_file`), a CNIE number or Massar code seen twice in the file or already registered for the
session refused with the row, then every candidate written in one transaction with one audit event
(``exam.candidates_import``: counts and the file's digest, no personal data). :func:`candidate_of` is the portal's
read: one candidate by session and CNIE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

import schemas
from exams.candidates_file import CheckedCandidate, check_header, check_row
from exams.errors import InputError, NotFoundError
from exams.imports import ImportRun, ImportSummary, RowProblem, data_rows, open_source, read_header, write_checked
from exams.models import CandidateRow, table
from issuer.cohort_file import ExamSession, SourceLines, UnusableFileError
from issuer.db import reading

_INSERT_BATCH: Final = 2_000


@dataclass(frozen=True)
class Candidate:
    """A registered candidate: every field of the candidates file. Its ``repr`` shows no personal data."""

    id: int
    session: str
    cnie: str
    massar_code: str
    family_name_ar: str
    family_name_lat: str
    given_name_ar: str
    given_name_lat: str
    birth_date: date
    birth_place_ar: str
    birth_place_lat: str
    stream_code: str
    stream_ar: str
    stream_fr: str
    option_language: str
    school_code: str
    school_ar: str
    school_fr: str
    directorate_code: str
    directorate_ar: str
    directorate_fr: str
    academy_code: str
    academy_ar: str
    academy_fr: str
    exam_centre_code: str
    exam_centre_ar: str
    exam_centre_fr: str
    candidate_type: str

    def __repr__(self) -> str:
        return f"Candidate(id={self.id}, session={self.session!r}, stream={self.stream_code!r})"

    @classmethod
    def of_row(cls, row: CandidateRow) -> Candidate:
        assert row.id is not None
        return cls(**{item.name: getattr(row, item.name) for item in fields(cls)})


def session_name(text: str) -> str:
    """A session name checked (``YYYY-normale|rattrapage``); raises :class:`InputError` ``session.invalid``."""
    return str(ExamSession.parse(text))


def candidate_of(engine: Engine, *, session: str, cnie: str) -> Candidate | None:
    """The candidate registered for ``session`` with this CNIE number, or None."""
    with reading(engine) as db:
        return lookup(db, session=session, cnie=cnie)


def lookup(db: Session, *, session: str, cnie: str) -> Candidate | None:
    """:func:`candidate_of` inside an open session."""
    row = db.execute(
        select(CandidateRow).where(
            col(CandidateRow.session) == session, col(CandidateRow.cnie) == schemas.normalise_identifier(cnie)
        )
    ).scalar_one_or_none()
    return None if row is None else Candidate.of_row(row)


def require(db: Session, *, session: str, cnie: str) -> Candidate:
    """The candidate, or :class:`NotFoundError` ``candidate.unknown`` (the CNIE withheld)."""
    found = lookup(db, session=session, cnie=cnie)
    if found is None:
        raise NotFoundError(
            f"no candidate with this CNIE number is registered for {session}",
            code="candidate.unknown",
            found="a CNIE number not in the registry (value withheld)",
            expected=f"a candidate imported with `tawtiq exam candidates import FILE --session {session}`",
        )
    return found


def import_candidates(
    engine: Engine,
    *,
    path: Path,
    session: str,
    actor: str,
    now: datetime,
    report: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Register the candidates of ``path`` for ``session``, all or nothing (see the module docstring).

    Returns the summary of the committed import. Raises :class:`exams.imports.ImportRefusedError` (with the summary
    and its report) when any row has a problem; :class:`InputError` ``import.unreadable``, ``import.changed`` (the
    file changed between the check and the write) or ``import.concurrent`` (another import registered some of
    these candidates meanwhile).
    """
    name = session_name(session)
    run = ImportRun.start(path, session=name, report=report)
    try:
        return _import(engine, run, actor=actor, now=now, progress=progress)
    except BaseException:
        run.writer.abandon()
        raise


def _import(
    engine: Engine, run: ImportRun, *, actor: str, now: datetime, progress: Callable[[int], None] | None
) -> ImportSummary:
    rows = table(CandidateRow)
    with reading(engine) as db:
        registered_cnie = set(db.execute(select(rows.c.cnie).where(rows.c.session == run.session)).scalars())
        registered_massar = set(db.execute(select(rows.c.massar_code).where(rows.c.session == run.session)).scalars())
    # (1) Check every row; nothing is written.
    with open_source(run.path, what="candidates") as handle:
        run.source = SourceLines(handle)
        try:
            header = read_header(run.source, check_header)
            first_cnie: dict[str, int] = {}
            first_massar: dict[str, int] = {}
            for row_number, cells in data_rows(run.source, header):
                run.rows += 1
                if isinstance(cells, RowProblem):
                    run.add(cells)
                    continue
                checked, problems = check_row(row_number, cells)
                for problem in problems:
                    run.add(problem)
                if checked is not None:
                    _duplicates(run, row_number, checked, first_cnie, first_massar, registered_cnie, registered_massar)
                if progress is not None and run.rows % 10_000 == 0:
                    progress(run.rows)
        except UnusableFileError as exc:
            raise run.refuse_file(exc) from None
    if run.writer.count:
        raise run.refuse()

    # (2) Write every row, the import's record and its audit event, in one transaction.
    def values(row_number: int, cells: dict[str, str], import_id: int) -> dict[str, Any]:
        checked, _ = check_row(row_number, cells)
        assert checked is not None, "the first pass refused every row with a problem"
        return {
            **checked.values,
            "session": run.session,
            "import_id": import_id,
            "row_number": row_number,
            "created_at": now,
        }

    return write_checked(
        engine,
        run,
        kind="candidates",
        into=rows,
        check_header=check_header,
        values=values,
        batch_size=_INSERT_BATCH,
        actor=actor,
        now=now,
        concurrent=InputError(
            "nothing was imported: another import registered some of these candidates meanwhile; import again",
            code="import.concurrent",
            found="a CNIE number or Massar code registered for the session while this import was checking",
            expected="one import of a candidate at a time",
        ),
    )


def _duplicates(
    run: ImportRun,
    row_number: int,
    checked: CheckedCandidate,
    first_cnie: dict[str, int],
    first_massar: dict[str, int],
    registered_cnie: set[str],
    registered_massar: set[str],
) -> None:
    for column, label, value, first, registered in (
        ("cnie", "CNIE number", checked.cnie, first_cnie, registered_cnie),
        ("massarCode", "Massar code", checked.massar_code, first_massar, registered_massar),
    ):
        if value in registered:
            run.add(
                RowProblem(
                    row_number,
                    column,
                    f"a {label} already registered for {run.session} (value withheld)",
                    f"a candidate not yet registered for {run.session}",
                    f"{column}: found a {label} already registered for {run.session}, expected a new candidate",
                )
            )
        elif value in first:
            run.add(
                RowProblem(
                    row_number,
                    column,
                    f"the {label} of row {first[value]} (value withheld)",
                    f"a {label} not already in the file",
                    f"{column}: found the {label} of row {first[value]} again, expected one row per candidate",
                )
            )
        else:
            first[value] = row_number


def candidate_counts(engine: Engine, *, session: str) -> dict[str, int]:
    """How many candidates a session has, by type."""
    rows = table(CandidateRow)
    with reading(engine) as db:
        counts = dict(
            db.execute(
                select(rows.c.candidate_type, func.count())
                .where(rows.c.session == session)
                .group_by(rows.c.candidate_type)
            ).all()
        )
    return {"enrolled": int(counts.get("enrolled", 0)), "free": int(counts.get("free", 0))}
