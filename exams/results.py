"""Results at the announced instant: ``tawtiq exam publish --at`` sets it; before it nothing of a result is reachable.

:func:`result_of` is what the portal shows. It always runs the same reads — the candidate, their result and the
session's publication instants in one statement, then their marks — and only then decides what to return, so a
candidate asking before the instant learns nothing, not even from how long the answer took: ``None`` before the
instant, when there is no such candidate, or until the session's deliberation has finished (a deliberation still
running when the instant comes shows nothing rather than some candidates' results); from the instant on, the
decision, average, mention and marks. The catch-up outcome (and the catch-up marks) appear from the catch-up
publication's instant, the same way.

Publishing needs a time zone (a naive time is refused); the instant may be moved while it is in the future, never once
it has passed (results once shown stay shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Engine, and_, select
from sqlmodel import col

import schemas
from exams.errors import ConflictError, InputError
from exams.models import CandidateRow, ExamSessionRow, MarkRow, ResultRow, table
from exams.registry import session_name
from exams.subjects import CATCH_UP, CONTINUOUS, load_rules
from issuer import audit
from issuer.db import reading, writing

_CENTI: Final = Decimal("0.01")


def from_centi(value: int) -> Decimal:
    """Hundredths of a point as a two-place :class:`Decimal` (1375 → 13.75)."""
    return (Decimal(value) * _CENTI).quantize(_CENTI)


@dataclass(frozen=True, slots=True)
class SubjectMark:
    """One mark of a result: the subject, its labels, the mark /20, its coefficient and exam."""

    code: str
    label_ar: str
    label_fr: str
    mark: Decimal
    coefficient: int
    exam: str


@dataclass(frozen=True, slots=True)
class CatchUpOutcome:
    """The catch-up stage's outcome: the new average, decision (admitted | not_admitted), mention, retaken marks."""

    average: Decimal
    decision: str
    mention: str | None
    marks: tuple[SubjectMark, ...]


@dataclass(frozen=True)
class Result:
    """A candidate's result as published: ``decision`` is the normal stage's (admitted | catch_up | not_admitted)."""

    session: str
    decision: str
    average: Decimal
    mention: str | None
    marks: tuple[SubjectMark, ...]
    catch_up: CatchUpOutcome | None


def publish(
    engine: Engine, *, session: str, at: datetime, actor: str, now: datetime, catch_up: bool = False
) -> datetime:
    """Set the instant the session's results (or, with ``catch_up``, its catch-up outcomes) become visible.

    Returns the instant in UTC. Raises :class:`InputError` ``publish.naive_time`` (no time zone) and
    :class:`ConflictError` ``publish.already_public`` (the instant already set has passed).
    """
    name = session_name(session)
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError(
            "the publication instant needs a time zone",
            code="publish.naive_time",
            found=at.isoformat(),
            expected="an ISO 8601 instant with its offset, e.g. 2025-06-14T09:00:00+01:00",
        )
    instant = at.astimezone(UTC)
    with writing(engine) as db:
        row = db.execute(
            select(ExamSessionRow).where(col(ExamSessionRow.name) == name).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = ExamSessionRow(name=name)
        current = row.catch_up_published_at if catch_up else row.published_at
        if current is not None and current <= now:
            raise ConflictError(
                "these results are already public; the instant cannot be moved",
                code="publish.already_public",
                found=current.isoformat(),
                expected="a publication instant still in the future",
            )
        if catch_up:
            row.catch_up_published_at = instant
        else:
            row.published_at = instant
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor=actor,
            action="exam.publish_catch_up" if catch_up else "exam.publish",
            target=name,
            at=now,
            details={"at": instant.isoformat(), "previous": current.isoformat() if current else None},
        )
    return instant


def publication_of(engine: Engine, *, session: str, catch_up: bool = False) -> datetime | None:
    """The instant the session's results (``catch_up``: catch-up outcomes) are published, or None if not set."""
    with reading(engine) as db:
        row = db.get(ExamSessionRow, session)
    if row is None:
        return None
    return row.catch_up_published_at if catch_up else row.published_at


def result_of(engine: Engine, *, session: str, cnie: str, now: datetime) -> Result | None:
    """The candidate's result, or None before the published instant (see the module docstring)."""
    candidates, results, sessions, marks = (
        table(CandidateRow),
        table(ResultRow),
        table(ExamSessionRow),
        table(MarkRow),
    )
    with reading(engine) as db:
        found = db.execute(
            select(
                candidates.c.id,
                candidates.c.stream_code,
                results.c.average_centi,
                results.c.decision,
                results.c.mention,
                results.c.catch_up_average_centi,
                results.c.catch_up_decision,
                results.c.catch_up_mention,
                sessions.c.published_at,
                sessions.c.catch_up_published_at,
                sessions.c.deliberated_at,
                sessions.c.catch_up_deliberated_at,
            )
            .select_from(candidates)
            .outerjoin(results, results.c.candidate_id == candidates.c.id)
            .outerjoin(sessions, sessions.c.name == candidates.c.session)
            .where(and_(candidates.c.session == session, candidates.c.cnie == schemas.normalise_identifier(cnie)))
        ).one_or_none()
        rows = db.execute(
            select(marks.c.exam, marks.c.subject, marks.c.mark_centi)
            .where(marks.c.candidate_id == (found.id if found is not None else -1))
            .order_by(marks.c.exam, marks.c.subject)
        ).all()
    if found is None or found.average_centi is None or found.published_at is None or found.deliberated_at is None:
        return None
    if now < found.published_at:
        return None
    return result_from(found, rows, session=session, now=now)


def result_from(found: Any, rows: Sequence[Any], *, session: str, now: datetime) -> Result:
    """A published result from its row (``stream_code``, ``average_centi``, ``decision``, ``mention`` and the
    catch-up columns with ``catch_up_published_at``/``catch_up_deliberated_at``) and its marks rows ``(exam,
    subject, mark_centi)``; the catch-up shows from its own published instant on. The caller has checked the
    normal result is published at ``now``."""
    rules = load_rules()
    stream = rules.stream(found.stream_code)
    normal: list[SubjectMark] = []
    retaken: list[SubjectMark] = []
    for exam, subject, centi in rows:
        if exam == CONTINUOUS:
            normal.append(SubjectMark(subject, rules.continuous_ar, rules.continuous_fr, from_centi(centi), 1, exam))
            continue
        rule = stream.subject(subject)
        if rule is None:  # pragma: no cover - the import accepts only the stream's subjects
            continue
        entry = SubjectMark(subject, rule.label_ar, rule.label_fr, from_centi(centi), rule.coefficient, exam)
        (retaken if exam == CATCH_UP else normal).append(entry)
    catch_up: CatchUpOutcome | None = None
    catch_up_published = found.catch_up_published_at
    if (
        found.catch_up_decision is not None
        and found.catch_up_deliberated_at is not None
        and catch_up_published is not None
        and now >= catch_up_published
    ):
        catch_up = CatchUpOutcome(
            average=from_centi(found.catch_up_average_centi),
            decision=found.catch_up_decision,
            mention=found.catch_up_mention,
            marks=tuple(retaken),
        )
    return Result(
        session=session,
        decision=found.decision,
        average=from_centi(found.average_centi),
        mention=found.mention,
        marks=tuple(normal),
        catch_up=catch_up,
    )
