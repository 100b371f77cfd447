"""The candidate's check of their personal data before the exam: confirm it, or ask for corrections a reviewer decides.

States (:class:`DataState`): ``unconfirmed`` (nothing done yet), ``confirmed`` (the candidate confirmed the data;
final), ``corrections_pending`` (at least one correction awaits a decision), ``settled`` (every correction asked for
is decided). A convocation is available when the state is ``confirmed`` or ``settled``
(:mod:`exams.convocation`). The rules:

* a correction names one of :data:`CONTESTABLE_FIELDS` (the candidates file's column names), a proposed value that
  passes the diploma's text rule (a date ``YYYY-MM-DD`` for ``birthDate``) and differs from the registry's, and a
  comment; one pending correction per field; none once the data is confirmed;
* confirming is refused while corrections are pending;
* a reviewer accepts (the registry takes the proposed value) or refuses with a reason, once.

Every change appends an audit event in its transaction: the candidate appears as the pseudonym of their CNIE number,
corrections by their id and field name, never a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

import schemas
from exams import registry
from exams.candidates_file import ATTRIBUTE_OF
from exams.errors import ConflictError, InputError, NotFoundError
from exams.models import CandidateRow, CorrectionRow, DataStateRow, table
from issuer import audit
from issuer.db import reading, writing
from issuer.secrets import load_secrets


class DataState(StrEnum):
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    CORRECTIONS_PENDING = "corrections_pending"
    SETTLED = "settled"


#: The registry fields a candidate may contest, by their candidates-file column names.
CONTESTABLE_FIELDS: Final = (
    "familyName.ar",
    "familyName.lat",
    "givenName.ar",
    "givenName.lat",
    "birthDate",
    "birthPlace.ar",
    "birthPlace.lat",
)
PENDING: Final = "pending"
ACCEPTED: Final = "accepted"
REFUSED: Final = "refused"
MAX_VALUE_CHARS: Final = 200
MAX_COMMENT_CHARS: Final = 1_000


@dataclass(frozen=True)
class Correction:
    """A correction asked for: the field, the registry's value when asked, the proposed one, and its decision."""

    id: int
    candidate_id: int
    school_code: str
    academy_code: str
    field: str
    current: str
    proposed: str
    comment: str
    state: str
    reason: str | None
    reviewer: str | None
    requested_at: datetime
    decided_at: datetime | None

    def __repr__(self) -> str:
        return f"Correction(id={self.id}, field={self.field!r}, state={self.state!r})"


def _candidate_actor(db: Session, cnie: str) -> str:
    return f"candidate:{load_secrets(db).pseudonym_of(cnie)}"


def state_in(db: Session, candidate_id: int, *, lock: bool = False) -> DataState:
    """The data state of a candidate inside an open session (locked for a change with ``lock``)."""
    statement = select(col(DataStateRow.state)).where(col(DataStateRow.candidate_id) == candidate_id)
    if lock:
        statement = statement.with_for_update()
    found = db.execute(statement).scalar_one_or_none()
    return DataState(found) if found is not None else DataState.UNCONFIRMED


def _set_state(db: Session, candidate_id: int, state: DataState, at: datetime) -> None:
    row = db.get(DataStateRow, candidate_id)
    if row is None:
        db.add(DataStateRow(candidate_id=candidate_id, state=state.value, changed_at=at))
    else:
        row.state, row.changed_at = state.value, at
        db.add(row)
    db.flush()


