"""``tawtiq exam deliberate``: the session's results from its marks, and the diploma records of the admitted.

The arithmetic and the decisions are :mod:`exams.rules`'; this module runs them over the database. The **normal
stage** refuses to start unless every candidate has every mark (continuous assessment for the enrolled, each
regional and national subject of their stream), then works in batches of candidates without a result, each batch one
transaction that

1. reads the candidates and their marks (keyset pagination: memory stays flat);
2. deliberates each one;
3. writes every admitted candidate as the issuer's ``graduate`` row — the claims a cohort import produces, validated by
   :class:`schemas.DiplomaSubject`, with the session's deliberation date from the rules file's calendar — under a
   ``cohort_import`` record of its own;
4. writes the results and appends one audit event (counts only).

Killed at any moment, a run loses at most its open batch; run again, it deliberates the candidates still without a
result. When none is left, the session is marked deliberated, and the records are created as ``tawtiq cohort issue``
creates them (:func:`issuer.records.issue_cohort`, exactly once per graduate, itself resumable).

The **catch-up stage** (``--catch-up``, after the catch-up marks are imported) deliberates the candidates of the
catch-up band again with the better of the two marks per national subject; those admitted become graduates of the
``YYYY-rattrapage`` session (their diploma names the catch-up session) and get their records the same way.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Engine, and_, bindparam, func, insert, select, update
from sqlmodel import Session

import schemas
from exams.errors import ConfigurationError, ConflictError, InputError
from exams.models import CandidateRow, ExamSessionRow, MarkRow, ResultRow, table
from exams.registry import Candidate, session_name
from exams.results import from_centi
from exams.rules import ADMITTED, CATCH_UP, NOT_ADMITTED, Outcome, deliberate, missing_marks
from exams.subjects import CATCH_UP as CATCH_UP_EXAM
from exams.subjects import FREE, ExamRules, load_rules
from issuer import audit
from issuer.cohort_file import ExamSession, canonical_subject
from issuer.db import reading, writing
from issuer.models import CohortImport, Graduate
from issuer.models import table as issuer_table
from issuer.records import IssueSummary, issue_cohort
from issuer.settings import Settings

DEFAULT_BATCH: Final = 2_000
_CANDIDATE_FIELDS: Final = tuple(item.name for item in fields(Candidate))


@dataclass(frozen=True)
class DeliberationSummary:
    """What a run did (``deliberated`` now, ``already`` before) and the session's totals by decision."""

    session: str
    stage: str
    deliberated: int
    already: int
    totals: dict[str, int]
    records: IssueSummary

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "stage": self.stage,
            "deliberated": self.deliberated,
            "already_deliberated": self.already,
            "totals": self.totals,
            "records": self.records.as_dict(),
        }


def diploma_claims(candidate: Candidate, outcome: Outcome, *, session: ExamSession, deliberated_on: str) -> str:
    """The graduate's subject as the issuer stores it (canonical JSON), validated as a complete diploma subject.

    Raises :class:`ConfigurationError` ``deliberation.invalid_subject`` if the registry's data does not make a valid
    diploma (it was checked at import, so this means the rules or the schema changed).
    """
    average = outcome.average
    claims = {
        "familyName": {"ar": candidate.family_name_ar, "lat": candidate.family_name_lat},
        "givenName": {"ar": candidate.given_name_ar, "lat": candidate.given_name_lat},
        "birthDate": candidate.birth_date.isoformat(),
        "birthPlace": {"ar": candidate.birth_place_ar, "lat": candidate.birth_place_lat},
        "cnie": candidate.cnie,
        "massarCode": candidate.massar_code,
        "stream": {"code": candidate.stream_code, "ar": candidate.stream_ar, "fr": candidate.stream_fr},
        "optionLanguage": candidate.option_language,
        "session": session.claim(),
        "generalAverage": int(average) if average == average.to_integral() else float(average),
        "mention": outcome.mention,
        "academy": {"code": candidate.academy_code, "ar": candidate.academy_ar, "fr": candidate.academy_fr},
        "directorate": {
            "code": candidate.directorate_code,
            "ar": candidate.directorate_ar,
            "fr": candidate.directorate_fr,
        },
        "school": {"code": candidate.school_code, "ar": candidate.school_ar, "fr": candidate.school_fr},
        "deliberationDate": deliberated_on,
    }
    try:
        return canonical_subject(schemas.DiplomaSubject.parse(claims))
    except schemas.SubjectError as exc:
        raise ConfigurationError(
            "a deliberated candidate does not make a valid diploma",
            code="deliberation.invalid_subject",
            found=[problem.path for problem in exc.problems],
            expected="registry data that passes the diploma schema",
        ) from exc


