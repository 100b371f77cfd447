"""Cohort import: deliberated results in a CSV file become graduates, all-or-nothing, with a row-level report.

The file's format and the checks of each row are :mod:`issuer.cohort_file`'s; the report is
:mod:`issuer.import_report`'s. An import runs in four steps:

1. **parse** the header (an unusable file is refused before anything is staged);
2. **check** every row (the complete diploma schema, a CNIE, an admitted average, a mention that agrees),
   each problem going to the row report;
3. **stage** the valid rows in ``import_row`` under the import's own run number, in batches, each committed
   on its own (a short write lock), then look for duplicate CNIE numbers and Massar codes, within the file and
   among the graduates already imported for the session (reads only);
4. **publish**: in one short transaction, record the import, copy the staged rows to ``graduate`` with one
   set-based statement and append one audit event.

Why staged: the live issuer writes to the same database, and SQLite has a single write lock. Checking and staging
take nearly all of an import's time, so they run outside any long transaction and the service's writes interleave
with the staging batches; the lock is held for long only by the publication, one ``INSERT … SELECT`` (4.8 s for
100,000 rows on SQLite on a busy 2-core machine, of a 126 s import; a request that waits longer than the service's 5
s busy timeout answers 503 with ``Retry-After``). Staged rows belong to a run, not to an import: nothing reads them
but the import itself, so an import that fails or is interrupted leaves nothing visible. Its staged rows are deleted
when it fails, or, if the process died, by the next import once the run is :data:`STALE_RUN_HOURS` old. The same
code runs on PostgreSQL, where it also keeps transactions short.

All-or-nothing: if any row has a problem, nothing is written (unless ``skip_invalid``, which imports the
valid rows). Either way every problem is reported as ``(row, field, found, expected, message)`` — row 1 is
the header, data starts at row 2 — streamed to a CSV or JSON report, so memory stays flat whatever the
file's size. Personal identifiers are never echoed in a report (``found`` says "a string of 8 characters
(value withheld)"). Two imports of the same graduates at once: the second to publish is refused
(``import.concurrent``) and writes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

import schemas
from issuer import audit
from issuer.cohort_file import (
    ALL_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ExamSession,
    Header,
    RowChecker,
    SourceLines,
    UnusableFileError,
    canonical_subject,
    data_rows,
    read_header,
)
from issuer.db import affected, bind_time, reading, snapshot, writing
from issuer.errors import InputError
from issuer.import_report import ReportWriter, RowProblem
from issuer.models import CohortImport, ImportRow, table

__all__ = [
    "ALL_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ExamSession",
    "ImportRefusedError",
    "ImportSummary",
    "RowProblem",
    "cohort_counts",
    "import_cohort",
]

_STAGE_BATCH: Final = 2_000
#: Staged rows deleted per transaction when a run is cleaned up.
_DISCARD_BATCH: Final = 5_000
#: Hours after which the staged rows of a run that never finished (its process died) are deleted.
STALE_RUN_HOURS: Final = 6
#: Run numbers are negative (never an import's id): ``-(start second × _RUN_SPREAD + random)``.
_RUN_SPREAD: Final = 1_000_000


@dataclass(frozen=True)
class ImportSummary:
    """What an import did. ``committed`` is false when it was refused (all-or-nothing)."""

    session: str
    source: str
    source_sha256: str
    rows: int
    valid_rows: int
    imported: int
    rejected_rows: int
    problems: int
    committed: bool
    report: Path | None
    first_problems: tuple[RowProblem, ...]
    import_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "imported": self.imported,
            "rejected_rows": self.rejected_rows,
            "problems": self.problems,
            "committed": self.committed,
            "report": str(self.report) if self.report else None,
            "import_id": self.import_id,
        }


class ImportRefusedError(InputError):
    """The file had problems and ``skip_invalid`` was not given: nothing was imported (see ``import_summary``)."""

    default_code = "import.refused"

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__(
            f"nothing was imported: {summary.problems} problem(s) in {summary.rejected_rows} row(s); "
            + (f"see the report {summary.report}" if summary.report else "see the problems listed"),
            found=f"{summary.rejected_rows} invalid row(s) of {summary.rows}",
            expected="every row valid, or --skip-invalid to import the valid rows",
        )
        self.import_summary = summary


# ------------------------------------------------------------------------------------------- import


def import_cohort(
    engine: Engine,
    *,
    path: Path,
    session: ExamSession,
    actor: str,
    now: datetime,
    skip_invalid: bool = False,
    report: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import ``path`` for ``session`` (see the module docstring). Returns the summary of a committed import.

    Raises :class:`ImportRefusedError` (with the summary) when rows had problems and ``skip_invalid`` is
    false, or the header is unusable; :class:`InputError` ``import.unreadable`` when the file cannot be
    read, ``import.report_unwritable`` when the report cannot be written. The report goes to ``report``
    (``.csv`` or ``.json``), by default ``<file>.report.csv`` beside the input, and is written only when
    there are problems, readable by its owner only (mode 0600).
    """
    report_path = report if report is not None else path.with_name(path.name + ".report.csv")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(
            "cannot read the cohort file",
            code="import.unreadable",
            found=f"{path}: {exc.strerror}",
            expected="a readable CSV file",
        ) from exc
    with handle:
        writer = ReportWriter(report_path)
        try:
            run = _ImportRun(path=path, session=session, source=SourceLines(handle), writer=writer)
            return _import(engine, run, actor=actor, now=now, skip_invalid=skip_invalid, progress=progress)
        except BaseException:
            writer.abandon()
            raise


