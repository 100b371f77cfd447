"""The walk-through's scholarship steps against the real portal and development eID (served on free ports, an
announced exam year in the database): the officer is named with the real command, the graduate applies, a replayed
submission is refused, the officer grants after the confirmation."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from exams.results import publish
from tawtiq.demo.scholarship import Person, scholarship_steps
from tawtiq.demo.walk import DemoError, Walk
from tests.portal.conftest import NOW, SESSION, ExamYear, clock, exam_year, portal, portal_database_url  # noqa: F401
from tests.portal.live import RunningPortal

ANNOUNCED = NOW.replace(day=14, hour=8)
GRADUATE, OFFICER = 1, 5  # admitted, and another card (see tests/portal/test_scholarship.py)


def _walk(tmp_path: Path) -> tuple[Walk, io.StringIO]:
    output = io.StringIO()
    return Walk(Console(file=output, width=120, force_terminal=False), tmp_path / "walk"), output


def _person(year: ExamYear, index: int) -> Person:
    card = year.cards[index]
    return Person(card.cnie, card.pin, f"{card.given_name} {card.family_name}")


def _portal_env(year: ExamYear) -> dict[str, str]:
    base = {name: value for name, value in os.environ.items() if not name.startswith("TAWTIQ_")}
    return {**base, "TAWTIQ_PORTAL_DATABASE_URL": year.database_url}


def test_a_graduate_applies_and_the_provinces_officer_grants(
    tmp_path: Path,
    portal: RunningPortal,  # noqa: F811 - the imported fixture
    exam_year: ExamYear,  # noqa: F811 - the imported fixture
) -> None:
    publish(exam_year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=NOW)
    portal.set_time(ANNOUNCED)
    walk, output = _walk(tmp_path)
    outcome = scholarship_steps(
        walk,
        first_step=8,
        portal_url=portal.base,
        portal_env=_portal_env(exam_year),
        graduate=_person(exam_year, GRADUATE),
        officer=_person(exam_year, OFFICER),
        province=exam_year.rows[GRADUATE]["directorate.code"],
    )
    assert outcome.expected, outcome
    assert outcome.reasons == ("income_eligible",)
    printed = output.getvalue()
    assert "8. A scholarship officer for the graduate's province" in printed
    assert "$ tawtiq portal staff add --cnie" in printed
    assert "10. The province's officer decides" in printed
    assert "409 scholarship.submitted" in printed
    assert exam_year.rows[GRADUATE]["massarCode"] in printed, "the confirmation names whom it touches"
    assert "Accordée" in printed


def test_the_steps_stop_with_the_reason_when_the_graduate_may_not_apply(
    tmp_path: Path,
    portal: RunningPortal,  # noqa: F811 - the imported fixture
    exam_year: ExamYear,  # noqa: F811 - the imported fixture
) -> None:
    walk, _output = _walk(tmp_path)
    with pytest.raises(DemoError, match=r"GET /scholarship: 403 scholarship.not_admitted"):
        scholarship_steps(
            walk,
            first_step=1,
            portal_url=portal.base,
            portal_env=_portal_env(exam_year),
            graduate=_person(exam_year, GRADUATE),
            officer=_person(exam_year, OFFICER),
            province=exam_year.rows[GRADUATE]["directorate.code"],
        )