def _session_row(db: Session, name: str, *, lock: bool = False) -> ExamSessionRow | None:
    statement = select(ExamSessionRow).where(ExamSessionRow.name == name)  # type: ignore[arg-type]
    if lock:
        statement = statement.with_for_update()
    return db.execute(statement).scalar_one_or_none()


def _incomplete(engine: Engine, session: str, rules: ExamRules) -> tuple[int, list[int]]:
    """How many candidates lack a mark, and the ids of the first few (the normal stage's precondition)."""
    candidates, marks = table(CandidateRow), table(MarkRow)
    counts = (
        select(candidates.c.id, candidates.c.stream_code, candidates.c.candidate_type, func.count(marks.c.subject))
        .select_from(candidates)
        .outerjoin(marks, and_(marks.c.candidate_id == candidates.c.id, marks.c.exam != CATCH_UP_EXAM))
        .where(candidates.c.session == session)
        .group_by(candidates.c.id, candidates.c.stream_code, candidates.c.candidate_type)
    )
    expected = {
        (code, kind): len(stream.subjects) + (0 if kind == FREE else 1)
        for code, stream in rules.streams.items()
        for kind in ("enrolled", FREE)
    }
    missing = 0
    first: list[int] = []
    with reading(engine) as db:
        for candidate_id, stream, kind, count in db.execute(counts):
            if count != expected[(stream, kind)]:
                missing += 1
                if len(first) < 10:
                    first.append(int(candidate_id))
    return missing, first