@dataclass
class _ImportRun:
    """What one import has read and reported so far, and how it sums it up."""

    path: Path
    session: ExamSession
    source: SourceLines
    writer: ReportWriter
    rows: int = 0

    def summary(
        self, *, committed: bool, imported: int = 0, import_id: int | None = None, all_rejected: bool = False
    ) -> ImportSummary:
        """Close the report (kept if it has problems) and sum the import up."""
        rejected = self.rows if all_rejected else len(self.writer.rows)
        report_path = self.writer.finish(
            {
                "session": str(self.session),
                "source": self.path.name,
                "rows": self.rows,
                "imported": imported,
                "problems": self.writer.count,
                "committed": committed,
            },
            keep=self.writer.count > 0,
        )
        return ImportSummary(
            session=str(self.session),
            source=self.path.name,
            source_sha256=self.source.digest.hexdigest(),
            rows=self.rows,
            valid_rows=self.rows - rejected,
            imported=imported,
            rejected_rows=rejected,
            problems=self.writer.count,
            committed=committed,
            report=report_path,
            first_problems=tuple(self.writer.first),
            import_id=import_id,
        )

    def refuse_file(self, error: UnusableFileError) -> ImportRefusedError:
        """The refusal of a file that cannot be read as a cohort: every row counts as rejected."""
        for problem in error.problems:
            self.writer.add(problem)
        return ImportRefusedError(self.summary(committed=False, all_rejected=True))


def _import(
    engine: Engine,
    run: _ImportRun,
    *,
    actor: str,
    now: datetime,
    skip_invalid: bool,
    progress: Callable[[int], None] | None,
) -> ImportSummary:
    # (1) Parse: an unusable header refuses the file before anything is staged.
    try:
        header = read_header(run.source)
    except UnusableFileError as exc:
        raise run.refuse_file(exc) from None
    _discard_stale_runs(engine, now=now)
    run_id = -(int(now.timestamp()) * _RUN_SPREAD + secrets.randbelow(_RUN_SPREAD))
    try:
        # (2) Check every row, (3) stage the valid ones, then find the duplicates.
        try:
            _stage(engine, run_id=run_id, subjects=_valid_subjects(run, header), run=run, progress=progress)
        except UnusableFileError as exc:
            raise run.refuse_file(exc) from exc.__cause__
        with snapshot(engine) as db:
            duplicates = _duplicates(db, import_id=run_id, session=str(run.session), writer=run.writer)
        if run.writer.count and not skip_invalid:
            raise ImportRefusedError(run.summary(committed=False))
        if duplicates:
            with writing(engine) as db:
                rows = table(ImportRow)
                db.execute(delete(rows).where(rows.c.import_id == run_id, rows.c.row_number.in_(sorted(duplicates))))
        # (4) Publish: record the import and write the graduates, in one short transaction.
        try:
            with writing(engine) as db:
                record = CohortImport(
                    session=str(run.session),
                    source_name=run.path.name[:255],
                    source_sha256="",
                    imported_at=now,
                    actor=actor,
                )
                db.add(record)
                db.flush()
                assert record.id is not None
                imported = _write_graduates(db, run_id=run_id, import_id=record.id, session=str(run.session), now=now)
                result = run.summary(committed=True, imported=imported, import_id=record.id)
                _record_import(db, record, result, actor=actor, now=now, skip_invalid=skip_invalid)
        except IntegrityError as exc:
            raise InputError(
                "nothing was imported: another import wrote some of these graduates meanwhile; import again",
                code="import.concurrent",
                found="a CNIE number or Massar code imported for the session while this import was checking",
                expected="one import of a graduate at a time",
            ) from exc
        return result
    finally:
        _discard_run(engine, run_id)


