"""Synthetic cohorts: reproducible, valid, unique identifiers, realistic spread."""

from __future__ import annotations

import stat
from collections import Counter
from pathlib import Path

import pytest

import schemas
from issuer.cohort_file import ExamSession, RowChecker
from issuer.errors import InputError
from issuer.generate import generate_cohort, write_cohort

SESSION = ExamSession(2024, "normale")


def test_the_same_seed_gives_the_same_cohort(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert write_cohort(first, count=300, seed=1, session=SESSION) == 300
    write_cohort(second, count=300, seed=1, session=SESSION)
    write_cohort(other, count=300, seed=2, session=SESSION)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()


def test_every_generated_graduate_is_valid_and_unique() -> None:
    rows = list(generate_cohort(count=3000, seed=4, session=ExamSession(2025, "rattrapage")))
    checker = RowChecker(ExamSession(2025, "rattrapage"))
    for number, row in enumerate(rows, start=2):
        subject, problems = checker.check(number, row)
        assert subject is not None, problems
    assert len({row["cnie"] for row in rows}) == len({row["massarCode"] for row in rows}) == 3000
    academies = Counter(row["academy.code"] for row in rows)
    assert set(academies) == {f"{n:02d}" for n in range(1, 13)}
    assert academies["06"] > academies["12"] * 10, "Casablanca-Settat is the largest academy"
    mentions = Counter(row["mention"] for row in rows)
    assert set(mentions) == set(schemas.MENTIONS)
    assert mentions["passable"] > mentions["tres_bien"]
    streams = Counter(row["stream.code"] for row in rows)
    assert streams.most_common(1)[0][0] == "SVT"
    assert all(row["deliberationDate"].startswith("2025-07") for row in rows)


def test_counts_are_bounded() -> None:
    with pytest.raises(ValueError, match="between"):
        next(generate_cohort(count=1_000_001, seed=1, session=SESSION))


def test_a_generated_cohort_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "exports" / "cohort.csv"
    assert write_cohort(path, count=5, seed=1, session=SESSION) == 5
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, "a directory the command creates is private"
    assert [item.name for item in path.parent.iterdir()] == ["cohort.csv"], "no temporary file is left behind"


def test_an_unwritable_output_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write the cohort file") as refused:
        write_cohort(blocker / "cohort.csv", count=5, seed=1, session=SESSION)
    assert refused.value.code == "cohort.unwritable"
