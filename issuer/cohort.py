"""Cohort import: deliberated results in a CSV file become graduates, all-or-nothing, with a row-level report.

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

Every row is checked: the complete diploma schema (``schemas.validate_subject``), a CNIE number (no CNIE,
no diploma), an average of at least 10.00 (only admitted candidates are imported), a mention that agrees
with the average, no duplicate CNIE or Massar code within the file or already imported for the session.

All-or-nothing: the rows are staged and checked inside one transaction; if any row has a problem,
nothing is written (unless ``skip_invalid``, which imports the valid rows). Either way every problem is
reported as ``(row, field, found, expected, message)`` — row 1 is the header, data starts at row 2 —
streamed to a CSV or JSON report, so memory stays flat whatever the file's size. Personal identifiers are
never echoed in a report (``found`` says "a string of 8 characters (value withheld)").
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Final

import orjson
from sqlalchemy import Engine, delete, insert, select, text
from sqlmodel import Session, col

import schemas
from issuer import audit
from issuer.db import affected, bind_time, writing
from issuer.errors import InputError
from issuer.models import CohortImport, ImportRow, table

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
_SESSION_NAME: Final = re.compile(r"([0-9]{4})-(normale|rattrapage)")
_DELIMITERS: Final = (",", ";", "\t")
_STAGE_BATCH: Final = 2_000


@dataclass(frozen=True, slots=True)
class ExamSession:
    """An exam session, written ``2024-normale`` or ``2024-rattrapage``."""

    year: int
    type: str

    @classmethod
    def parse(cls, text: str) -> ExamSession:
        """Parse ``YYYY-normale|rattrapage``. Raises :class:`InputError` ``session.invalid``."""
        match = _SESSION_NAME.fullmatch(text.strip().lower())
        if match is None or not 1950 <= int(match.group(1)) <= 2100:
            raise InputError(
                "the session is not a year and a session type",
                code="session.invalid",
                found=text[:40],
                expected="YYYY-normale or YYYY-rattrapage, e.g. 2024-normale",
            )
        return cls(int(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.year}-{self.type}"

    def claim(self) -> dict[str, Any]:
        return {"year": self.year, "type": self.type}


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


# ------------------------------------------------------------------------------------------------ report


class ReportWriter:
    """Streams problems to ``path`` as CSV (``.csv``) or JSON (``.json``); keeps the first few in memory."""

    KEEP: Final = 20

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = "json" if path.suffix.lower() == ".json" else "csv"
        self.count = 0
        self.rows: set[int] = set()
        self.first: list[RowProblem] = []
        self._temporary = path.with_name(f".{path.name}.partial")
        self._handle: IO[str] = self._temporary.open("w", encoding="utf-8", newline="")
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
        self._handle.close()
        if not keep:
            self._temporary.unlink(missing_ok=True)
            return None
        self._temporary.replace(self.path)
        return self.path

    def abandon(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self._temporary.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------- reading


class _Source:
    """The file's lines, decoded one by one so a bad byte is reported on its line; hashes what it reads."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.bad_lines: set[int] = set()
        self.line = 0

    def lines(self) -> Iterator[str]:
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


def _header_problem(message: str, found: str, expected: str) -> RowProblem:
    return RowProblem(1, "", found, expected, f"header: {message}: found {found}, expected {expected}")


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


