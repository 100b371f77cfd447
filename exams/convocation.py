"""The convocation: the candidate's registry data and the schedule of the exams they sit, once their data is checked.

Available when the candidate's data is ``confirmed`` or ``settled`` (:mod:`exams.personal_data`), otherwise refused
with :class:`ConflictError` ``convocation.not_ready``. An enrolled candidate sat the regional exam the year before and
is convoked to the national exam's subjects; a free candidate sits both. Dates come from the rules file's calendar
(:mod:`exams.subjects`): day ``n`` of an exam is its first day plus ``n - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import Engine

from exams import registry
from exams.errors import ConfigurationError, ConflictError
from exams.personal_data import DataState, state_in
from exams.registry import Candidate
from exams.subjects import FREE, NATIONAL, REGIONAL, ExamRules, load_rules
from issuer.db import reading


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """One sitting: the subject (code, labels), its exam (regional or national), the day and the times."""

    subject: str
    label_ar: str
    label_fr: str
    exam: str
    date: date
    start: time
    end: time


@dataclass(frozen=True)
class Convocation:
    """The candidate and their schedule, in date and time order."""

    candidate: Candidate
    session: str
    schedule: tuple[ScheduleLine, ...]


def schedule_of(candidate: Candidate, rules: ExamRules) -> tuple[ScheduleLine, ...]:
    """The sittings of ``candidate``'s exams in their session. Raises ``convocation.no_calendar``."""
    exams = (REGIONAL, NATIONAL) if candidate.candidate_type == FREE else (NATIONAL,)
    lines: list[ScheduleLine] = []
    for rule in rules.stream(candidate.stream_code).subjects:
        if rule.exam not in exams:
            continue
        when = rules.exam_date(candidate.session, rule.exam, rule.day)
        if when is None:
            raise ConfigurationError(
                "the exam calendar has no dates for this session",
                code="convocation.no_calendar",
                found=f"{candidate.session} {rule.exam}",
                expected=f"calendar.{candidate.session}.{rule.exam} in {rules.source}",
            )
        lines.append(ScheduleLine(rule.code, rule.label_ar, rule.label_fr, rule.exam, when, rule.start, rule.end))
    return tuple(sorted(lines, key=lambda line: (line.date, line.start)))


def convocation_of(engine: Engine, *, session: str, cnie: str) -> Convocation:
    """The candidate's convocation. Raises :class:`NotFoundError` ``candidate.unknown``, :class:`ConflictError`
    ``convocation.not_ready`` (data not yet confirmed or corrections not decided)."""
    with reading(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        state = state_in(db, candidate.id)
    if state not in (DataState.CONFIRMED, DataState.SETTLED):
        raise ConflictError(
            "the convocation is available once the personal data is confirmed or its corrections are decided",
            code="convocation.not_ready",
            found=state.value,
            expected=f"{DataState.CONFIRMED.value} or {DataState.SETTLED.value}",
        )
    return Convocation(candidate=candidate, session=session, schedule=schedule_of(candidate, load_rules()))
