"""Complaints about material errors in a mark, their review, and the correction carried to the diploma record.

**Window.** Complaints are received from the results' publication until three days later (:data:`DEFAULT_WINDOW`),
or in the window ``tawtiq exam complaints --session … --open … --close …`` sets (:func:`set_window`). Outside it the
server refuses a complaint (``complaint.window_not_open`` says when it opens, ``complaint.window_closed`` when it
closed), whatever the client sends.

**What.** A material error only — :data:`KINDS`: ``wrong_sum`` (the marks of the parts were added up wrongly),
``unmarked_part`` (an answer or part was not marked), ``transcription`` (the mark was copied wrongly) — on a subject of
the candidate's own regional or national exam, one complaint per subject, with a comment. States: ``received``
→ ``under_review`` (:func:`start_review`) → ``upheld`` with the new mark, or ``rejected`` with the reason
(:func:`decide`).

**Review.** :func:`queue_for` is an academy's queue of undecided complaints, filtered by subject and exam centre, with
the original mark; :func:`decide` is refused for a complaint of another academy.

**Correction.** Upholding a complaint changes the mark and deliberates the candidate again (:mod:`exams.rules`: the
normal stage, and the catch-up stage when the candidate has its outcome), all in **one transaction**:

* the outcome and every claim of the diploma the same: nothing else changes (``unchanged``);
* admitted before and after, with another average or mention: the record is superseded
  (:func:`issuer.records.supersede_in`: the old one revoked with the reason "corrected after complaint" — every copy
  with it, in both status-list formats — and the corrected one created with ``replaces``) (``superseded``);
* admitted only now: the candidate becomes a graduate and gets a first record (``first_diploma``);
* no longer admitted: the record is revoked, "corrected after complaint" (``revoked``).

Killed at any point, the transaction either committed whole or not at all: the old diploma is valid and the complaint
still open, or the new one is issued and the old revoked (``tests/exams/test_complaints.py`` kills a process
mid-correction). Every step is an audit event naming the complaint, its outcome and the record ids, never a person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import Engine, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

import schemas
from exams import registry
from exams.deliberation import diploma_claims
from exams.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from exams.marks import parse_mark
from exams.models import CandidateRow, ComplaintRow, ExamSessionRow, MarkRow, ResultRow, table
from exams.registry import Candidate, session_name
from exams.results import from_centi
from exams.rules import ADMITTED, CATCH_UP, Outcome, deliberate
from exams.subjects import CATCH_UP as CATCH_UP_EXAM
from exams.subjects import NATIONAL, REGIONAL, load_rules
from issuer import audit
from issuer.cohort_file import ExamSession
from issuer.db import reading, writing
from issuer.models import CohortImport, Graduate
from issuer.records import create_record, resolve, supersede_in
from issuer.secrets import load_secrets
from issuer.settings import Settings
from issuer.status import StatusAction, change_status

#: How long the window stays open after the publication, unless ``tawtiq exam complaints`` sets it.
DEFAULT_WINDOW: Final = timedelta(days=3)
KINDS: Final = ("wrong_sum", "unmarked_part", "transcription")
RECEIVED: Final = "received"
UNDER_REVIEW: Final = "under_review"
UPHELD: Final = "upheld"
REJECTED: Final = "rejected"
OPEN_STATES: Final = (RECEIVED, UNDER_REVIEW)
#: The reason every record a correction revokes carries.
CORRECTION_REASON: Final = "corrected after complaint"
MAX_TEXT_CHARS: Final = 1_000


@dataclass(frozen=True, slots=True)
class ComplaintWindow:
    """When complaints are received: ``[opens_at, closes_at)``; ``explicit`` when set by the command."""

    opens_at: datetime
    closes_at: datetime
    explicit: bool


@dataclass(frozen=True)
class Complaint:
    """A complaint as the candidate and the reviewer see it (marks /20; the record ids once decided)."""

    id: int
    session: str
    candidate_id: int
    academy_code: str
    exam_centre_code: str
    exam: str
    subject: str
    kind: str
    comment: str
    state: str
    original_mark: Decimal
    new_mark: Decimal | None
    reason: str | None
    reviewer: str | None
    outcome: str | None
    old_record: str | None
    new_record: str | None
    filed_at: datetime
    review_started_at: datetime | None
    decided_at: datetime | None


def complaint_view(row: ComplaintRow, *, academy: str, centre: str) -> Complaint:
    """The complaint as :func:`complaints_of` gives it, from its row (for a reader that has the row already)."""
    return _view(row, academy, centre)


def _view(row: ComplaintRow, academy: str, centre: str) -> Complaint:
    assert row.id is not None
    return Complaint(
        id=row.id,
        session=row.session,
        candidate_id=row.candidate_id,
        academy_code=academy,
        exam_centre_code=centre,
        exam=row.exam,
        subject=row.subject,
        kind=row.kind,
        comment=row.comment,
        state=row.state,
        original_mark=from_centi(row.original_mark_centi),
        new_mark=from_centi(row.new_mark_centi) if row.new_mark_centi is not None else None,
        reason=row.reason,
        reviewer=row.reviewer,
        outcome=row.outcome,
        old_record=row.old_record,
        new_record=row.new_record,
        filed_at=row.filed_at,
        review_started_at=row.review_started_at,
        decided_at=row.decided_at,
    )


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(
            f"the window's {name} needs a time zone",
            code="complaint.naive_time",
            found=moment.isoformat(),
            expected="an ISO 8601 instant with its offset, e.g. 2025-06-14T09:00:00+01:00",
        )
    return moment


def set_window(
    engine: Engine, *, session: str, open_at: datetime, close_at: datetime, actor: str, now: datetime
) -> ComplaintWindow:
    """Set the session's complaint window. Raises :class:`InputError` ``complaint.naive_time``,
    ``complaint.window_invalid`` (a close not after the open)."""
    name = session_name(session)
    opens, closes = _aware(open_at, "opening").astimezone(UTC), _aware(close_at, "closing").astimezone(UTC)
    if closes <= opens:
        raise InputError(
            "the complaint window must close after it opens",
            code="complaint.window_invalid",
            found=f"{opens.isoformat()} to {closes.isoformat()}",
            expected="a closing instant after the opening one",
        )
    with writing(engine) as db:
        row = db.execute(
            select(ExamSessionRow).where(col(ExamSessionRow.name) == name).with_for_update()
        ).scalar_one_or_none() or ExamSessionRow(name=name)
        row.complaints_open_at, row.complaints_close_at = opens, closes
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor=actor,
            action="exam.complaint_window",
            target=name,
            at=now,
            details={"opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
        )
    return ComplaintWindow(opens, closes, True)


def _window(row: ExamSessionRow | None) -> ComplaintWindow | None:
    if row is None:
        return None
    return window_from(
        published_at=row.published_at, opens_at=row.complaints_open_at, closes_at=row.complaints_close_at
    )


def window_from(
    *, published_at: datetime | None, opens_at: datetime | None, closes_at: datetime | None
) -> ComplaintWindow | None:
    """The complaint window from a session's columns (for a reader that has them already, as the results page)."""
    if opens_at is not None and closes_at is not None:
        return ComplaintWindow(opens_at, closes_at, True)
    if published_at is not None:
        return ComplaintWindow(published_at, published_at + DEFAULT_WINDOW, False)
    return None


