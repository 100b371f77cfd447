"""The marks import: every bad row refused with its number and what was found and expected; all or nothing."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from exams.generate import MARK_COLUMNS
from exams.imports import ImportRefusedError
from exams.marks import import_marks, parse_mark, write_generated_marks
from exams.models import MarkRow
from issuer.db import reading
from tests.exams.conftest import SESSION


def _count(engine: Engine) -> int:
    with reading(engine) as db:
        return int(db.execute(select(func.count()).select_from(MarkRow)).scalar_one())


def _rows(tmp_path: Path, engine: Engine) -> list[dict[str, str]]:
    out = tmp_path / "generated.csv"
    write_generated_marks(engine, session=SESSION, seed=1, out=out)
    with out.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(MARK_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("text", "centi"),
    [("0", 0), ("20", 2000), ("13.75", 1375), ("13,5", 1350), ("09.05", 905), ("20.00", 2000)],
)
def test_marks_parse_exactly(text: str, centi: int) -> None:
    assert parse_mark(text) == centi


@pytest.mark.parametrize("text", ["20.01", "-1", "21", "13.755", "abc", "", "1e1", "NaN", "13."])
def test_marks_outside_the_rules_do_not_parse(text: str) -> None:
    assert parse_mark(text) is None


def _enrolled_and_free(rows: list[dict[str, str]], registered: list[dict[str, str]]) -> tuple[str, str]:
    kinds = {row["cnie"]: row["candidateType"] for row in registered}
    enrolled = next(r["cnie"] for r in rows if kinds[r["cnie"]] == "enrolled")
    free = next(r["cnie"] for r in rows if kinds[r["cnie"]] == "free")
    return enrolled, free


@pytest.mark.parametrize(
    ("change", "field", "found", "expected"),
    [
        ({"mark": "20.5"}, "mark", "'20.5'", "from 0 to 20"),
        ({"mark": "-2"}, "mark", "'-2'", "from 0 to 20"),
        ({"cnie": "ZZ999999"}, "cnie", "not registered", "a registered candidate"),
        ({"exam": "oral"}, "exam", "'oral'", "one of continuous"),
        ({"exam": "national", "subject": "XX"}, "subject", "'XX'", "a national subject of the stream"),
        ({"exam": "catch_up", "subject": "MA"}, "exam", "outside the catch-up band", "catch-up band"),
    ],
)
def test_a_bad_row_is_refused_with_the_row(
    tmp_path: Path,
    engine: Engine,
    now: datetime,
    registered: list[dict[str, str]],
    change: dict[str, str],
    field: str,
    found: str,
    expected: str,
) -> None:
    rows = _rows(tmp_path, engine)
    rows[4] = {**rows[4], **change}
    if change.get("exam") == "catch_up":
        rows[4]["subject"] = next(
            r["subject"] for r in rows if r["cnie"] == rows[4]["cnie"] and r["exam"] == "national"
        )
    with pytest.raises(ImportRefusedError) as refused:
        import_marks(engine, path=_write(tmp_path / "m.csv", rows), session=SESSION, actor="t", now=now)
    problem = refused.value.import_summary.first_problems[0]
    assert (problem.row, problem.field) == (6, field)
    assert found in problem.found
    assert expected in problem.expected
    assert _count(engine) == 0


def test_continuous_assessment_is_for_enrolled_candidates(
    tmp_path: Path, engine: Engine, now: datetime, registered: list[dict[str, str]]
) -> None:
    rows = _rows(tmp_path, engine)
    _, free = _enrolled_and_free(rows, registered)
    rows.append({"cnie": free, "exam": "continuous", "subject": "CC", "mark": "12"})
    with pytest.raises(ImportRefusedError) as refused:
        import_marks(engine, path=_write(tmp_path / "m.csv", rows), session=SESSION, actor="t", now=now)
    problem = refused.value.import_summary.first_problems[0]
    assert problem.field == "exam"
    assert "free candidate" in problem.found


def test_duplicates_are_refused(
    tmp_path: Path, engine: Engine, now: datetime, registered: list[dict[str, str]]
) -> None:
    rows = _rows(tmp_path, engine)
    with pytest.raises(ImportRefusedError) as refused:
        import_marks(engine, path=_write(tmp_path / "m.csv", [*rows, rows[3]]), session=SESSION, actor="t", now=now)
    problem = refused.value.import_summary.first_problems[0]
    assert problem.row == len(rows) + 2
    assert "row 5" in problem.found
    import_marks(engine, path=_write(tmp_path / "a.csv", rows[:10]), session=SESSION, actor="t", now=now)
    with pytest.raises(ImportRefusedError) as again:
        import_marks(engine, path=_write(tmp_path / "b.csv", rows[5:]), session=SESSION, actor="t", now=now)
    assert "already imported" in again.value.import_summary.first_problems[0].found
    assert _count(engine) == 10
    summary = import_marks(engine, path=_write(tmp_path / "c.csv", rows[10:]), session=SESSION, actor="t", now=now)
    assert summary.imported == len(rows) - 10


def test_a_bad_header(tmp_path: Path, engine: Engine, now: datetime, registered: list[dict[str, str]]) -> None:
    path = tmp_path / "m.csv"
    path.write_text("cnie,subject,note\nA1,MA,12\n", encoding="utf-8")
    with pytest.raises(ImportRefusedError) as refused:
        import_marks(engine, path=path, session=SESSION, actor="t", now=now)
    problem = refused.value.import_summary.first_problems[0]
    assert problem.row == 1
    assert "cnie, exam, subject, mark" in problem.expected


def test_marks_written_by_another_import_meanwhile_import_nothing(
    tmp_path: Path, engine: Engine, now: datetime, registered: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from exams import imports, marks
    from exams.errors import InputError

    rows = _rows(tmp_path, engine)
    other: list[Path] = []

    def another_import_first(*args: Any, **kwargs: Any) -> Any:
        if not other:
            other.append(_write(tmp_path / "other.csv", rows[:1]))
            import_marks(engine, path=other[0], session=SESSION, actor="t", now=now)
        return imports.write_checked(*args, **kwargs)

    monkeypatch.setattr(marks, "write_checked", another_import_first)
    with pytest.raises(InputError) as concurrent:
        import_marks(engine, path=_write(tmp_path / "m.csv", rows), session=SESSION, actor="t", now=now)
    assert concurrent.value.code == "import.concurrent"
    assert _count(engine) == 1