def state_of(engine: Engine, *, session: str, cnie: str) -> DataState:
    """The candidate's data state. Raises :class:`NotFoundError` ``candidate.unknown``."""
    with reading(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        return state_in(db, candidate.id)


def confirm(engine: Engine, *, session: str, cnie: str, at: datetime) -> DataState:
    """Confirm the data (from ``unconfirmed`` or ``settled``; confirming twice is harmless); returns ``confirmed``.

    Raises :class:`ConflictError` ``personal_data.corrections_pending`` while a correction awaits its decision.
    """
    with writing(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        state = state_in(db, candidate.id, lock=True)
        if state is DataState.CONFIRMED:
            return state
        if state is DataState.CORRECTIONS_PENDING:
            raise ConflictError(
                "the data cannot be confirmed while corrections await a decision",
                code="personal_data.corrections_pending",
                found=state.value,
                expected="every correction decided first",
            )
        _set_state(db, candidate.id, DataState.CONFIRMED, at)
        audit.append(
            db,
            actor=_candidate_actor(db, candidate.cnie),
            action="exam.data_confirm",
            target=f"candidate:{candidate.id}",
            at=at,
            details={"session": session, "from": state.value},
        )
        return DataState.CONFIRMED


def _checked_value(field: str, proposed: str) -> str:
    value = proposed.strip()
    refused = schemas.text_problem(value, path=field)
    if refused is not None:
        raise InputError(
            "the proposed value has characters that are not allowed",
            code="correction.value_invalid",
            found=refused.found,
            expected=refused.expected,
        )
    if not value or len(value) > MAX_VALUE_CHARS:
        raise InputError(
            "the proposed value is empty or too long",
            code="correction.value_invalid",
            found=f"{len(value)} characters",
            expected=f"1 to {MAX_VALUE_CHARS} characters",
        )
    if field == "birthDate":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise InputError(
                "the proposed birth date is not a date",
                code="correction.value_invalid",
                found="a value that is not a date YYYY-MM-DD (value withheld)",
                expected="a date YYYY-MM-DD",
            ) from None
    return schemas.checked_text(value, path=field)


def request_correction(
    engine: Engine, *, session: str, cnie: str, field: str, proposed: str, comment: str, at: datetime
) -> Correction:
    """Ask for a correction of ``field`` (see the module docstring); the state becomes ``corrections_pending``.

    Raises :class:`InputError` ``correction.field_unknown``, ``correction.value_invalid``, ``correction.same_value``,
    ``correction.comment_invalid``; :class:`ConflictError` ``personal_data.confirmed`` (the data was confirmed) or
    ``correction.pending`` (this field already has one awaiting a decision).
    """
    if field not in CONTESTABLE_FIELDS:
        raise InputError(
            "this field cannot be corrected here",
            code="correction.field_unknown",
            found=field[:40],
            expected=f"one of {', '.join(CONTESTABLE_FIELDS)}",
        )
    value = _checked_value(field, proposed)
    note = comment.strip()
    refused = schemas.text_problem(note.replace("\n", " "), path="comment")
    if not note or len(note) > MAX_COMMENT_CHARS or refused is not None:
        raise InputError(
            "the comment must say why, in plain text",
            code="correction.comment_invalid",
            found=refused.found if refused is not None else f"{len(note)} characters",
            expected=f"1 to {MAX_COMMENT_CHARS} characters of plain text",
        )
    with writing(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        state = state_in(db, candidate.id, lock=True)
        if state is DataState.CONFIRMED:
            raise ConflictError(
                "the data was confirmed: no correction can be asked for any more",
                code="personal_data.confirmed",
                found=state.value,
                expected="unconfirmed data, or corrections already decided",
            )
        current = getattr(candidate, ATTRIBUTE_OF[field])
        current_text = current.isoformat() if isinstance(current, date) else str(current)
        if current_text == value:
            raise InputError(
                "the proposed value is the registry's",
                code="correction.same_value",
                found="the value already registered",
                expected="a different value",
            )
        pending = db.execute(
            select(func.count()).where(
                col(CorrectionRow.candidate_id) == candidate.id,
                col(CorrectionRow.field) == field,
                col(CorrectionRow.state) == PENDING,
            )
        ).scalar_one()
        if pending:
            raise ConflictError(
                "a correction of this field already awaits a decision",
                code="correction.pending",
                found=field,
                expected="one pending correction per field",
            )
        row = CorrectionRow(
            candidate_id=candidate.id,
            field=field,
            current=current_text,
            proposed=value,
            comment=note,
            state=PENDING,
            requested_at=at,
        )
        db.add(row)
        db.flush()
        assert row.id is not None
        _set_state(db, candidate.id, DataState.CORRECTIONS_PENDING, at)
        audit.append(
            db,
            actor=_candidate_actor(db, candidate.cnie),
            action="exam.correction_request",
            target=f"candidate:{candidate.id}",
            at=at,
            details={"session": session, "correction": row.id, "field": field},
        )
        return _correction(row, candidate.school_code, candidate.academy_code)


def _correction(row: CorrectionRow, school: str, academy: str) -> Correction:
    assert row.id is not None
    return Correction(
        id=row.id,
        candidate_id=row.candidate_id,
        school_code=school,
        academy_code=academy,
        field=row.field,
        current=row.current,
        proposed=row.proposed,
        comment=row.comment,
        state=row.state,
        reason=row.reason,
        reviewer=row.reviewer,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
    )


def corrections_of(engine: Engine, *, session: str, cnie: str) -> list[Correction]:
    """Every correction the candidate asked for, oldest first."""
    with reading(engine) as db:
        candidate = registry.require(db, session=session, cnie=cnie)
        rows = db.execute(
            select(CorrectionRow).where(col(CorrectionRow.candidate_id) == candidate.id).order_by(col(CorrectionRow.id))
        ).scalars()
        return [_correction(row, candidate.school_code, candidate.academy_code) for row in rows]


def queue_for(
    engine: Engine, *, session: str, school: str | None = None, academy: str | None = None
) -> list[Correction]:
    """The pending corrections of a session's candidates, oldest first, of one school and/or academy if named."""
    candidates = table(CandidateRow)
    statement = (
        select(CorrectionRow, candidates.c.school_code, candidates.c.academy_code)
        .join(candidates, candidates.c.id == col(CorrectionRow.candidate_id))
        .where(candidates.c.session == session, col(CorrectionRow.state) == PENDING)
        .order_by(col(CorrectionRow.id))
    )
    if school is not None:
        statement = statement.where(candidates.c.school_code == school)
    if academy is not None:
        statement = statement.where(candidates.c.academy_code == academy)
    with reading(engine) as db:
        return [_correction(row, school_code, academy_code) for row, school_code, academy_code in db.execute(statement)]


def decide(
    engine: Engine, *, correction_id: int, accept: bool, reason: str | None, reviewer: str, at: datetime
) -> Correction:
    """Accept or refuse a pending correction; an accepted one changes the registry. Returns the decided correction.

    When no correction of the candidate is pending any more, the state becomes ``settled``. Raises
    :class:`NotFoundError` ``correction.unknown``, :class:`ConflictError` ``correction.decided`` (decided already),
    :class:`InputError` ``correction.reason_required`` (a refusal without a reason).
    """
    note = (reason or "").strip()
    if not accept and not note:
        raise InputError(
            "a refusal must give its reason",
            code="correction.reason_required",
            found="no reason",
            expected="a reason the candidate will read",
        )
    with writing(engine) as db:
        row = db.execute(
            select(CorrectionRow).where(col(CorrectionRow.id) == correction_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFoundError("no such correction", code="correction.unknown", found=correction_id)
        if row.state != PENDING:
            raise ConflictError(
                "this correction is already decided", code="correction.decided", found=row.state, expected=PENDING
            )
        candidate = db.get(CandidateRow, row.candidate_id)
        assert candidate is not None
        assert candidate.id is not None
        row.state = ACCEPTED if accept else REFUSED
        row.reason = note or None
        row.reviewer = reviewer[:200]
        row.decided_at = at
        db.add(row)
        if accept:
            attribute = ATTRIBUTE_OF[row.field]
            value: str | date = date.fromisoformat(row.proposed) if row.field == "birthDate" else row.proposed
            db.execute(
                update(table(CandidateRow)).where(table(CandidateRow).c.id == candidate.id).values({attribute: value})
            )
        db.flush()
        still_pending = db.execute(
            select(func.count()).where(
                col(CorrectionRow.candidate_id) == candidate.id, col(CorrectionRow.state) == PENDING
            )
        ).scalar_one()
        if not still_pending:
            _set_state(db, candidate.id, DataState.SETTLED, at)
        audit.append(
            db,
            actor=reviewer,
            action="exam.correction_decide",
            target=f"candidate:{candidate.id}",
            at=at,
            details={"correction": row.id, "field": row.field, "accepted": accept},
        )
        return _correction(row, candidate.school_code, candidate.academy_code)
