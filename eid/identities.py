"""``tawtiq eid identities``: the development provider's card holders, made from a candidates file.

The candidates file is the exam year's (UTF-8 CSV with a header, ``,`` ``;`` or tab as the delimiter, with or
without a byte-order mark); only ``cnie``, ``familyName.lat``, ``givenName.lat``, ``familyName.ar``,
``givenName.ar`` and ``birthDate`` are read, the other columns are ignored. Every candidate gets a random
six-digit development PIN, written in the output file (mode 0600: it holds personal data and PINs).
A file with a problem is refused whole, naming the row and the column, never the value of an identifier.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import orjson

import schemas
from common.private_files import PrivateFile
from eid.directory import CNIE_PATTERN

#: Candidates-file column → identities-file field.
COLUMNS: Final = {
    "cnie": "cnie",
    "familyName.lat": "family_name",
    "givenName.lat": "given_name",
    "familyName.ar": "family_name#ar",
    "givenName.ar": "given_name#ar",
    "birthDate": "birthdate",
}
_DELIMITERS: Final = (",", ";", "\t")
#: Problems listed before the rest are only counted.
MAX_PROBLEMS: Final = 20


@dataclass(frozen=True)
class Problem:
    """What is wrong where: a row (1 is the header) and a column."""

    row: int
    column: str
    found: str
    expected: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: found {self.found}, expected {self.expected}"


class CandidatesFileError(Exception):
    """The candidates file cannot be used; ``problems`` say where (at most :data:`MAX_PROBLEMS`), ``count`` how many."""

    def __init__(self, problems: list[Problem], count: int) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems
        self.count = count


def identities_from(path: Path) -> list[dict[str, Any]]:
    """One identity per candidate of ``path``, with a fresh PIN. Raises :class:`CandidatesFileError`, ``OSError``."""
    problems: list[Problem] = []
    count = 0
    identities: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def problem(row: int, column: str, found: str, expected: str) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(row, column, found, expected))

    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        rows = _rows(handle)
        header = next(rows, None)
        if header is None:
            raise CandidatesFileError([Problem(1, "header", "an empty file", "a header row")], 1)
        missing = [column for column in COLUMNS if column not in header]
        if missing:
            raise CandidatesFileError(
                [Problem(1, "header", f"no {', '.join(missing)}", f"the columns {', '.join(COLUMNS)}")], 1
            )
        index = {column: header.index(column) for column in COLUMNS}
        for number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problem(number, "row", f"{len(cells)} cells", f"{len(header)} cells, as in the header")
                continue
            entry = _entry(number, {column: cells[i].strip() for column, i in index.items()}, problem)
            if entry is None:
                continue
            if entry["cnie"] in seen:
                problem(number, "cnie", f"the same CNIE number as row {seen[entry['cnie']]}", "one row per CNIE")
                continue
            seen[entry["cnie"]] = number
            identities.append(entry)
    if problems:
        raise CandidatesFileError(problems, count)
    return identities


def write_identities(identities: list[dict[str, Any]], out: Path) -> Path:
    """Write ``identities`` to ``out`` (mode 0600, atomically); returns ``out``."""
    with PrivateFile(out) as file:
        file.handle.write(orjson.dumps(identities, option=orjson.OPT_INDENT_2).decode("utf-8"))
        file.handle.write("\n")
    return out


def _rows(handle: Any) -> Iterator[list[str]]:
    # The header's line decides the delimiter (utf-8-sig has already dropped a byte-order mark).
    first = handle.readline()
    delimiter = max(_DELIMITERS, key=first.count)
    handle.seek(0)
    reader = csv.reader(handle, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    yield [cell.strip() for cell in header]
    yield from reader


def _entry(number: int, cells: dict[str, str], problem: Any) -> dict[str, Any] | None:
    ok = True
    cnie = schemas.normalise_identifier(cells["cnie"])
    if not CNIE_PATTERN.fullmatch(cnie):
        problem(number, "cnie", "not a CNIE number" if cnie else "nothing", "one or two letters and digits, BE123456")
        ok = False
    entry: dict[str, Any] = {"cnie": cnie}
    for column in ("familyName.lat", "givenName.lat", "familyName.ar", "givenName.ar"):
        value = cells[column]
        if not value:
            problem(number, column, "nothing", "a name")
            ok = False
            continue
        text_problem = schemas.text_problem(value, path=column)
        if text_problem is not None:
            problem(number, column, text_problem.found, text_problem.expected)
            ok = False
            continue
        entry[COLUMNS[column]] = schemas.checked_text(value, path=column)
    try:
        born = date.fromisoformat(cells["birthDate"]) if len(cells["birthDate"]) == 10 else None
    except ValueError:
        born = None
    if born is None:
        problem(number, "birthDate", "not a date" if cells["birthDate"] else "nothing", "a date YYYY-MM-DD")
        ok = False
    else:
        entry["birthdate"] = born.isoformat()
    if not ok:
        return None
    entry["pin"] = f"{secrets.randbelow(1_000_000):06d}"
    return entry