def deliberate_session(
    engine: Engine,
    *,
    settings: Settings,
    session: str,
    actor: str,
    clock: Callable[[], datetime],
    catch_up: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> DeliberationSummary:
    """Deliberate ``session`` (its normal stage, or its catch-up stage) and create the admitted's records.

    :func:`deliberate_results`, then :func:`issuer.records.issue_cohort` for the graduates' session. Raises what
    they raise.
    """
    stage = deliberate_results(
        engine, session=session, actor=actor, clock=clock, catch_up=catch_up, batch_size=batch_size, progress=progress
    )
    records = issue_cohort(engine, settings=settings, session_name=stage.graduate_session, actor=actor, clock=clock)
    return DeliberationSummary(
        session=stage.session,
        stage=stage.stage,
        deliberated=stage.deliberated,
        already=stage.already,
        totals=stage.totals,
        records=records,
    )


@dataclass(frozen=True)
class StageSummary:
    """What :func:`deliberate_results` did; ``graduate_session`` is the session its admitted graduate in."""

    session: str
    stage: str
    graduate_session: str
    deliberated: int
    already: int
    totals: dict[str, int]


def deliberate_results(
    engine: Engine,
    *,
    session: str,
    actor: str,
    clock: Callable[[], datetime],
    catch_up: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> StageSummary:
    """The results of a stage and the admitted's ``graduate`` rows (the module docstring's steps 1-4), no records.

    Raises :class:`InputError` ``deliberation.no_candidates``, ``deliberation.marks_missing`` (naming how many
    candidates and the first ids), ``deliberation.not_deliberated`` (a catch-up stage before the normal one),
    :class:`ConflictError` ``deliberation.graduate_exists`` (the session's graduates were imported from a file).
    """
    name = session_name(session)
    exam = ExamSession.parse(name)
    rules = load_rules()
    rules.deliberation_date(name if not catch_up else str(ExamSession(exam.year, "rattrapage")))
    candidates, _results = table(CandidateRow), table(ResultRow)
    with reading(engine) as db:
        registered = int(db.execute(select(func.count()).where(candidates.c.session == name)).scalar_one())
        state = _session_row(db, name)
    if not registered:
        raise InputError(
            f"no candidate is registered for {name}",
            code="deliberation.no_candidates",
            found="an empty registry",
            expected=f"candidates imported with `tawtiq exam candidates import FILE --session {name}`",
        )
    if catch_up:
        if state is None or state.deliberated_at is None:
            raise InputError(
                "the catch-up stage follows the normal one",
                code="deliberation.not_deliberated",
                found=f"{name} not deliberated",
                expected=f"`tawtiq exam deliberate --session {name}` first",
            )
        graduate_session = ExamSession(exam.year, "rattrapage")
    else:
        missing, first = _incomplete(engine, name, rules)
        if missing:
            raise InputError(
                f"{missing} candidate(s) lack marks: nothing was deliberated",
                code="deliberation.marks_missing",
                found=f"candidates without every mark, e.g. registry ids {first}",
                expected="every regional and national mark, and the continuous assessment of enrolled candidates",
            )
        graduate_session = exam
    with reading(engine) as db:
        already = _already(db, name, catch_up=catch_up)
    done = last_id = 0
    while True:
        now = clock()
        with writing(engine) as db:
            batch = _next_batch(db, name, last_id=last_id, size=batch_size, catch_up=catch_up)
            if not batch:
                break
            _deliberate_batch(
                db,
                batch,
                rules=rules,
                session=name,
                graduate_session=graduate_session,
                catch_up=catch_up,
                actor=actor,
                now=now,
            )
            last_id = batch[-1].id
        done += len(batch)
        if progress is not None:
            progress(done)
    now = clock()
    with writing(engine) as db:
        row = _session_row(db, name, lock=True) or ExamSessionRow(name=name)
        first_time = (row.catch_up_deliberated_at if catch_up else row.deliberated_at) is None
        if first_time:
            if catch_up:
                row.catch_up_deliberated_at = now
            else:
                row.deliberated_at = now
            db.add(row)
            db.flush()
        totals = _totals(db, name, catch_up=catch_up)
        if first_time:
            audit.append(
                db,
                actor=actor,
                action="exam.deliberated",
                target=name,
                at=now,
                details={"stage": "catch_up" if catch_up else "normal", **totals},
            )
    return StageSummary(
        session=name,
        stage="catch_up" if catch_up else "normal",
        graduate_session=str(graduate_session),
        deliberated=done,
        already=already,
        totals=totals,
    )


def _already(db: Session, name: str, *, catch_up: bool) -> int:
    results = table(ResultRow)
    condition = results.c.catch_up_decision.is_not(None) if catch_up else results.c.session == name
    return int(db.execute(select(func.count()).where(results.c.session == name, condition)).scalar_one())


def _totals(db: Session, name: str, *, catch_up: bool) -> dict[str, int]:
    results = table(ResultRow)
    column = results.c.catch_up_decision if catch_up else results.c.decision
    counts = dict(
        db.execute(
            select(column, func.count()).where(results.c.session == name, column.is_not(None)).group_by(column)
        ).all()
    )
    decisions = (ADMITTED, NOT_ADMITTED) if catch_up else (ADMITTED, CATCH_UP, NOT_ADMITTED)
    return {decision: int(counts.get(decision, 0)) for decision in decisions}


def _next_batch(db: Session, name: str, *, last_id: int, size: int, catch_up: bool) -> list[Candidate]:
    candidates, results = table(CandidateRow), table(ResultRow)
    # Core rows, not ORM objects: a batch is read once and never changed, and loading objects costs a third of a run.
    statement = select(*(candidates.c[field] for field in _CANDIDATE_FIELDS)).where(
        candidates.c.session == name, candidates.c.id > last_id
    )
    if catch_up:
        statement = statement.join(results, results.c.candidate_id == candidates.c.id).where(
            results.c.decision == CATCH_UP, results.c.catch_up_decision.is_(None)
        )
    else:
        statement = statement.where(
            ~select(results.c.candidate_id).where(results.c.candidate_id == candidates.c.id).exists()
        )
    rows = db.execute(statement.order_by(candidates.c.id).limit(size)).all()
    return [Candidate(*row) for row in rows]


def _deliberate_batch(
    db: Session,
    batch: list[Candidate],
    *,
    rules: ExamRules,
    session: str,
    graduate_session: ExamSession,
    catch_up: bool,
    actor: str,
    now: datetime,
) -> None:
    marks, results, graduates = table(MarkRow), table(ResultRow), issuer_table(Graduate)
    wanted = {candidate.id for candidate in batch}
    by_candidate: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for candidate_id, exam, subject, centi in db.execute(
        select(marks.c.candidate_id, marks.c.exam, marks.c.subject, marks.c.mark_centi).where(
            marks.c.candidate_id >= batch[0].id, marks.c.candidate_id <= batch[-1].id
        )
    ):
        if candidate_id in wanted:
            by_candidate[int(candidate_id)][(exam, subject)] = from_centi(centi)
    outcomes: dict[int, Outcome] = {}
    for candidate in batch:
        stream = rules.stream(candidate.stream_code)
        own = by_candidate[candidate.id]
        gaps = missing_marks(
            stream, candidate_type=candidate.candidate_type, continuous_code=rules.continuous_code, marks=own
        )
        if gaps:
            raise InputError(
                "a candidate lacks marks: this batch was not deliberated",
                code="deliberation.marks_missing",
                found=f"registry id {candidate.id} without {', '.join(gaps)}",
                expected="every mark of the candidate's stream",
            )
        outcomes[candidate.id] = deliberate(
            stream,
            weights=rules.weights[candidate.candidate_type],
            continuous_code=rules.continuous_code,
            marks=own,
            catch_up=({key: mark for key, mark in own.items() if key[0] == CATCH_UP_EXAM} if catch_up else None),
        )
    admitted = [candidate for candidate in batch if outcomes[candidate.id].decision == ADMITTED]
    graduate_ids: dict[int, int] = {}
    if admitted:
        taken = db.execute(
            select(func.count()).where(
                graduates.c.session == str(graduate_session),
                graduates.c.cnie.in_([candidate.cnie for candidate in admitted]),
            )
        ).scalar_one()
        if taken:
            raise ConflictError(
                "some admitted candidates are already graduates of this session (imported from a cohort file)",
                code="deliberation.graduate_exists",
                found=f"{taken} graduate(s) of {graduate_session}",
                expected="a session whose diplomas come from the exam year only",
            )
        record = CohortImport(
            session=str(graduate_session),
            source_name=f"exam deliberation {session}",
            source_sha256="",
            rows_total=len(admitted),
            rows_imported=len(admitted),
            rows_rejected=0,
            imported_at=now,
            actor=actor,
        )
        db.add(record)
        db.flush()
        deliberated_on = rules.deliberation_date(str(graduate_session)).isoformat()
        rows = [
            {
                "session": str(graduate_session),
                "cnie": candidate.cnie,
                "massar_code": candidate.massar_code,
                "subject": diploma_claims(
                    candidate, outcomes[candidate.id], session=graduate_session, deliberated_on=deliberated_on
                ),
                "import_id": record.id,
                "row_number": candidate.id,
                "created_at": now,
            }
            for candidate in admitted
        ]
        db.execute(insert(graduates), rows)
        # By the (session, CNIE) unique index: ``graduate`` has no index on its import, and a scan per batch would
        # make a deliberation quadratic in the number of graduates.
        by_cnie = {candidate.cnie: candidate.id for candidate in admitted}
        for graduate_id, cnie in db.execute(
            select(graduates.c.id, graduates.c.cnie).where(
                graduates.c.session == str(graduate_session), graduates.c.cnie.in_(list(by_cnie))
            )
        ):
            graduate_ids[by_cnie[cnie]] = int(graduate_id)
        record.source_sha256 = hashlib.sha256(
            "\n".join(str(candidate.id) for candidate in admitted).encode()
        ).hexdigest()
        db.add(record)
    if catch_up:
        db.execute(
            update(results)
            .where(results.c.candidate_id == bindparam("b_cid"))
            .values(
                catch_up_average_centi=bindparam("b_average"),
                catch_up_decision=bindparam("b_decision"),
                catch_up_mention=bindparam("b_mention"),
                catch_up_deliberated_at=bindparam("b_at"),
                graduate_id=bindparam("b_graduate"),
            ),
            [
                {
                    "b_cid": candidate.id,
                    "b_average": int(outcomes[candidate.id].average * 100),
                    "b_decision": outcomes[candidate.id].decision,
                    "b_mention": outcomes[candidate.id].mention,
                    "b_at": now,
                    "b_graduate": graduate_ids.get(candidate.id),
                }
                for candidate in batch
            ],
        )
    else:
        db.execute(
            insert(results),
            [
                {
                    "candidate_id": candidate.id,
                    "session": session,
                    "average_centi": int(outcomes[candidate.id].average * 100),
                    "decision": outcomes[candidate.id].decision,
                    "mention": outcomes[candidate.id].mention,
                    "graduate_id": graduate_ids.get(candidate.id),
                    "deliberated_at": now,
                }
                for candidate in batch
            ],
        )
    counts = dict.fromkeys((ADMITTED, CATCH_UP, NOT_ADMITTED), 0)
    for outcome in outcomes.values():
        counts[outcome.decision] += 1
    audit.append(
        db,
        actor=actor,
        action="exam.deliberate_batch",
        target=session,
        at=now,
        details={
            "stage": "catch_up" if catch_up else "normal",
            "count": len(batch),
            "first": batch[0].id,
            "last": batch[-1].id,
            **counts,
        },
    )
