"""The candidate registry: the generated file imports; every bad row is refused with what was found and expected;
nothing is written unless every row is valid; the portal's read."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from exams.candidates_file import COLUMNS
from exams.imports import ImportRefusedError
from exams.models import CandidateRow
from exams.registry import candidate_counts, candidate_of, import_candidates
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent
from tests.exams.conftest import SESSION, candidate_rows, write_csv


def _count(engine: Engine) -> int:
    with reading(engine) as db:
        return int(db.execute(select(func.count()).select_from(CandidateRow)).scalar_one())


def test_generated_file_imports_and_reads_back(tmp_path: Path, engine: Engine, now: datetime) -> None:
    rows = candidate_rows(30)
    summary = import_candidates(engine, path=write_csv(tmp_path / "c.csv", rows), session=SESSION, actor="t", now=now)
    assert summary.committed
    assert summary.imported == 30
    assert summary.report is None
    first = rows[0]
    candidate = candidate_of(engine, session=SESSION, cnie=first["cnie"].lower())
    assert candidate is not None
    assert candidate.cnie == first["cnie"]
    assert candidate.family_name_ar == first["familyName.ar"]
    assert candidate.birth_date == date.fromisoformat(first["birthDate"])
    assert candidate.exam_centre_code == first["examCentre.code"]
    assert candidate.candidate_type == first["candidateType"]
    assert first["cnie"] not in repr(candidate)
    assert candidate_of(engine, session="2024-normale", cnie=first["cnie"]) is None
    counts = candidate_counts(engine, session=SESSION)
    assert counts["enrolled"] + counts["free"] == 30
    with reading(engine) as db:
        event = db.execute(select(AuditEvent).where(AuditEvent.action == "exam.candidates_import")).scalar_one()
        assert first["cnie"] not in event.details
    assert verify_chain(engine).ok


def test_same_seed_same_file() -> None:
    assert candidate_rows(5, seed=3) == candidate_rows(5, seed=3)
    assert candidate_rows(5, seed=3) != candidate_rows(5, seed=4)
    assert tuple(candidate_rows(1)[0]) == COLUMNS


@pytest.mark.parametrize(
    ("column", "value", "found", "expected"),
    [
        ("cnie", "12345", "a text of 5 characters (value withheld)", "1 or 2 Latin letters"),
        ("massarCode", "X1", "a text of 2 characters (value withheld)", "9 digits"),
        ("birthDate", "2007-02-30", "not a date", "a date YYYY-MM-DD"),
        ("stream.code", "XYZ", "'XYZ'", "one of"),
        ("academy.code", "13", "'13'", "01 to 12"),
        ("candidateType", "guest", "'guest'", "enrolled or free"),
        ("optionLanguage", "tlh", "'tlh'", "one of"),
        ("familyName.lat", "", "an empty cell", "a value in the column familyName.lat"),
        ("givenName.ar", "سلمى\u202e", "U+202E", "without control"),
    ],
)
def test_a_bad_row_is_refused_with_the_row(
    tmp_path: Path, engine: Engine, now: datetime, column: str, value: str, found: str, expected: str
) -> None:
    rows = candidate_rows(5)
    rows[3][column] = value
    with pytest.raises(ImportRefusedError) as refused:
        import_candidates(engine, path=write_csv(tmp_path / "c.csv", rows), session=SESSION, actor="t", now=now)
    summary = refused.value.import_summary
    assert not summary.committed
    problem = summary.first_problems[0]
    assert (problem.row, problem.field) == (5, column)
    assert found in problem.found
    assert expected.lower() in problem.expected.lower()
    assert summary.report is not None
    assert summary.report.exists()
    assert _count(engine) == 0


def test_duplicates_are_refused(tmp_path: Path, engine: Engine, now: datetime) -> None:
    rows = candidate_rows(4)
    rows[2]["cnie"] = rows[0]["cnie"]
    rows[3]["massarCode"] = rows[1]["massarCode"]
    with pytest.raises(ImportRefusedError) as refused:
        import_candidates(engine, path=write_csv(tmp_path / "c.csv", rows), session=SESSION, actor="t", now=now)
    problems = {(p.row, p.field): p for p in refused.value.import_summary.first_problems}
    assert "row 2" in problems[(4, "cnie")].found
    assert "row 3" in problems[(5, "massarCode")].found
    assert rows[0]["cnie"] not in str(refused.value.import_summary.first_problems)
    assert _count(engine) == 0


def test_a_candidate_already_registered_is_refused(tmp_path: Path, engine: Engine, now: datetime) -> None:
    rows = candidate_rows(3)
    import_candidates(engine, path=write_csv(tmp_path / "a.csv", rows[:2]), session=SESSION, actor="t", now=now)
    with pytest.raises(ImportRefusedError) as refused:
        import_candidates(engine, path=write_csv(tmp_path / "b.csv", rows[1:]), session=SESSION, actor="t", now=now)
    problem = refused.value.import_summary.first_problems[0]
    assert problem.row == 2
    assert "already registered" in problem.found
    assert _count(engine) == 2
    # Another session is another registry.
    import_candidates(engine, path=write_csv(tmp_path / "c.csv", rows), session="2026-normale", actor="t", now=now)
    assert _count(engine) == 5


def test_a_bad_header_refuses_the_file(tmp_path: Path, engine: Engine, now: datetime) -> None:
    path = write_csv(tmp_path / "c.csv", candidate_rows(2), columns=tuple(c for c in COLUMNS if c != "candidateType"))
    with pytest.raises(ImportRefusedError) as refused:
        import_candidates(engine, path=path, session=SESSION, actor="t", now=now)
    problem = refused.value.import_summary.first_problems[0]
    assert problem.row == 1
    assert "candidateType" in problem.found


def test_a_bad_session_and_a_missing_file(tmp_path: Path, engine: Engine, now: datetime) -> None:
    from exams.errors import InputError

    with pytest.raises(InputError) as bad:
        import_candidates(engine, path=tmp_path / "none.csv", session="2025", actor="t", now=now)
    assert bad.value.code == "session.invalid"
    with pytest.raises(InputError) as missing:
        import_candidates(engine, path=tmp_path / "none.csv", session=SESSION, actor="t", now=now)
    assert missing.value.code == "import.unreadable"


def test_a_file_changed_between_the_check_and_the_write_imports_nothing(
    tmp_path: Path, engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exams import imports, registry
    from exams.errors import InputError

    rows = candidate_rows(3)
    path = write_csv(tmp_path / "c.csv", rows)

    def changed_then_written(*args: Any, **kwargs: Any) -> Any:
        write_csv(path, rows[:2])
        return imports.write_checked(*args, **kwargs)

    monkeypatch.setattr(registry, "write_checked", changed_then_written)
    with pytest.raises(InputError) as changed:
        import_candidates(engine, path=path, session=SESSION, actor="t", now=now)
    assert changed.value.code == "import.changed"
    assert _count(engine) == 0


def test_candidates_registered_by_another_import_meanwhile_import_nothing(
    tmp_path: Path, engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exams import imports, registry
    from exams.errors import InputError

    rows = candidate_rows(3)
    other: list[Path] = []

    def another_import_first(*args: Any, **kwargs: Any) -> Any:
        if not other:
            other.append(write_csv(tmp_path / "other.csv", rows[2:]))
            import_candidates(engine, path=other[0], session=SESSION, actor="t", now=now)
        return imports.write_checked(*args, **kwargs)

    monkeypatch.setattr(registry, "write_checked", another_import_first)
    with pytest.raises(InputError) as concurrent:
        import_candidates(engine, path=write_csv(tmp_path / "c.csv", rows), session=SESSION, actor="t", now=now)
    assert concurrent.value.code == "import.concurrent"
    assert _count(engine) == 1
