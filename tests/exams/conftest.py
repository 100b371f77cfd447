"""Fixtures of the exam-year tests: the ministry's database (issuer and exam schemas) on SQLite and PostgreSQL, a
registered synthetic session, and helpers to write candidates and marks files."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from exams.candidates_file import COLUMNS
from exams.db import upgrade as upgrade_exams
from exams.generate import generate_candidates
from exams.registry import import_candidates
from issuer.audit import keyed_engine
from issuer.cohort_file import ExamSession
from issuer.db import upgrade as upgrade_issuer
from issuer.settings import Settings, load_settings
from tests.issuer.conftest import Clock, environment

SESSION = "2025-normale"
EXAM_SESSION = ExamSession(2025, "normale")


@pytest.fixture
def now() -> datetime:
    return datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(environment(tmp_path, database_url))


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = keyed_engine(settings)
    upgrade_issuer(engine)
    upgrade_exams(engine)
    yield engine
    engine.dispose()


def candidate_rows(count: int, *, seed: int = 11) -> list[dict[str, str]]:
    return list(generate_candidates(count=count, seed=seed, session=EXAM_SESSION))


def write_csv(path: Path, rows: list[dict[str, str]], *, columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def registered(tmp_path: Path, engine: Engine, now: datetime) -> list[dict[str, str]]:
    """Forty candidates registered for 2025-normale (both types)."""
    rows = candidate_rows(40)
    assert {row["candidateType"] for row in rows} == {"enrolled", "free"}
    import_candidates(engine, path=write_csv(tmp_path / "candidates.csv", rows), session=SESSION, actor="test", now=now)
    return rows