def _discard_run(engine: Engine, run_id: int) -> None:
    """Delete a run's staged rows, :data:`_DISCARD_BATCH` per transaction (the write lock stays short)."""
    rows = table(ImportRow)
    while True:
        with writing(engine) as db:
            batch = (
                select(rows.c.row_number)
                .where(rows.c.import_id == run_id)
                .order_by(rows.c.row_number)
                .limit(_DISCARD_BATCH)
                .scalar_subquery()
            )
            if not affected(db.execute(delete(rows).where(rows.c.import_id == run_id, rows.c.row_number.in_(batch)))):
                return


def _discard_stale_runs(engine: Engine, *, now: datetime) -> None:
    """Delete the staged rows of runs started over :data:`STALE_RUN_HOURS` ago (their process died)."""
    bound = -(int(now.timestamp() - STALE_RUN_HOURS * 3600) * _RUN_SPREAD)
    rows = table(ImportRow)
    with reading(engine) as db:
        stale = db.execute(
            select(rows.c.import_id).where(rows.c.import_id < 0, rows.c.import_id > bound).distinct()
        ).scalars()
        runs = list(stale)
    for run_id in runs:
        _discard_run(engine, run_id)


def _valid_subjects(run: _ImportRun, header: Header) -> Iterator[tuple[int, schemas.DiplomaSubject]]:
    """Check each data row; report its problems and yield ``(row number, subject)`` for the valid ones."""
    checker = RowChecker(run.session)
    for row_number, row in data_rows(run.source, header):
        run.rows += 1
        if isinstance(row, RowProblem):
            run.writer.add(row)
            continue
        subject, problems = checker.check(row_number, row)
        for problem in problems:
            run.writer.add(problem)
        if subject is not None:
            yield row_number, subject


def _stage(
    engine: Engine,
    *,
    run_id: int,
    subjects: Iterable[tuple[int, schemas.DiplomaSubject]],
    run: _ImportRun,
    progress: Callable[[int], None] | None,
) -> None:
    """Insert the valid rows into ``import_row`` under ``run_id``, :data:`_STAGE_BATCH` per transaction."""
    staged: list[dict[str, Any]] = []

    def flush() -> None:
        if staged:
            with writing(engine) as db:
                db.execute(insert(table(ImportRow)), staged)
            staged.clear()
        if progress is not None:
            progress(run.rows)

    for row_number, subject in subjects:
        staged.append(
            {
                "import_id": run_id,
                "row_number": row_number,
                "cnie": str(subject.cnie),
                "massar_code": str(subject.massar_code),
                "subject": canonical_subject(subject),
            }
        )
        if len(staged) >= _STAGE_BATCH:
            flush()
    flush()


