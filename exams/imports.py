"""What the candidates and marks imports share: the file reader, the row report and the refusal, all the issuer's.

Both imports are all-or-nothing with the issuer's row report (:mod:`issuer.import_report`: ``row, field, found,
expected, message`` streamed to ``<file>.report.csv`` or ``--report``, mode 0600, identifiers withheld). They read
the file twice: the first pass checks every row and writes nothing; when it found no problem, the second pass
(refused if the file's SHA-256 changed in between) writes every row in one transaction with the import's record
and audit event, so a failure at any point leaves nothing behind.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, Table, insert
from sqlalchemy.exc import IntegrityError

from exams.errors import InputError
from exams.models import ExamImport
from issuer import audit
from issuer.cohort import ImportSummary
from issuer.cohort_file import Header, SourceLines, UnusableFileError, data_rows
from issuer.db import writing
from issuer.import_report import ReportWriter, RowProblem, header_problem

__all__ = [
    "ImportRefusedError",
    "ImportRun",
    "ImportSummary",
    "RowProblem",
    "data_rows",
    "open_source",
    "write_checked",
]

_DELIMITERS = (",", ";", "\t")


class ImportRefusedError(InputError):
    """The file had problems: nothing was imported (see ``import_summary`` and its report)."""

    default_code = "import.refused"

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__(
            f"nothing was imported: {summary.problems} problem(s) in {summary.rejected_rows} row(s); "
            + (f"see the report {summary.report}" if summary.report else "see the problems listed"),
            found=f"{summary.rejected_rows} invalid row(s) of {summary.rows}",
            expected="every row valid (the import is all-or-nothing)",
        )
        self.import_summary = summary


@contextmanager
def open_source(path: Path, *, what: str) -> Iterator[IO[bytes]]:
    """``path`` opened for reading; raises :class:`InputError` ``import.unreadable``."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(
            f"cannot read the {what} file",
            code="import.unreadable",
            found=f"{path}: {exc.strerror}",
            expected="a readable CSV file",
        ) from exc
    with handle:
        yield handle


def read_header(source: SourceLines, check: Callable[[tuple[str, ...]], list[RowProblem]]) -> Header:
    """The header row (the issuer's rules: UTF-8, not empty, its delimiter), checked by ``check``.

    Raises :class:`UnusableFileError` with row-1 problems.
    """
    if source.start.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(source.start) >= 2 and b"\x00" in source.start):
        raise UnusableFileError([header_problem("the file is not UTF-8", "UTF-16 text", "CSV saved as UTF-8")])
    line = next(source.lines, None)
    if line is None or not line.strip():
        raise UnusableFileError([header_problem("the file is empty", "no header row", "a header naming the columns")])
    delimiter = max(_DELIMITERS, key=line.count)
    columns = tuple(name.strip() for name in next(csv.reader([line], delimiter=delimiter)))
    problems = check(columns)
    if problems:
        raise UnusableFileError(problems)
    return Header(delimiter, columns)


@dataclass
class ImportRun:
    """One import's report and counts; :meth:`summary` closes the report (kept when it has problems)."""

    path: Path
    session: str
    writer: ReportWriter
    source: SourceLines | None = None
    rows: int = 0
    rejected: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, path: Path, *, session: str, report: Path | None) -> ImportRun:
        return cls(
            path, session, ReportWriter(report if report is not None else path.with_name(path.name + ".report.csv"))
        )

    def add(self, problem: RowProblem) -> None:
        self.writer.add(problem)
        self.rejected.add(problem.row)

    def summary(self, *, committed: bool, imported: int = 0, import_id: int | None = None) -> ImportSummary:
        report = self.writer.finish(
            {
                "session": self.session,
                "source": self.path.name,
                "rows": self.rows,
                "imported": imported,
                "problems": self.writer.count,
                "committed": committed,
            },
            keep=self.writer.count > 0,
        )
        rejected = len(self.rejected - {1}) if 1 not in self.rejected else self.rows
        return ImportSummary(
            session=self.session,
            source=self.path.name,
            source_sha256=self.source.digest.hexdigest() if self.source else "",
            rows=self.rows,
            valid_rows=self.rows - rejected,
            imported=imported,
            rejected_rows=rejected,
            problems=self.writer.count,
            committed=committed,
            report=report,
            first_problems=tuple(self.writer.first),
            import_id=import_id,
        )

    def refuse(self) -> ImportRefusedError:
        return ImportRefusedError(self.summary(committed=False))

    def refuse_file(self, error: UnusableFileError) -> ImportRefusedError:
        for problem in error.problems:
            self.add(problem)
        return self.refuse()


def write_checked(
    engine: Engine,
    run: ImportRun,
    *,
    kind: str,
    into: Table,
    check_header: Callable[[tuple[str, ...]], list[RowProblem]],
    values: Callable[[int, dict[str, str], int], dict[str, Any]],
    batch_size: int,
    actor: str,
    now: datetime,
    concurrent: InputError,
) -> ImportSummary:
    """The second pass of an import whose first pass found no problem: every row written, all or nothing.

    Reads ``run.path`` again and inserts ``values(row_number, cells, import_id)`` of each row into ``into``, by
    ``batch_size`` rows, in one transaction with the import's record (``kind``) and its audit event
    (``exam.<kind>_import``: counts and the file's digest, no personal data). Returns the committed summary. Raises
    :class:`InputError` ``import.unreadable``, ``import.changed`` when the file's SHA-256 is no longer the one the
    first pass read, and ``concurrent`` when a row collides with one written by another import meanwhile.
    """
    assert run.source is not None, "the first pass reads the file before the second writes it"
    digest = run.source.digest.hexdigest()
    try:
        with writing(engine) as db, open_source(run.path, what=kind) as handle:
            record = ExamImport(
                session=run.session,
                kind=kind,
                source_name=run.path.name[:255],
                source_sha256=digest,
                rows_total=run.rows,
                rows_imported=run.rows,
                imported_at=now,
                actor=actor,
            )
            db.add(record)
            db.flush()
            assert record.id is not None
            source = SourceLines(handle)
            batch: list[dict[str, Any]] = []
            for row_number, cells in data_rows(source, read_header(source, check_header)):
                assert not isinstance(cells, RowProblem), "the first pass refused every unreadable row"
                batch.append(values(row_number, cells, record.id))
                if len(batch) >= batch_size:
                    db.execute(insert(into), batch)
                    batch.clear()
            if batch:
                db.execute(insert(into), batch)
            if source.digest.hexdigest() != digest:
                raise InputError(
                    "nothing was imported: the file changed while it was being imported",
                    code="import.changed",
                    found=f"SHA-256 {source.digest.hexdigest()}",
                    expected=f"the file that was checked (SHA-256 {digest})",
                )
            summary = run.summary(committed=True, imported=run.rows, import_id=record.id)
            audit.append(
                db,
                actor=actor,
                action=f"exam.{kind}_import",
                target=run.session,
                at=now,
                details={"import_id": record.id, "source": run.path.name, "source_sha256": digest, "rows": run.rows},
            )
    except IntegrityError as exc:
        raise concurrent from exc
    return summary
