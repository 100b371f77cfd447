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
from pathlib import Path
from typing import IO

from exams.errors import InputError
from issuer.cohort import ImportSummary
from issuer.cohort_file import Header, SourceLines, UnusableFileError, data_rows
from issuer.import_report import ReportWriter, RowProblem, header_problem

__all__ = ["ImportRefusedError", "ImportRun", "ImportSummary", "RowProblem", "data_rows", "open_source"]

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
