"""The cohort file: its columns, how it is read, and how one row becomes a diploma subject with its problems.

File format (one row per graduate; the header names the columns, in any order):

``familyName.ar, familyName.lat, givenName.ar, givenName.lat, birthDate, birthPlace.ar, birthPlace.lat,
cnie, massarCode, stream.code, stream.ar, stream.fr, optionLanguage, generalAverage, mention,
academy.code, academy.ar, academy.fr, directorate.code, directorate.ar, directorate.fr, school.code,
school.ar, school.fr, deliberationDate`` and optionally ``session.year, session.type`` (which must then
match ``--session``). Column names are the diploma's claim paths (see ``schemas``).

Accepted: UTF-8 with or without a byte-order mark, LF or CRLF line ends, ``,`` or ``;`` or tab as the
delimiter (detected from the header), Arabic text, ``15,42`` as well as ``15.42``, mentions written as
codes (``assez_bien``) or labels in Arabic, French or English (``Assez bien``), CNIE and Massar codes in
lower case or with spaces (normalised to ``BE123456``). Official spellings are kept as given.

Every row is checked: every cell against the rule of subject text (:func:`schemas.checked_text`: no
control, invisible formatting or markup characters, reported by code point and never echoed; the rest
NFC-normalised), the complete diploma schema (``schemas.validate_subject``), a CNIE number (no CNIE, no
diploma), an average of at least 10.00 (only admitted candidates are imported), a mention that agrees with
the average. Checks across rows (duplicates) are the import's (:mod:`issuer.cohort`).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Final, Self

import orjson

import schemas
from issuer.errors import InputError
from issuer.import_report import RowProblem, header_problem

#: Columns every file must have, in the order ``cohort generate`` writes them.
REQUIRED_COLUMNS: Final = (
    "familyName.ar",
    "familyName.lat",
    "givenName.ar",
    "givenName.lat",
    "birthDate",
    "birthPlace.ar",
    "birthPlace.lat",
    "cnie",
    "massarCode",
    "stream.code",
    "stream.ar",
    "stream.fr",
    "optionLanguage",
    "generalAverage",
    "mention",
    "academy.code",
    "academy.ar",
    "academy.fr",
    "directorate.code",
    "directorate.ar",
    "directorate.fr",
    "school.code",
    "school.ar",
    "school.fr",
    "deliberationDate",
)
#: Columns a file may add; when present they must agree with ``--session``.
OPTIONAL_COLUMNS: Final = ("session.year", "session.type")
ALL_COLUMNS: Final = (*REQUIRED_COLUMNS[:13], *OPTIONAL_COLUMNS, *REQUIRED_COLUMNS[13:])
_DELIMITERS: Final = (",", ";", "\t")


class ExamSession(schemas.ExamSession):
    """An exam session as the issuer's commands name it: :meth:`parse` refuses a bad name with an :class:`InputError`.

    The value itself is :class:`schemas.ExamSession` (equal to it by value); only the error differs.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``YYYY-normale|rattrapage``. Raises :class:`InputError` ``session.invalid``."""
        try:
            return super().parse(text)
        except schemas.SubjectError as exc:
            raise InputError(
                "the session is not a year and a session type",
                code="session.invalid",
                found=text[:40],
                expected="YYYY-normale or YYYY-rattrapage, e.g. 2024-normale",
            ) from exc


class UnusableFileError(Exception):
    """The file cannot be read as a cohort at all (its encoding, its header, broken CSV): ``problems`` say why."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) make the file unusable")
        self.problems = problems


class SourceLines:
    """The file's lines, decoded one by one so a bad byte is reported on its line; hashes what it reads.

    ``lines`` yields each line once; ``line`` is the number of the last line read, ``bad_lines`` the
    numbers of those that were not UTF-8, ``digest`` the SHA-256 of the bytes read so far.
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.bad_lines: set[int] = set()
        self.line = 0
        self.start = handle.read(4)
        handle.seek(0)
        self.lines = self._decoded()

    def _decoded(self) -> Iterator[str]:
        for raw in self._handle:
            self.digest.update(raw)
            self.line += 1
            if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_lines.add(self.line)
                yield raw.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Header:
    """The header row: the delimiter it was written with and the column names, in the file's order."""

    delimiter: str
    columns: tuple[str, ...]


