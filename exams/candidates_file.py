"""The candidates file (``tawtiq exam candidates generate`` writes it, ``exam candidates import`` reads it).

UTF-8 CSV with a header, the conventions of the issuer's cohort file (:mod:`issuer.cohort_file`: the same reader,
delimiters, byte-order mark and row numbering, row 1 being the header). Its columns are :data:`COLUMNS`, each
exactly once; ``candidateType`` is ``enrolled`` or ``free``. A row is checked on its own here (every cell's text by
the diploma's one text rule, the CNIE and Massar code formats, a real birth date, a known stream and academy, the
stream's labels); duplicates across rows are the import's (:mod:`exams.registry`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

import schemas
from exams.subjects import CANDIDATE_TYPES
from issuer.import_report import RowProblem, header_problem

#: The columns, in the order ``exam candidates generate`` writes them, each with its registry attribute.
COLUMN_ATTRIBUTES: Final = (
    ("cnie", "cnie"),
    ("massarCode", "massar_code"),
    ("familyName.ar", "family_name_ar"),
    ("familyName.lat", "family_name_lat"),
    ("givenName.ar", "given_name_ar"),
    ("givenName.lat", "given_name_lat"),
    ("birthDate", "birth_date"),
    ("birthPlace.ar", "birth_place_ar"),
    ("birthPlace.lat", "birth_place_lat"),
    ("stream.code", "stream_code"),
    ("stream.ar", "stream_ar"),
    ("stream.fr", "stream_fr"),
    ("optionLanguage", "option_language"),
    ("school.code", "school_code"),
    ("school.ar", "school_ar"),
    ("school.fr", "school_fr"),
    ("directorate.code", "directorate_code"),
    ("directorate.ar", "directorate_ar"),
    ("directorate.fr", "directorate_fr"),
    ("academy.code", "academy_code"),
    ("academy.ar", "academy_ar"),
    ("academy.fr", "academy_fr"),
    ("examCentre.code", "exam_centre_code"),
    ("examCentre.ar", "exam_centre_ar"),
    ("examCentre.fr", "exam_centre_fr"),
    ("candidateType", "candidate_type"),
)
COLUMNS: Final = tuple(column for column, _ in COLUMN_ATTRIBUTES)
ATTRIBUTE_OF: Final = dict(COLUMN_ATTRIBUTES)
_CODE: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-]{0,31}")
_LANGUAGES: Final = ("ar", "fr", "en", "es", "de", "it")
_MAX_TEXT: Final = 200


def check_header(columns: tuple[str, ...]) -> list[RowProblem]:
    """The header's problems: every column of :data:`COLUMNS` exactly once, no other."""
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(header_problem(f"the column {name!r} appears twice", f"{name!r} twice", "each column once"))
        seen.add(name)
        if name not in ATTRIBUTE_OF:
            problems.append(
                header_problem(f"unknown column {name!r}", repr(name), f"only the columns {', '.join(COLUMNS)}")
            )
    missing = [name for name in COLUMNS if name not in seen]
    if missing:
        problems.append(
            header_problem("columns are missing", ", ".join(missing), "every column of the candidates file")
        )
    return problems


@dataclass(frozen=True, slots=True)
class CheckedCandidate:
    """A valid row: registry attribute → value (the birth date as a :class:`date`)."""

    values: dict[str, str | date]

    @property
    def cnie(self) -> str:
        return str(self.values["cnie"])

    @property
    def massar_code(self) -> str:
        return str(self.values["massar_code"])


def check_row(row_number: int, cells: dict[str, str]) -> tuple[CheckedCandidate | None, list[RowProblem]]:
    """The row as registry values (``None`` if it has a problem) and its problems, each naming its column.

    Personal identifiers and names are never echoed in a problem: it says what kind of value was found.
    """
    problems: list[RowProblem] = []

    def problem(column: str, found: str, expected: str) -> None:
        problems.append(
            RowProblem(row_number, column, found, expected, f"{column}: found {found}, expected {expected}")
        )

    values: dict[str, str | date] = {}
    for column, attribute in COLUMN_ATTRIBUTES:
        raw = cells.get(column, "").strip()
        refused = schemas.text_problem(raw, path=column)
        if refused is not None:
            problem(column, refused.found, refused.expected)
            continue
        if not raw:
            problem(column, "an empty cell", f"a value in the column {column}")
            continue
        if len(raw) > _MAX_TEXT:
            problem(column, f"a text of {len(raw)} characters", f"at most {_MAX_TEXT} characters")
            continue
        values[attribute] = schemas.checked_text(raw, path=column)
    for column, attribute, kind in (("cnie", "cnie", schemas.Cnie), ("massarCode", "massar_code", schemas.MassarCode)):
        if attribute in values:
            text = schemas.normalise_identifier(str(values[attribute]))
            try:
                values[attribute] = str(kind(text))
            except schemas.SubjectError as exc:
                problem(column, f"a text of {len(text)} characters (value withheld)", exc.problems[0].expected)
                del values[attribute]
    if "birth_date" in values:
        raw_date = str(values["birth_date"])
        try:
            values["birth_date"] = date.fromisoformat(raw_date)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
                raise ValueError
        except ValueError:
            problem("birthDate", "a value that is not a date YYYY-MM-DD (value withheld)", "a date YYYY-MM-DD")
            del values["birth_date"]
    streams = {item["code"]: item for item in schemas.reference_data()["streams"]}
    stream = streams.get(str(values.get("stream_code", "")))
    if "stream_code" in values and stream is None:
        problem("stream.code", repr(values["stream_code"]), f"one of {', '.join(streams)}")
    academies = {item["code"] for item in schemas.reference_data()["academies"]}
    academy = str(values.get("academy_code", ""))
    if re.fullmatch(r"[0-9]", academy):
        academy = values["academy_code"] = "0" + academy
    if "academy_code" in values and academy not in academies:
        problem("academy.code", repr(academy), "a regional academy's code, 01 to 12")
    for column in ("school.code", "directorate.code", "examCentre.code"):
        attribute = ATTRIBUTE_OF[column]
        if attribute in values and not _CODE.fullmatch(str(values[attribute])):
            problem(column, repr(values[attribute]), "a code of letters, digits and hyphens")
    if "option_language" in values:
        values["option_language"] = str(values["option_language"]).lower()
        if values["option_language"] not in _LANGUAGES:
            problem("optionLanguage", repr(values["option_language"]), f"one of {', '.join(_LANGUAGES)}")
    if "candidate_type" in values:
        values["candidate_type"] = str(values["candidate_type"]).lower()
        if values["candidate_type"] not in CANDIDATE_TYPES:
            problem("candidateType", repr(values["candidate_type"]), "enrolled or free")
    return (CheckedCandidate(values) if not problems else None), problems
