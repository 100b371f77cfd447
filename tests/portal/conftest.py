"""Fixtures of the portal's tests: the ministry's database with a real exam year (candidates registered with the
exam year's own import, marks imported, the session deliberated), and the portal served beside the real eID.

Storage tests take ``database_url`` (SQLite and PostgreSQL); the others use a SQLite file to stay fast.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from common.service.clock import FixedClock
from exams.candidates_file import COLUMNS
from exams.db import upgrade as upgrade_exams
from exams.deliberation import deliberate_session
from exams.generate import generate_candidates
from exams.marks import import_marks, write_generated_marks
from exams.registry import import_candidates
from issuer.audit import keyed_engine
from issuer.cohort_file import ExamSession
from issuer.db import upgrade as upgrade_issuer
from issuer.settings import Settings as IssuerSettings
from issuer.settings import load_settings
from tests.issuer.conftest import PASSPHRASE, environment
from tests.portal.live import Browser, Card, RunningPortal, browser_of, running_portal

SESSION = "2025-normale"
#: Before the announcement (the data checks happen weeks before results day).
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


@dataclass
class ExamYear:
    """The ministry's database with a registered, marked and deliberated session; ``cards`` are its candidates'
    eID cards (with development PINs), ``rows`` the candidates file's rows in the same order."""

    engine: Engine
    settings: IssuerSettings
    rows: list[dict[str, str]]
    cards: list[Card]
    passphrase_file: Path
    database_url: str


def card_of(row: dict[str, str], index: int) -> Card:
    return Card(
        cnie=row["cnie"],
        pin=f"{100000 + index:06d}",
        family_name=row["familyName.lat"],
        given_name=row["givenName.lat"],
        family_name_ar=row["familyName.ar"],
        given_name_ar=row["givenName.ar"],
        birthdate=row["birthDate"],
    )


def make_exam_year(directory: Path, database_url: str, *, count: int = 6, deliberate: bool = True) -> ExamYear:
    settings = load_settings(environment(directory, database_url))
    engine = keyed_engine(settings)
    upgrade_issuer(engine)
    upgrade_exams(engine)
    rows = list(generate_candidates(count=count, seed=17, session=ExamSession(2025, "normale")))
    path = directory / "candidates.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    import_candidates(engine, path=path, session=SESSION, actor="test", now=NOW)
    if deliberate:
        marks = directory / "marks.csv"
        write_generated_marks(engine, session=SESSION, seed=5, out=marks)
        import_marks(engine, path=marks, session=SESSION, actor="test", now=NOW)
        deliberate_session(engine, settings=settings, session=SESSION, actor="test", clock=lambda: NOW)
    passphrase_file = directory / "key-passphrase"
    passphrase_file.write_text(PASSPHRASE, encoding="utf-8")
    return ExamYear(
        engine=engine,
        settings=settings,
        rows=rows,
        cards=[card_of(row, index) for index, row in enumerate(rows)],
        passphrase_file=passphrase_file,
        database_url=database_url,
    )


@pytest.fixture
def portal_database_url(request: pytest.FixtureRequest) -> str:
    """SQLite unless a test asks for both with ``@pytest.mark.parametrize("portal_database_url", ["sqlite",
    "postgresql"], indirect=True)``."""
    backend = getattr(request, "param", "sqlite")
    return str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))


@pytest.fixture
def exam_year(tmp_path: Path, portal_database_url: str) -> Iterator[ExamYear]:
    year = make_exam_year(tmp_path, portal_database_url)
    yield year
    year.engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def portal(tmp_path: Path, exam_year: ExamYear, clock: FixedClock) -> Iterator[RunningPortal]:
    with running_portal(
        tmp_path,
        database_url=exam_year.database_url,
        cards=exam_year.cards,
        clock=clock,
        issuer=exam_year.settings,
        audit_passphrase_file=exam_year.passphrase_file,
    ) as running:
        yield running


@pytest.fixture
def browser(portal: RunningPortal) -> Iterator[Browser]:
    with browser_of(portal) as opened:
        yield opened