def read_header(source: SourceLines) -> Header:
    """Read the header of a cohort file, after checking that the file is UTF-8.

    Raises :class:`UnusableFileError` (with row-1 problems) for a UTF-16 or empty file or a header that
    does not name the diploma's columns each exactly once.
    """
    start = source.start
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(start) >= 2 and b"\x00" in start):
        raise UnusableFileError(
            [
                header_problem(
                    "the file is not UTF-8",
                    "UTF-16 text",
                    'CSV saved as UTF-8 ("CSV UTF-8" in spreadsheet programs)',
                )
            ]
        )
    header_line = next(source.lines, None)
    if header_line is None or not header_line.strip():
        raise UnusableFileError(
            [
                header_problem(
                    "the file is empty", "no header row", f"a header naming the columns {', '.join(REQUIRED_COLUMNS)}"
                )
            ]
        )
    delimiter = max(_DELIMITERS, key=header_line.count)
    columns = tuple(name.strip() for name in next(csv.reader([header_line], delimiter=delimiter)))
    problems = _check_header(columns)
    if problems:
        raise UnusableFileError(problems)
    return Header(delimiter, columns)


def data_rows(source: SourceLines, header: Header) -> Iterator[tuple[int, dict[str, str] | RowProblem]]:
    """Yield every non-blank data row as ``(row number, cells by column)``, or with the problem that spoils it.

    Row 1 is the header; blank lines are skipped and not numbered. A row holding bytes that are not UTF-8
    or the wrong number of fields comes with its :class:`RowProblem`. Raises :class:`UnusableFileError`
    when the CSV cannot be read past a row (an unterminated quote).
    """
    reader = csv.reader(source.lines, delimiter=header.delimiter, strict=False)
    width = len(header.columns)
    row_number = 1
    first_line = source.line
    try:
        for cells in reader:
            last_line = source.line
            lines_of_row = range(first_line + 1, last_line + 1)
            first_line = last_line
            if not any(cell.strip() for cell in cells):
                continue
            row_number += 1
            if any(number in source.bad_lines for number in lines_of_row):
                yield (
                    row_number,
                    RowProblem(
                        row_number,
                        "",
                        "bytes that are not UTF-8",
                        "UTF-8 text",
                        "the row contains bytes that are not UTF-8: save the file as CSV UTF-8",
                    ),
                )
            elif len(cells) != width:
                yield (
                    row_number,
                    RowProblem(
                        row_number,
                        "",
                        f"{len(cells)} fields",
                        f"{width} fields, one per column",
                        f"the row has {len(cells)} fields: expected {width}, one per column of the header",
                    ),
                )
            else:
                yield row_number, dict(zip(header.columns, cells, strict=True))
    except csv.Error as exc:
        raise UnusableFileError(
            [
                RowProblem(
                    row_number + 1,
                    "",
                    f"unreadable CSV ({exc})",
                    "well-formed CSV",
                    f"the file cannot be read past this row: {exc}",
                )
            ]
        ) from exc