def _write_graduates(db: Session, *, run_id: int, import_id: int, session: str, now: datetime) -> int:
    """Copy the staged rows of ``run_id`` into ``graduate`` as import ``import_id``, in row order; returns how many."""
    return affected(
        db.execute(
            text(
                "INSERT INTO graduate (session, cnie, massar_code, subject, import_id, row_number, created_at) "
                "SELECT :session, cnie, massar_code, subject, :import_id, row_number, :now FROM import_row "
                "WHERE import_id = :run_id ORDER BY row_number"
            ).bindparams(session=session, import_id=import_id, run_id=run_id, now=bind_time(db, now))
        )
    )


def _record_import(
    db: Session, record: CohortImport, result: ImportSummary, *, actor: str, now: datetime, skip_invalid: bool
) -> None:
    """Complete the import's row with its figures and append its audit event (no personal data in either)."""
    record.source_sha256 = result.source_sha256
    record.rows_total = result.rows
    record.rows_imported = result.imported
    record.rows_rejected = result.rejected_rows
    db.add(record)
    db.flush()
    audit.append(
        db,
        actor=actor,
        action="cohort.import",
        target=result.session,
        at=now,
        details={
            "import_id": result.import_id,
            "source": result.source,
            "source_sha256": result.source_sha256,
            "rows": result.rows,
            "imported": result.imported,
            "rejected_rows": result.rejected_rows,
            "skip_invalid": skip_invalid,
        },
    )


def _duplicates(db: Session, *, import_id: int, session: str, writer: ReportWriter) -> set[int]:
    """Report duplicate CNIE and Massar codes (within the file, and already imported); return their rows.

    ``import_id`` is the staging run's number.
    """
    rows: set[int] = set()
    for column, label in (("cnie", "CNIE number"), ("massar_code", "Massar code")):
        field = "cnie" if column == "cnie" else "massarCode"
        within = db.execute(
            text(
                f"SELECT r.row_number, f.first_row FROM import_row r JOIN ("  # noqa: S608 - column is a constant
                f"SELECT {column} AS value, MIN(row_number) AS first_row FROM import_row WHERE import_id = :i "
                f"GROUP BY {column} HAVING COUNT(*) > 1) f ON r.{column} = f.value "
                "WHERE r.import_id = :i AND r.row_number > f.first_row ORDER BY r.row_number"
            ).bindparams(i=import_id)
        ).all()
        for row_number, first_row in within:
            rows.add(row_number)
            writer.add(
                RowProblem(
                    row_number,
                    field,
                    f"the {label} of row {first_row} (value withheld)",
                    f"a {label} not already in the file",
                    f"{field}: found the {label} of row {first_row} again, expected one row per graduate",
                )
            )
        existing = db.execute(
            text(
                f"SELECT r.row_number FROM import_row r JOIN graduate g ON g.session = :s AND g.{column} = r.{column} "  # noqa: S608
                "WHERE r.import_id = :i ORDER BY r.row_number"
            ).bindparams(i=import_id, s=session)
        ).scalars()
        for row_number in existing:
            rows.add(row_number)
            writer.add(
                RowProblem(
                    row_number,
                    field,
                    f"a {label} already imported for {session} (value withheld)",
                    f"a graduate not yet imported for {session}",
                    f"{field}: found a {label} already imported for {session}, expected a graduate not yet imported",
                )
            )
    return rows


def cohort_counts(engine: Engine, *, session: str) -> dict[str, int]:
    """Graduates imported, records created and graduates still without a record, for a session."""
    with reading(engine) as db:
        graduates = db.execute(
            text("SELECT COUNT(*) FROM graduate WHERE session = :s").bindparams(s=session)
        ).scalar_one()
        records = db.execute(
            text("SELECT COUNT(DISTINCT graduate_id) FROM diploma WHERE session = :s").bindparams(s=session)
        ).scalar_one()
        revoked = db.execute(
            text("SELECT COUNT(*) FROM diploma WHERE session = :s AND status = 'revoked'").bindparams(s=session)
        ).scalar_one()
        imports = db.execute(select(col(CohortImport.id)).where(col(CohortImport.session) == session)).all()
    return {
        "graduates": int(graduates),
        "with_record": int(records),
        "without_record": int(graduates) - int(records),
        "revoked_records": int(revoked),
        "imports": len(imports),
    }
