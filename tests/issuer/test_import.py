"""Cohort import: every kind of bad row gets its report line and nothing is written; real-world files import."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from issuer.audit import verify_chain
from issuer.cohort import ALL_COLUMNS, REQUIRED_COLUMNS, ExamSession, ImportRefusedError, import_cohort
from issuer.db import reading
from tests.issuer.conftest import SESSION, Clock, cohort_rows, write_rows

Change = Callable[[dict[str, str]], None]


def _count(engine: Engine, table: str) -> int:
    with reading(engine) as db:
        return int(db.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # noqa: S608 - test constant


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _set(**values: str) -> Change:
    def change(row: dict[str, str]) -> None:
        row.update(values)

    return change


#: (name, change to a valid row, field reported, words the 'expected' column must contain)
BAD_ROWS: list[tuple[str, Change, str, str]] = [
    ("no CNIE", _set(cnie=""), "cnie", "no CNIE, no diploma"),
    ("malformed CNIE", _set(cnie="123-ABC"), "cnie", "CNIE"),
    ("malformed Massar code", _set(massarCode="X12"), "massarCode", "Massar"),
    ("missing Arabic given name", _set(**{"givenName.ar": ""}), "givenName.ar", "a value in the column givenName.ar"),
    ("Latin name without Latin letters", _set(**{"familyName.lat": "العلوي"}), "familyName.lat", "Latin"),
    ("mention not matching the average", _set(generalAverage="12.50", mention="bien"), "mention", "assez_bien"),
    ("not admitted", _set(generalAverage="9.75", mention="passable"), "generalAverage", "only admitted"),
    ("average not a number", _set(generalAverage="quinze"), "generalAverage", "a number"),
    (
        "average with three decimals",
        _set(generalAverage="12.125", mention="assez_bien"),
        "generalAverage",
        "two decimals",
    ),
    ("birth date not a date", _set(birthDate="2006-02-30"), "birthDate", "date"),
    ("born after deliberation", _set(birthDate="2024-08-01"), "birthDate", "before the deliberation"),
    ("deliberation outside the session year", _set(deliberationDate="2023-06-13"), "deliberationDate", "2024"),
    ("unknown academy", _set(**{"academy.code": "13"}), "academy.code", "one of"),
    ("unknown option language", _set(optionLanguage="de"), "optionLanguage", "one of"),
    ("row of another session", _set(**{"session.year": "2023"}), "session", "2024-normale"),
]


def test_every_bad_row_gets_its_report_line_and_nothing_is_written(
    tmp_path: Path, engine: Engine, clock: Clock
) -> None:
    rows = cohort_rows(len(BAD_ROWS) + 6, seed=11)
    for (_, change, _, _), row in zip(BAD_ROWS, rows, strict=False):
        change(row)
    duplicate_cnie = dict(rows[-1], massarCode="K000000001")
    duplicate_massar = dict(rows[-2], cnie="ZZ999999")
    path = write_rows(tmp_path / "bad.csv", [*rows, duplicate_cnie, duplicate_massar])
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(",".join(["x"] * 5) + "\r\n")  # too few fields
    with path.open("ab") as handle:
        handle.write(b"\xff\xfe not utf-8" + b"," * (len(ALL_COLUMNS) - 1) + b"\n")

    with pytest.raises(ImportRefusedError) as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())
    summary = refused.value.import_summary
    assert not summary.committed
    assert summary.imported == 0
    assert _count(engine, "graduate") == _count(engine, "import_row") == _count(engine, "cohort_import") == 0
    assert summary.report == tmp_path / "bad.csv.report.csv"
    report = _report(summary.report)
    by_row: dict[int, list[dict[str, str]]] = {}
    for line in report:
        by_row.setdefault(int(line["row"]), []).append(line)
    for number, (name, _, field, expected) in enumerate(BAD_ROWS, start=2):
        lines = by_row.get(number, [])
        assert any(line["field"] == field and expected in line["expected"] for line in lines), (name, lines)
    last = len(rows) + 1
    assert [line["field"] for line in by_row[last + 1]] == ["cnie"], "the repeated CNIE is reported on the later row"
    assert f"row {last}" in by_row[last + 1][0]["found"]
    assert [line["field"] for line in by_row[last + 2]] == ["massarCode"]
    assert "fields" in by_row[last + 3][0]["found"]
    assert "UTF-8" in by_row[last + 4][0]["expected"]
    assert set(by_row) == {*range(2, 2 + len(BAD_ROWS)), last + 1, last + 2, last + 3, last + 4}
    for row in [row for row in [*rows, duplicate_cnie, duplicate_massar] if row["cnie"]]:
        assert all(row["cnie"] not in line["found"] for line in report), "a CNIE number is never echoed"
        assert all(row["birthDate"] not in line["found"] for line in report)


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    rows = cohort_rows(10, seed=3)
    rows[4]["cnie"] = ""
    rows[7]["generalAverage"] = "8.00"
    report_path = tmp_path / "problems.json"
    summary = import_cohort(
        engine,
        path=write_rows(tmp_path / "c.csv", rows),
        session=SESSION,
        actor="test",
        now=clock(),
        skip_invalid=True,
        report=report_path,
    )
    assert summary.committed
    assert (summary.rows, summary.imported, summary.rejected_rows) == (10, 8, 2)
    assert _count(engine, "graduate") == 8
    document = json.loads(report_path.read_text(encoding="utf-8"))
    assert [problem["row"] for problem in document["problems"]] == [6, 9]
    assert document["summary"]["imported"] == 8
    assert set(document["problems"][0]) == {"row", "field", "found", "expected", "message"}


def test_a_second_import_of_the_same_graduates_is_refused(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    rows = cohort_rows(5)
    path = write_rows(tmp_path / "c.csv", rows)
    import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())
    with pytest.raises(ImportRefusedError) as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())
    lines = _report(refused.value.import_summary.report)  # type: ignore[arg-type]
    assert {(line["row"], line["field"]) for line in lines} >= {(str(n), "cnie") for n in range(2, 7)}
    assert all("already imported" in line["found"] for line in lines)
    assert _count(engine, "graduate") == 5
    other = import_cohort(
        engine, path=path, session=ExamSession(2024, "rattrapage"), actor="test", now=clock(), skip_invalid=True
    )
    assert other.imported == 0, "the rows say 2024-normale"


def test_arabic_bom_crlf_semicolons_and_loose_values_import(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    rows = cohort_rows(4, seed=5)
    rows[0].update(cnie=f" {rows[0]['cnie'].lower()[:2]} {rows[0]['cnie'][2:]} ", generalAverage="15,5", mention="Bien")
    rows[1].update(generalAverage="16", mention="Très bien")
    rows[2].update(generalAverage="12.00", mention="مستحسن")
    rows[2]["academy.code"] = rows[2]["academy.code"].lstrip("0") or "0"
    columns = tuple(reversed(REQUIRED_COLUMNS))  # any order, no session columns
    path = write_rows(
        tmp_path / "excel.csv", rows, columns=columns, encoding="utf-8-sig", delimiter=";", lineterminator="\r\n"
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    summary = import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())
    assert (summary.imported, summary.problems) == (4, 0)
    with reading(engine) as db:
        subjects = [json.loads(row[0]) for row in db.execute(text("SELECT subject FROM graduate ORDER BY row_number"))]
    assert subjects[0]["cnie"] == rows[0]["cnie"].replace(" ", "").upper()
    assert (subjects[0]["generalAverage"], subjects[0]["mention"]) == (15.5, "bien")
    assert subjects[1]["mention"] == "tres_bien"
    assert subjects[2]["mention"] == "assez_bien"
    assert subjects[0]["familyName"]["ar"] == rows[0]["familyName.ar"], "Arabic kept as given"
    assert subjects[0]["session"] == {"year": 2024, "type": "normale"}
    assert list(subjects[0]) == [name for name in subjects[0] if name != "type"]
    assert verify_chain(engine).ok


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty file", b"", "a header"),
        ("UTF-16 file", "cnie\n".encode("utf-16"), "UTF-8"),
        ("missing columns", b"cnie,massarCode\nBE1,J1\n", "every column"),
        ("unknown column", (",".join([*ALL_COLUMNS, "note"]) + "\n").encode(), "only the columns"),
        ("repeated column", (",".join([*ALL_COLUMNS, "cnie"]) + "\n").encode(), "each column once"),
    ],
)
def test_unusable_files_are_refused_with_a_header_line(
    tmp_path: Path, engine: Engine, clock: Clock, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRefusedError) as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock(), skip_invalid=True)
    lines = _report(refused.value.import_summary.report)  # type: ignore[arg-type]
    assert lines[0]["row"] == "1", name
    assert any(expected in line["expected"] for line in lines), (name, lines)
    assert _count(engine, "graduate") == 0


def test_session_names_are_checked() -> None:
    from issuer.errors import InputError

    assert str(ExamSession.parse(" 2024-Rattrapage ")) == "2024-rattrapage"
    for bad in ("2024", "2024-summer", "24-normale", "3024-normale"):
        with pytest.raises(InputError):
            ExamSession.parse(bad)


def test_an_unreadable_file_is_an_input_error(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    from issuer.errors import InputError

    with pytest.raises(InputError, match="cannot read"):
        import_cohort(engine, path=tmp_path / "missing.csv", session=SESSION, actor="test", now=clock())


def test_reports_are_readable_by_their_owner_only(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    rows = cohort_rows(4, seed=5)
    rows[1]["cnie"] = ""
    path = write_rows(tmp_path / "c.csv", rows)
    with pytest.raises(ImportRefusedError) as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())
    default_report = refused.value.import_summary.report
    assert default_report == tmp_path / "c.csv.report.csv"
    assert stat.S_IMODE(default_report.stat().st_mode) == 0o600
    chosen = tmp_path / "reports" / "2024" / "problems.json"
    summary = import_cohort(
        engine, path=path, session=SESSION, actor="test", now=clock(), skip_invalid=True, report=chosen
    )
    assert summary.report == chosen
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600
    for directory in (chosen.parent, chosen.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, "a directory the import creates is private"
    assert [item.name for item in chosen.parent.iterdir()] == ["problems.json"], "no temporary file is left"


def test_an_unwritable_report_is_an_input_error_and_nothing_is_imported(
    tmp_path: Path, engine: Engine, clock: Clock
) -> None:
    from issuer.errors import InputError

    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    path = write_rows(tmp_path / "c.csv", cohort_rows(3))
    with pytest.raises(InputError, match="cannot write the import report") as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock(), report=blocker / "r.csv")
    assert refused.value.code == "import.report_unwritable"
    assert _count(engine, "graduate") == 0


def test_a_file_broken_midway_is_refused_with_its_rows_counted(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    path = write_rows(tmp_path / "c.csv", cohort_rows(3))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('"' + "x" * 200_000 + "\n")  # an unterminated quote longer than the csv field limit
    with pytest.raises(ImportRefusedError) as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock(), skip_invalid=True)
    summary = refused.value.import_summary
    assert (summary.rows, summary.rejected_rows, summary.valid_rows) == (3, 3, 0)
    lines = _report(summary.report)  # type: ignore[arg-type]
    assert [(line["row"], line["expected"]) for line in lines] == [("5", "well-formed CSV")]
    assert _count(engine, "graduate") == 0


#: (column, value, the code point its report line names)
LYING_CELLS = [
    ("givenName.lat", "Salma\u202eLIAF ENO", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("familyName.ar", "العل\u200bوي", "U+200B ZERO WIDTH SPACE"),
    ("familyName.lat", "Ala\x00oui", "U+0000 NULL"),
    ("birthPlace.lat", "<script>alert(1)</script>", "U+003C LESS-THAN SIGN"),
    ("school.fr", "Lycée\u2067 X", "U+2067 RIGHT-TO-LEFT ISOLATE"),
    ("generalAverage", "1<5", "U+003C LESS-THAN SIGN"),
]


def test_names_that_lie_are_refused_by_code_point_and_nothing_is_written(
    tmp_path: Path, engine: Engine, clock: Clock
) -> None:
    rows = cohort_rows(len(LYING_CELLS) + 3, seed=5)
    for (column, value, _), row in zip(LYING_CELLS, rows, strict=False):
        row[column] = value
    path = write_rows(tmp_path / "lying.csv", rows)

    with pytest.raises(ImportRefusedError) as refused:
        import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())

    summary = refused.value.import_summary
    assert (summary.committed, summary.imported, summary.rejected_rows) == (False, 0, len(LYING_CELLS))
    assert _count(engine, "graduate") == _count(engine, "import_row") == _count(engine, "cohort_import") == 0
    assert summary.report is not None
    report = _report(summary.report)
    for row_number, (column, _, code_point) in enumerate(LYING_CELLS, start=2):
        lines = [line for line in report if int(line["row"]) == row_number]
        assert [line["field"] for line in lines] == [column], lines
        assert code_point in lines[0]["found"]
        assert code_point in lines[0]["message"]
    text = summary.report.read_text(encoding="utf-8")
    for _, value, _ in LYING_CELLS:
        assert value not in text
    for echo in ("script", "Salma", "\u202e", "\x00"):
        assert echo not in text


def test_names_are_stored_nfc_normalised(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    rows = cohort_rows(2, seed=6)
    rows[0]["familyName.lat"] = "Bene\u0301zet"
    import_cohort(engine, path=write_rows(tmp_path / "nfd.csv", rows), session=SESSION, actor="test", now=clock())
    with reading(engine) as db:
        stored = db.execute(text("SELECT subject FROM graduate ORDER BY row_number")).scalars().first()
    assert json.loads(stored)["familyName"]["lat"] == "Ben\u00e9zet"