def _check_header(header: tuple[str, ...]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(header_problem(f"the column {name!r} appears twice", f"{name!r} twice", "each column once"))
        seen.add(name)
        if name not in ALL_COLUMNS:
            problems.append(
                header_problem(f"unknown column {name!r}", f"{name!r}", f"only the columns {', '.join(ALL_COLUMNS)}")
            )
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        problems.append(header_problem("columns are missing", ", ".join(missing), "every column of the diploma schema"))
    if ("session.year" in seen) != ("session.type" in seen):
        problems.append(
            header_problem("session.year and session.type go together", "only one of them", "both or neither")
        )
    return problems


_MENTION_CODES: dict[str, str] = {}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", plain)


def _mention_code(value: str) -> str:
    if not _MENTION_CODES:
        for code in schemas.MENTIONS:
            _MENTION_CODES[_fold(code)] = code
            for locale in schemas.LOCALES:
                _MENTION_CODES[_fold(schemas.value_label("mention", code, locale))] = code
    return _MENTION_CODES.get(_fold(value), value)


class RowChecker:
    """Turns one CSV row into a :class:`schemas.DiplomaSubject`, or the list of its problems."""

    def __init__(self, session: ExamSession) -> None:
        self.session = session

    def check(self, row_number: int, cells: dict[str, str]) -> tuple[schemas.DiplomaSubject | None, list[RowProblem]]:
        """The row's subject (``None`` if it has a problem) and its problems, each naming the column to fix."""
        problems: list[RowProblem] = []
        handled: set[str] = set()

        def problem(path: str, found: str, expected: str) -> None:
            handled.add(path)
            problems.append(
                RowProblem(row_number, path, found, expected, f"{path}: found {found}, expected {expected}")
            )

        values = {name: cell.strip() for name, cell in cells.items()}
        for name, value in values.items():
            # The one rule of subject text, first: a refused cell is reported by the code points it holds
            # (never echoed) and left out, so no later check describes its value.
            refused = schemas.text_problem(value, path=name)
            if refused is not None:
                problem(name, refused.found, refused.expected)
                values[name] = ""
        subject: dict[str, Any] = {}
        for name in schemas.SUBJECT_CLAIMS:
            if name == "session":
                subject["session"] = self._session_claim(values, problem)
                continue
            columns = [column for column in ALL_COLUMNS if column == name or column.startswith(name + ".")]
            if columns == [name]:
                raw = values.get(name, "")
                if raw:
                    subject[name] = raw
                continue
            member = {column.split(".", 1)[1]: values.get(column, "") for column in columns}
            if any(member.values()):
                subject[name] = {key: value for key, value in member.items() if value}

        cnie = subject.get("cnie")
        if cnie is None and "cnie" not in handled:
            problem("cnie", "nothing", "the graduate's CNIE number: no CNIE, no diploma")
        elif cnie is not None:
            subject["cnie"] = schemas.normalise_identifier(cnie)
        if "massarCode" in subject:
            subject["massarCode"] = schemas.normalise_identifier(subject["massarCode"])
        if "mention" in subject:
            subject["mention"] = _mention_code(subject["mention"])
        if "optionLanguage" in subject:
            subject["optionLanguage"] = subject["optionLanguage"].lower()
        academy = subject.get("academy")
        if isinstance(academy, dict) and re.fullmatch(r"[0-9]", academy.get("code", "")):
            academy["code"] = "0" + academy["code"]
        if "generalAverage" in subject:
            raw_average = subject["generalAverage"]
            try:
                average = Decimal(raw_average.replace(",", "."))
                if not average.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problem(
                    "generalAverage",
                    f"{raw_average[:20]!r}",
                    "a number out of 20 with at most two decimals, e.g. 15.42",
                )
                del subject["generalAverage"]
            else:
                subject["generalAverage"] = float(average) if average != average.to_integral() else int(average)
                if average < Decimal("10"):
                    problem(
                        "generalAverage",
                        f"the number {average}",
                        "an average of at least 10.00: only admitted candidates get a diploma",
                    )
        try:
            parsed: schemas.DiplomaSubject | None = schemas.DiplomaSubject.parse(subject)
            schema_problems: list[schemas.SchemaProblem] = []
        except schemas.SubjectError as exc:
            parsed, schema_problems = None, exc.problems
        for schema_problem in schema_problems:
            head = schema_problem.path.split(".")[0]
            if head in handled or schema_problem.path in handled:
                continue
            if head == "mention" and "generalAverage" in handled:
                continue
            if schema_problem.found == "nothing":  # an empty cell: name the column to fill in
                expected = f"a value in the column {schema_problem.path}"
                message = f"{schema_problem.path}: the cell is empty; expected {expected}"
                problems.append(RowProblem(row_number, schema_problem.path, "an empty cell", expected, message))
                continue
            problems.append(
                RowProblem(
                    row_number,
                    schema_problem.path,
                    schema_problem.found,
                    schema_problem.expected,
                    schema_problem.message,
                )
            )
        return (parsed if not problems else None), problems

    def _session_claim(self, values: dict[str, str], problem: Callable[[str, str, str], None]) -> dict[str, Any]:
        expected = self.session.claim()
        year, kind = values.get("session.year", ""), values.get("session.type", "")
        if not year and not kind:
            return expected
        if year != str(self.session.year) or kind.lower() != self.session.type:
            problem(
                "session",
                f"{year or '?'}-{kind or '?'}",
                f"{self.session} (the session being imported)",
            )
        return expected


def canonical_subject(subject: schemas.DiplomaSubject) -> str:
    """The stored form of a subject: compact UTF-8 JSON, claims in display order (the snapshot's exact bytes)."""
    return orjson.dumps(subject.claims()).decode("utf-8")