def window_of(engine: Engine, *, session: str) -> ComplaintWindow | None:
    """The session's complaint window, or None before a publication instant or a window is set."""
    with reading(engine) as db:
        return _window(db.get(ExamSessionRow, session))


def file_complaint(
    engine: Engine, *, session: str, cnie: str, subject: str, kind: str, comment: str, now: datetime
) -> Complaint:
    """File a complaint about the candidate's mark in ``subject`` (see the module docstring); state ``received``.

    Raises :class:`ConflictError` ``complaint.window_not_open`` / ``complaint.window_closed`` / ``complaint.duplicate``
    (a complaint on this subject already), :class:`InputError` ``complaint.kind_invalid``, ``complaint.subject_invalid``
    (not a regional or national subject of the candidate's), ``complaint.comment_invalid``, :class:`NotFoundError`
    ``candidate.unknown``.
    """
    if kind not in KINDS:
        raise InputError(
            "a complaint is about a material error only",
            code="complaint.kind_invalid",
            found=kind[:40],
            expected=f"one of {', '.join(KINDS)}",
        )
    note = comment.strip()
    refused = schemas.text_problem(note.replace("\n", " "), path="comment")
    if not note or len(note) > MAX_TEXT_CHARS or refused is not None:
        raise InputError(
            "the comment must say what the error is, in plain text",
            code="complaint.comment_invalid",
            found=refused.found if refused is not None else f"{len(note)} characters",
            expected=f"1 to {MAX_TEXT_CHARS} characters of plain text",
        )
    code = subject.strip().upper()
    with writing(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        state = db.get(ExamSessionRow, session)
        window = _window(state)
        published = state.published_at if state is not None else None
        if window is None or published is None or now < window.opens_at or now < published:
            raise ConflictError(
                "complaints are not received yet",
                code="complaint.window_not_open",
                found=f"opens at {window.opens_at.isoformat()}" if window is not None else "no window set",
                expected="a complaint once the results are published, within the window",
            )
        if now >= window.closes_at:
            raise ConflictError(
                "the complaint window has closed",
                code="complaint.window_closed",
                found=f"closed at {window.closes_at.isoformat()}",
                expected="a complaint within the window",
            )
        marks = table(MarkRow)
        found = db.execute(
            select(marks.c.exam, marks.c.mark_centi).where(
                marks.c.candidate_id == candidate.id,
                marks.c.subject == code,
                marks.c.exam.in_((REGIONAL, NATIONAL)),
            )
        ).one_or_none()
        if found is None:
            stream = load_rules().stream(candidate.stream_code)
            raise InputError(
                "a complaint names a subject of the candidate's own regional or national exam",
                code="complaint.subject_invalid",
                found=repr(code[:20]),
                expected=f"one of {', '.join(rule.code for rule in stream.subjects)}",
            )
        exists = db.execute(
            select(ComplaintRow.id).where(  # type: ignore[call-overload]
                col(ComplaintRow.candidate_id) == candidate.id, col(ComplaintRow.subject) == code
            )
        ).first()
        if exists is not None:
            raise _duplicate(code)
        row = ComplaintRow(
            session=session,
            candidate_id=candidate.id,
            academy_code=candidate.academy_code,
            exam=found.exam,
            subject=code,
            kind=kind,
            comment=note,
            state=RECEIVED,
            original_mark_centi=found.mark_centi,
            filed_at=now,
        )
        try:
            db.add(row)
            db.flush()
        except IntegrityError as exc:  # a second tab filing the same complaint at the same moment
            raise _duplicate(code) from exc
        assert row.id is not None
        audit.append(
            db,
            actor=f"candidate:{load_secrets(db).pseudonym_of(candidate.cnie)}",
            action="exam.complaint_file",
            target=f"complaint:{row.id}",
            at=now,
            details={"session": session, "subject": code, "exam": found.exam, "kind": kind},
        )
        return _view(row, candidate.academy_code, candidate.exam_centre_code)


def _duplicate(code: str) -> ConflictError:
    return ConflictError(
        "a complaint on this subject was already filed",
        code="complaint.duplicate",
        found=code,
        expected="one complaint per subject",
    )


def complaints_of(engine: Engine, *, session: str, cnie: str) -> list[Complaint]:
    """The candidate's complaints, oldest first."""
    with reading(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        rows = db.execute(
            select(ComplaintRow).where(col(ComplaintRow.candidate_id) == candidate.id).order_by(col(ComplaintRow.id))
        ).scalars()
        return [_view(row, candidate.academy_code, candidate.exam_centre_code) for row in rows]


def complaint_by_id(engine: Engine, *, complaint_id: int) -> tuple[Complaint, Candidate]:
    """One complaint, decided or not, with its candidate (a reviewer's pages check the academy before acting).

    Raises :class:`NotFoundError` ``complaint.unknown``.
    """
    with reading(engine) as db:
        row = db.get(ComplaintRow, complaint_id)
        if row is None:
            raise NotFoundError("no such complaint", code="complaint.unknown", found=complaint_id)
        candidate_row = db.get(CandidateRow, row.candidate_id)
        assert candidate_row is not None
        candidate = Candidate.of_row(candidate_row)
        return _view(row, candidate.academy_code, candidate.exam_centre_code), candidate


def queue_for(
    engine: Engine,
    *,
    session: str,
    academy: str,
    subject: str | None = None,
    centre: str | None = None,
    after_id: int = 0,
    limit: int = 200,
) -> list[Complaint]:
    """An academy's undecided complaints (received or under review), oldest first, ``limit`` after ``after_id``."""
    candidates = table(CandidateRow)
    statement = (
        select(ComplaintRow, candidates.c.academy_code, candidates.c.exam_centre_code)
        .join(candidates, candidates.c.id == col(ComplaintRow.candidate_id))
        .where(
            col(ComplaintRow.session) == session,
            col(ComplaintRow.academy_code) == academy,
            col(ComplaintRow.id) > after_id,
            col(ComplaintRow.state).in_(OPEN_STATES),
        )
        .order_by(col(ComplaintRow.id))
        .limit(limit)
    )
    if subject is not None:
        statement = statement.where(col(ComplaintRow.subject) == subject.strip().upper())
    if centre is not None:
        statement = statement.where(candidates.c.exam_centre_code == centre)
    with reading(engine) as db:
        return [_view(row, academy_code, centre_code) for row, academy_code, centre_code in db.execute(statement)]


def _locked(db: Session, complaint_id: int, academy: str) -> tuple[ComplaintRow, Candidate]:
    row = db.execute(
        select(ComplaintRow).where(col(ComplaintRow.id) == complaint_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError("no such complaint", code="complaint.unknown", found=complaint_id)
    candidate_row = db.get(CandidateRow, row.candidate_id)
    assert candidate_row is not None
    candidate = Candidate.of_row(candidate_row)
    if candidate.academy_code != academy:
        raise ForbiddenError(
            "this complaint belongs to another academy",
            code="complaint.other_academy",
            found=f"academy {candidate.academy_code}",
            expected=f"a complaint of academy {academy}",
        )
    if row.state not in OPEN_STATES:
        raise ConflictError(
            "this complaint is already decided", code="complaint.decided", found=row.state, expected=UNDER_REVIEW
        )
    return row, candidate


def start_review(engine: Engine, *, complaint_id: int, academy: str, reviewer: str, at: datetime) -> Complaint:
    """``received`` → ``under_review`` (harmless when already under review). Raises like :func:`decide`."""
    with writing(engine) as db:
        row, candidate = _locked(db, complaint_id, academy)
        if row.state == RECEIVED:
            row.state, row.reviewer, row.review_started_at = UNDER_REVIEW, reviewer[:200], at
            db.add(row)
            db.flush()
            audit.append(
                db, actor=reviewer, action="exam.complaint_review", target=f"complaint:{row.id}", at=at, details={}
            )
        return _view(row, candidate.academy_code, candidate.exam_centre_code)


def decide(
    engine: Engine,
    *,
    settings: Settings,
    complaint_id: int,
    academy: str,
    uphold: bool,
    new_mark: str | Decimal | None,
    reason: str,
    reviewer: str,
    at: datetime,
) -> Complaint:
    """Uphold (with the corrected mark) or reject (with the reason) a complaint; an upheld one is carried to the
    diploma record in the same transaction (see the module docstring). Returns the decided complaint.

    Raises :class:`NotFoundError` ``complaint.unknown``, :class:`ForbiddenError` ``complaint.other_academy``,
    :class:`ConflictError` ``complaint.decided``, ``complaint.session_change`` (the correction would move the diploma
    to the other session: correct it by hand), :class:`InputError` ``complaint.reason_required``,
    ``complaint.mark_invalid`` (not a mark /20 with two decimals, or the original mark).
    """
    note = reason.strip()
    if not note or len(note) > MAX_TEXT_CHARS or schemas.text_problem(note.replace("\n", " "), path="reason"):
        raise InputError(
            "a decision gives its reason, in plain text",
            code="complaint.reason_required",
            found=f"{len(note)} characters",
            expected=f"1 to {MAX_TEXT_CHARS} characters the candidate will read",
        )
    centi: int | None = None
    if uphold:
        centi = parse_mark(str(new_mark)) if new_mark is not None else None
        if centi is None:
            raise InputError(
                "an upheld complaint records the corrected mark",
                code="complaint.mark_invalid",
                found=repr(str(new_mark)[:20]) if new_mark is not None else "no mark",
                expected="a mark from 0 to 20 with at most two decimals",
            )
    with writing(engine) as db:
        row, candidate = _locked(db, complaint_id, academy)
        if uphold:
            assert centi is not None
            if centi == row.original_mark_centi:
                raise InputError(
                    "the corrected mark is the original one: reject the complaint instead",
                    code="complaint.mark_invalid",
                    found=str(from_centi(centi)),
                    expected="a mark other than the original",
                )
            outcome, old_record, new_record = _correct(
                db, row, candidate, centi=centi, settings=settings, actor=reviewer, now=at
            )
            row.new_mark_centi, row.outcome, row.old_record, row.new_record = centi, outcome, old_record, new_record
        row.state = UPHELD if uphold else REJECTED
        row.reason, row.reviewer, row.decided_at = note, reviewer[:200], at
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor=reviewer,
            action="exam.complaint_decide",
            target=f"complaint:{row.id}",
            at=at,
            details={
                "upheld": uphold,
                "outcome": row.outcome,
                "old_record": row.old_record,
                "new_record": row.new_record,
            },
        )
        return _view(row, candidate.academy_code, candidate.exam_centre_code)


def _outcomes(db: Session, candidate: Candidate) -> tuple[Outcome, Outcome | None, bool]:
    """The candidate's normal outcome, catch-up outcome (when that stage was deliberated for them) from the stored
    marks, and whether it was."""
    rules = load_rules()
    marks = table(MarkRow)
    own = {
        (exam, subject): from_centi(centi)
        for exam, subject, centi in db.execute(
            select(marks.c.exam, marks.c.subject, marks.c.mark_centi).where(marks.c.candidate_id == candidate.id)
        )
    }
    stream = rules.stream(candidate.stream_code)
    weights = rules.weights[candidate.candidate_type]
    normal = deliberate(stream, weights=weights, continuous_code=rules.continuous_code, marks=own)
    result = db.get(ResultRow, candidate.id)
    had_catch_up = result is not None and result.catch_up_decision is not None
    catch_up = None
    if had_catch_up and normal.decision == CATCH_UP:
        retaken = {key: mark for key, mark in own.items() if key[0] == CATCH_UP_EXAM}
        catch_up = deliberate(
            stream, weights=weights, continuous_code=rules.continuous_code, marks=own, catch_up=retaken
        )
    return normal, catch_up, had_catch_up


def _final(normal: Outcome, catch_up: Outcome | None, year: int) -> tuple[Outcome, ExamSession] | None:
    """The outcome a diploma states, and its session; None when the candidate is not admitted."""
    if normal.decision == ADMITTED:
        return normal, ExamSession(year, "normale")
    if catch_up is not None and catch_up.decision == ADMITTED:
        return catch_up, ExamSession(year, "rattrapage")
    return None


def _correct(
    db: Session, row: ComplaintRow, candidate: Candidate, *, centi: int, settings: Settings, actor: str, now: datetime
) -> tuple[str, str | None, str | None]:
    """Change the mark, deliberate again, carry the change to the record; returns (outcome, old id, new id)."""
    year = ExamSession.parse(candidate.session).year
    before_normal, before_catch_up, _ = _outcomes(db, candidate)
    before = _final(before_normal, before_catch_up, year)
    marks = table(MarkRow)
    db.execute(
        update(marks)
        .where(and_(marks.c.candidate_id == candidate.id, marks.c.exam == row.exam, marks.c.subject == row.subject))
        .values(mark_centi=centi)
    )
    normal, catch_up, had_catch_up = _outcomes(db, candidate)
    after = _final(normal, catch_up, year)
    results = table(ResultRow)
    values: dict[str, object] = {
        "average_centi": int(normal.average * 100),
        "decision": normal.decision,
        "mention": normal.mention,
    }
    if had_catch_up:
        values.update(
            catch_up_average_centi=int(catch_up.average * 100) if catch_up else None,
            catch_up_decision=catch_up.decision if catch_up else None,
            catch_up_mention=catch_up.mention if catch_up else None,
        )
    outcome, old_id, new_id = "unchanged", None, None
    if before is not None and after is not None:
        if before[1] != after[1]:
            raise ConflictError(
                "this correction would move the diploma to the other session; correct it by hand",
                code="complaint.session_change",
                found=f"{before[1]} to {after[1]}",
                expected="a correction within the diploma's session (tawtiq diploma supersede)",
            )
        current = resolve(db, candidate.cnie, session_name=str(after[1]), lock=True)
        claims = json.loads(current.claims)
        average = after[0].average
        claims["generalAverage"] = int(average) if average == average.to_integral() else float(average)
        claims["mention"] = after[0].mention
        if json.loads(current.claims) != claims:
            old_id, new_id = supersede_in(
                db,
                settings=settings,
                identifier=current.id,
                subject=claims,
                reason=CORRECTION_REASON,
                actor=actor,
                now=now,
            )
            outcome = "superseded"
    elif before is not None:
        current = resolve(db, candidate.cnie, session_name=str(before[1]), lock=True)
        change_status(
            db, diploma_id=current.id, action=StatusAction.REVOKE, reason=CORRECTION_REASON, actor=actor, now=now
        )
        outcome, old_id = "revoked", current.id
    elif after is not None:
        graduates = db.execute(
            select(Graduate).where(col(Graduate.session) == str(after[1]), col(Graduate.cnie) == candidate.cnie)
        ).scalar_one_or_none()
        if graduates is not None:
            raise ConflictError(
                "this candidate's diploma was revoked before; a new one is issued by hand",
                code="complaint.session_change",
                found="a revoked record",
                expected="tawtiq diploma supersede on the graduate's record",
            )
        rules = load_rules()
        record = CohortImport(
            session=str(after[1]),
            source_name=f"complaint {row.id}",
            source_sha256="",
            rows_total=1,
            rows_imported=1,
            rows_rejected=0,
            imported_at=now,
            actor=actor,
        )
        db.add(record)
        db.flush()
        assert record.id is not None
        graduate = Graduate(
            session=str(after[1]),
            cnie=candidate.cnie,
            massar_code=candidate.massar_code,
            subject=diploma_claims(
                candidate,
                after[0],
                session=after[1],
                deliberated_on=rules.deliberation_date(str(after[1])).isoformat(),
            ),
            import_id=record.id,
            row_number=candidate.id,
            created_at=now,
        )
        db.add(graduate)
        db.flush()
        assert graduate.id is not None
        values["graduate_id"] = graduate.id
        new_id = create_record(db, settings=settings, graduate_id=graduate.id, actor=actor, now=now)
        outcome = "first_diploma"
    db.execute(update(results).where(results.c.candidate_id == candidate.id).values(values))
    return outcome, old_id, new_id
