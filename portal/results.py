"""A candidate's published result and complaints, read for the results page with two or three indexed statements
compiled once, in one read-only snapshot on a connection kept for reads (:mod:`common.service.reads`).

Results day is the portal's peak, and :func:`exams.results.result_of` spends most of a page's time in ORM session
machinery (and even a Core statement on ``engine.connect()`` costs several times the database's own work). This is
the same read — the candidate, their result and the session's publication instants and complaint
window by ``(session, cnie)`` (a unique index) with whether they filed any complaint, then their marks by
primary-key prefix, then (only if they filed one) their complaints by the ``(candidate_id, subject)`` unique index —
and the same rules, returning the exam year's own
:class:`~exams.results.Result`, :class:`~exams.complaints.ComplaintWindow` and
:class:`~exams.complaints.Complaint`. ``tests/portal/test_results_read.py`` checks that it answers exactly what
:func:`exams.results.result_of`, :func:`exams.complaints.window_of` and :func:`exams.complaints.complaints_of`
answer, before and after each instant.

Before the published instant it returns None, as the exam year's read does; the results page does not even call it
then (see :mod:`portal.announcement`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Engine, and_, bindparam, exists, select

import schemas
from common.service.reads import Query, Reads
from exams.complaints import Complaint, ComplaintWindow, complaint_view, window_from
from exams.models import CandidateRow, ComplaintRow, ExamSessionRow, MarkRow, ResultRow, table
from exams.results import Result, result_from

_CANDIDATES, _RESULTS, _SESSIONS, _MARKS, _COMPLAINTS = (
    table(CandidateRow),
    table(ResultRow),
    table(ExamSessionRow),
    table(MarkRow),
    table(ComplaintRow),
)
_FOUND: Final = Query(
    select(
        _CANDIDATES.c.id,
        _CANDIDATES.c.stream_code,
        _CANDIDATES.c.academy_code,
        _CANDIDATES.c.exam_centre_code,
        _RESULTS.c.average_centi,
        _RESULTS.c.decision,
        _RESULTS.c.mention,
        _RESULTS.c.catch_up_average_centi,
        _RESULTS.c.catch_up_decision,
        _RESULTS.c.catch_up_mention,
        _SESSIONS.c.published_at,
        _SESSIONS.c.catch_up_published_at,
        _SESSIONS.c.deliberated_at,
        _SESSIONS.c.catch_up_deliberated_at,
        _SESSIONS.c.complaints_open_at,
        _SESSIONS.c.complaints_close_at,
        exists().where(_COMPLAINTS.c.candidate_id == _CANDIDATES.c.id).label("has_complaints"),
    )
    .select_from(_CANDIDATES)
    .outerjoin(_RESULTS, _RESULTS.c.candidate_id == _CANDIDATES.c.id)
    .outerjoin(_SESSIONS, _SESSIONS.c.name == _CANDIDATES.c.session)
    .where(and_(_CANDIDATES.c.session == bindparam("session"), _CANDIDATES.c.cnie == bindparam("cnie")))
)
_MARKS_OF: Final = Query(
    select(_MARKS.c.exam, _MARKS.c.subject, _MARKS.c.mark_centi)
    .where(_MARKS.c.candidate_id == bindparam("candidate"))
    .order_by(_MARKS.c.exam, _MARKS.c.subject)
)
_COMPLAINTS_OF: Final = Query(
    select(_COMPLAINTS).where(_COMPLAINTS.c.candidate_id == bindparam("candidate")).order_by(_COMPLAINTS.c.id)
)


@dataclass(frozen=True)
class ResultsRead:
    """What the results page shows of a published result: the result, the complaint window and the complaints."""

    result: Result
    window: ComplaintWindow | None
    complaints: tuple[Complaint, ...]


def published_result(engine: Engine, *, session: str, cnie: str, now: datetime) -> Result | None:
    """The candidate's result from the published instant on; None before it, for no such candidate, or until the
    session's deliberation has finished (the contract of :func:`exams.results.result_of`)."""
    read = published_read(engine, session=session, cnie=cnie, now=now)
    return read.result if read is not None else None


def published_read(engine: Engine, *, session: str, cnie: str, now: datetime) -> ResultsRead | None:
    """The candidate's result (as :func:`published_result`), with the session's complaint window and the
    candidate's complaints; None whenever :func:`published_result` is None (nothing else is read then)."""
    with Reads.of(engine).snapshot() as read:
        found = read.one(_FOUND, session=session, cnie=schemas.normalise_identifier(cnie))
        if (
            found is None
            or found.average_centi is None
            or found.published_at is None
            or found.deliberated_at is None
            or now < found.published_at
        ):
            return None
        rows = read.all(_MARKS_OF, candidate=found.id)
        filed = read.all(_COMPLAINTS_OF, candidate=found.id) if found.has_complaints else []
    result = result_from(found, rows, session=session, now=now)
    window = window_from(
        published_at=found.published_at, opens_at=found.complaints_open_at, closes_at=found.complaints_close_at
    )
    complaints = tuple(
        complaint_view(ComplaintRow(**row._asdict()), academy=found.academy_code, centre=found.exam_centre_code)
        for row in filed
    )
    return ResultsRead(result=result, window=window, complaints=complaints)
