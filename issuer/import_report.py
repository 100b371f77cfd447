"""The row report of a cohort import: every problem as ``(row, field, found, expected, message)``, streamed to a file.

The report is CSV (``.csv``) or JSON (``.json``, the problems then a summary). It is streamed, so memory stays
flat whatever the number of problems, and written like every file holding personal data: mode 0600 in a
temporary file renamed into place (:class:`common.private_files.PrivateFile`), never seen half-written.
Personal identifiers are never echoed in ``found``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from common.private_files import PrivateFile
from issuer.errors import InputError


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One reason a row cannot be imported. ``found`` never holds a personal identifier's value."""

    row: int
    field: str
    found: str
    expected: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "found": self.found,
            "expected": self.expected,
            "message": self.message,
        }


def header_problem(message: str, found: str, expected: str) -> RowProblem:
    """A problem of the header (row 1), which makes the whole file unusable."""
    return RowProblem(1, "", found, expected, f"header: {message}: found {found}, expected {expected}")


class ReportWriter:
    """Streams problems to ``path`` as CSV (``.csv``) or JSON (``.json``); keeps the first few in memory.

    Raises :class:`InputError` ``import.report_unwritable`` when the report cannot be created.
    """

    KEEP: Final = 20

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = "json" if path.suffix.lower() == ".json" else "csv"
        self.count = 0
        self.rows: set[int] = set()
        self.first: list[RowProblem] = []
        try:
            self._file = PrivateFile(path)
        except OSError as exc:
            raise InputError(
                "cannot write the import report",
                code="import.report_unwritable",
                found=f"{path}: {exc.strerror or exc}",
                expected="a report path in a directory this user can write to (--report)",
            ) from exc
        self._handle = self._file.handle
        if self.format == "csv":
            self._csv = csv.writer(self._handle)
            self._csv.writerow(["row", "field", "found", "expected", "message"])
        else:
            self._handle.write('{"problems": [\n')

    def add(self, problem: RowProblem) -> None:
        if self.format == "csv":
            self._csv.writerow([problem.row, problem.field, problem.found, problem.expected, problem.message])
        else:
            prefix = "" if self.count == 0 else ",\n"
            self._handle.write(prefix + "  " + json.dumps(problem.as_dict(), ensure_ascii=False))
        self.count += 1
        self.rows.add(problem.row)
        if len(self.first) < self.KEEP:
            self.first.append(problem)

    def finish(self, summary: dict[str, Any] | None, *, keep: bool) -> Path | None:
        """Close the report; it is kept (atomically renamed into place) if ``keep``, else removed."""
        if self.format == "json":
            self._handle.write('\n],\n"summary": ' + json.dumps(summary or {}, ensure_ascii=False) + "}\n")
        if not keep:
            self._file.discard()
            return None
        return self._file.commit()

    def abandon(self) -> None:
        """Drop the report (the import failed before it could be finished)."""
        self._file.discard()