def _identifier(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


class RowChecker:
    """Turns one CSV row into a diploma subject and the list of its problems."""

    def __init__(self, session: ExamSession) -> None:
        self.session = session

    def check(self, row_number: int, cells: dict[str, str]) -> tuple[dict[str, Any] | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        handled: set[str] = set()

        def problem(path: str, found: str, expected: str) -> None:
            handled.add(path)
            problems.append(
                RowProblem(row_number, path, found, expected, f"{path}: found {found}, expected {expected}")
            )

        values = {name: cell.strip() for name, cell in cells.items()}
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
        if cnie is None:
            problem("cnie", "nothing", "the graduate's CNIE number: no CNIE, no diploma")
        else:
            subject["cnie"] = _identifier(cnie)
        if "massarCode" in subject:
            subject["massarCode"] = _identifier(subject["massarCode"])
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
        for schema_problem in schemas.validate_subject(subject, complete=True):
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
        return (subject if not problems else None), problems

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


def canonical_subject(subject: dict[str, Any]) -> str:
    """The stored form of a subject: compact UTF-8 JSON, claims in display order (the snapshot's exact bytes)."""
    ordered = {name: subject[name] for name in schemas.SUBJECT_CLAIMS if name in subject}
    return orjson.dumps(ordered).decode("utf-8")


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
    read. The report goes to ``report`` (``.csv`` or ``.json``), by default ``<file>.report.csv`` beside
    the input, and is written only when there are problems.
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
    writer = ReportWriter(report_path)
    try:
        with handle:
            return _import(
                engine,
                handle,
                path=path,
                session=session,
                actor=actor,
                now=now,
                skip_invalid=skip_invalid,
                writer=writer,
                progress=progress,
            )
    except BaseException:
        writer.abandon()
        raise


def _import(
    engine: Engine,
    handle: IO[bytes],
    *,
    path: Path,
    session: ExamSession,
    actor: str,
    now: datetime,
    skip_invalid: bool,
    writer: ReportWriter,
    progress: Callable[[int], None] | None,
) -> ImportSummary:
    start = handle.read(4)
    handle.seek(0)
    source = _Source(handle)
    counts = {"rows": 0}

    def summary(*, committed: bool, imported: int, import_id: int | None, header_failed: bool = False) -> ImportSummary:
        rejected = len(writer.rows) if not header_failed else counts["rows"]
        report_path = writer.finish(
            {
                "session": str(session),
                "source": path.name,
                "rows": counts["rows"],
                "imported": imported,
                "problems": writer.count,
                "committed": committed,
            },
            keep=writer.count > 0,
        )
        return ImportSummary(
            session=str(session),
            source=path.name,
            source_sha256=source.digest.hexdigest(),
            rows=counts["rows"],
            valid_rows=counts["rows"] - rejected,
            imported=imported,
            rejected_rows=rejected,
            problems=writer.count,
            committed=committed,
            report=report_path,
            first_problems=tuple(writer.first),
            import_id=import_id,
        )

    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(start) >= 2 and b"\x00" in start):
        writer.add(
            _header_problem(
                "the file is not UTF-8", "UTF-16 text", 'CSV saved as UTF-8 ("CSV UTF-8" in spreadsheet programs)'
            )
        )
        raise ImportRefusedError(summary(committed=False, imported=0, import_id=None, header_failed=True))

    lines = source.lines()
    header_line = next(lines, None)
    if header_line is None or not header_line.strip():
        writer.add(
            _header_problem(
                "the file is empty", "no header row", f"a header naming the columns {', '.join(REQUIRED_COLUMNS)}"
            )
        )
        raise ImportRefusedError(summary(committed=False, imported=0, import_id=None, header_failed=True))
    delimiter = max(_DELIMITERS, key=header_line.count)
    header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter))]
    header_problems = _check_header(header)
    if header_problems:
        for item in header_problems:
            writer.add(item)
        raise ImportRefusedError(summary(committed=False, imported=0, import_id=None, header_failed=True))

    checker = RowChecker(session)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    with writing(engine) as db:
        record = CohortImport(
            session=str(session), source_name=path.name[:255], source_sha256="", imported_at=now, actor=actor
        )
        db.add(record)
        db.flush()
        assert record.id is not None
        import_id = record.id
        staged: list[dict[str, Any]] = []
        first_line = source.line
        try:
            for cells in reader:
                row_number = counts["rows"] + 2
                last_line = source.line
                lines_of_row = range(first_line + 1, last_line + 1)
                first_line = last_line
                if not any(cell.strip() for cell in cells):
                    continue  # blank line
                counts["rows"] += 1
                if any(number in source.bad_lines for number in lines_of_row):
                    writer.add(
                        RowProblem(
                            row_number,
                            "",
                            "bytes that are not UTF-8",
                            "UTF-8 text",
                            "the row contains bytes that are not UTF-8: save the file as CSV UTF-8",
                        )
                    )
                    continue
                if len(cells) != len(header):
                    writer.add(
                        RowProblem(
                            row_number,
                            "",
                            f"{len(cells)} fields",
                            f"{len(header)} fields, one per column",
                            f"the row has {len(cells)} fields: expected {len(header)}, one per column of the header",
                        )
                    )
                    continue
                subject, problems = checker.check(row_number, dict(zip(header, cells, strict=True)))
                for item in problems:
                    writer.add(item)
                if subject is None:
                    continue
                staged.append(
                    {
                        "import_id": import_id,
                        "row_number": row_number,
                        "cnie": subject["cnie"],
                        "massar_code": subject["massarCode"],
                        "subject": canonical_subject(subject),
                    }
                )
                if len(staged) >= _STAGE_BATCH:
                    db.execute(insert(table(ImportRow)), staged)
                    staged.clear()
                    if progress is not None:
                        progress(counts["rows"])
        except csv.Error as exc:
            writer.add(
                RowProblem(
                    counts["rows"] + 2,
                    "",
                    f"unreadable CSV ({exc})",
                    "well-formed CSV",
                    f"the file cannot be read past this row: {exc}",
                )
            )
            raise ImportRefusedError(summary(committed=False, imported=0, import_id=None, header_failed=True)) from exc
        if staged:
            db.execute(insert(table(ImportRow)), staged)
            staged.clear()
        if progress is not None:
            progress(counts["rows"])

        duplicates = _duplicates(db, import_id=import_id, session=str(session), writer=writer)
        if writer.count and not skip_invalid:
            raise ImportRefusedError(summary(committed=False, imported=0, import_id=None))
        if duplicates:
            db.execute(
                delete(table(ImportRow)).where(
                    table(ImportRow).c.import_id == import_id,
                    table(ImportRow).c.row_number.in_(sorted(duplicates)),
                )
            )
        imported = affected(
            db.execute(
                text(
                    "INSERT INTO graduate (session, cnie, massar_code, subject, import_id, row_number, created_at) "
                    "SELECT :session, cnie, massar_code, subject, import_id, row_number, :now FROM import_row "
                    "WHERE import_id = :import_id ORDER BY row_number"
                ).bindparams(session=str(session), import_id=import_id, now=bind_time(db, now))
            )
        )
        db.execute(delete(table(ImportRow)).where(table(ImportRow).c.import_id == import_id))
        result = summary(committed=True, imported=imported, import_id=import_id)
        record.source_sha256 = result.source_sha256
        record.rows_total = result.rows
        record.rows_imported = imported
        record.rows_rejected = result.rejected_rows
        db.add(record)
        db.flush()
        audit.append(
            db,
            actor=actor,
            action="cohort.import",
            target=str(session),
            at=now,
            details={
                "import_id": import_id,
                "source": path.name,
                "source_sha256": result.source_sha256,
                "rows": result.rows,
                "imported": imported,
                "rejected_rows": result.rejected_rows,
                "skip_invalid": skip_invalid,
            },
        )
        return result


def _check_header(header: list[str]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(
                _header_problem(f"the column {name!r} appears twice", f"{name!r} twice", "each column once")
            )
        seen.add(name)
        if name not in ALL_COLUMNS:
            problems.append(
                _header_problem(f"unknown column {name!r}", f"{name!r}", f"only the columns {', '.join(ALL_COLUMNS)}")
            )
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        problems.append(
            _header_problem("columns are missing", ", ".join(missing), "every column of the diploma schema")
        )
    if ("session.year" in seen) != ("session.type" in seen):
        problems.append(
            _header_problem("session.year and session.type go together", "only one of them", "both or neither")
        )
    return problems


def _duplicates(db: Session, *, import_id: int, session: str, writer: ReportWriter) -> set[int]:
    """Report duplicate CNIE and Massar codes (within the file, and already imported); return their rows."""
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
    from issuer.db import reading

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
