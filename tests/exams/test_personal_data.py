"""The candidate's check of their personal data, the reviewer's decisions, and the convocation that follows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select

from exams import personal_data
from exams.convocation import convocation_of
from exams.errors import ConflictError, InputError, NotFoundError
from exams.personal_data import DataState
from exams.registry import candidate_of
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent
from tests.exams.conftest import SESSION


def _first(rows: list[dict[str, str]], kind: str) -> dict[str, str]:
    return next(row for row in rows if row["candidateType"] == kind)


def test_confirming_opens_the_convocation(engine: Engine, registered: list[dict[str, str]], now: datetime) -> None:
    cnie = _first(registered, "enrolled")["cnie"]
    assert personal_data.state_of(engine, session=SESSION, cnie=cnie) is DataState.UNCONFIRMED
    with pytest.raises(ConflictError) as early:
        convocation_of(engine, session=SESSION, cnie=cnie)
    assert early.value.code == "convocation.not_ready"
    assert early.value.found == "unconfirmed"
    assert personal_data.confirm(engine, session=SESSION, cnie=cnie, at=now) is DataState.CONFIRMED
    assert personal_data.confirm(engine, session=SESSION, cnie=cnie, at=now) is DataState.CONFIRMED
    convocation = convocation_of(engine, session=SESSION, cnie=cnie)
    assert convocation.candidate.cnie == cnie
    # Enrolled: the national exam only (the regional one was the year before), from 2025-06-02, in order.
    assert {line.exam for line in convocation.schedule} == {"national"}
    assert convocation.schedule[0].date == date(2025, 6, 2)
    assert convocation.schedule[0].start == time(8, 30)
    moments = [(line.date, line.start) for line in convocation.schedule]
    assert moments == sorted(moments)
    with pytest.raises(ConflictError) as late:
        personal_data.request_correction(
            engine, session=SESSION, cnie=cnie, field="birthDate", proposed="2007-01-01", comment="wrong", at=now
        )
    assert late.value.code == "personal_data.confirmed"


def test_a_free_candidate_sits_both_exams(engine: Engine, registered: list[dict[str, str]], now: datetime) -> None:
    cnie = _first(registered, "free")["cnie"]
    personal_data.confirm(engine, session=SESSION, cnie=cnie, at=now)
    schedule = convocation_of(engine, session=SESSION, cnie=cnie).schedule
    assert {line.exam for line in schedule} == {"regional", "national"}
    assert min(line.date for line in schedule if line.exam == "regional") == date(2025, 6, 12)


def test_a_correction_decided_settles_the_data(engine: Engine, registered: list[dict[str, str]], now: datetime) -> None:
    row = _first(registered, "enrolled")
    cnie = row["cnie"]
    asked = personal_data.request_correction(
        engine, session=SESSION, cnie=cnie, field="familyName.lat", proposed="EL ALAOUI", comment="typo", at=now
    )
    other = personal_data.request_correction(
        engine, session=SESSION, cnie=cnie, field="birthDate", proposed="2007-03-14", comment="wrong day", at=now
    )
    assert asked.state == "pending"
    assert asked.current == row["familyName.lat"]
    assert personal_data.state_of(engine, session=SESSION, cnie=cnie) is DataState.CORRECTIONS_PENDING
    with pytest.raises(ConflictError) as twice:
        personal_data.request_correction(
            engine, session=SESSION, cnie=cnie, field="familyName.lat", proposed="ALAOUI", comment="again", at=now
        )
    assert twice.value.code == "correction.pending"
    with pytest.raises(ConflictError) as pending:
        personal_data.confirm(engine, session=SESSION, cnie=cnie, at=now)
    assert pending.value.code == "personal_data.corrections_pending"
    queue = personal_data.queue_for(engine, session=SESSION, school=row["school.code"])
    assert [c.id for c in queue] == [asked.id, other.id]
    assert personal_data.queue_for(engine, session=SESSION, academy="99") == []
    later = now + timedelta(days=1)
    decided = personal_data.decide(
        engine, correction_id=asked.id, accept=True, reason=None, reviewer="staff:r1", at=later
    )
    assert decided.state == "accepted"
    assert decided.decided_at == later
    candidate = candidate_of(engine, session=SESSION, cnie=cnie)
    assert candidate is not None
    assert candidate.family_name_lat == "EL ALAOUI"
    assert personal_data.state_of(engine, session=SESSION, cnie=cnie) is DataState.CORRECTIONS_PENDING
    with pytest.raises(InputError) as no_reason:
        personal_data.decide(engine, correction_id=other.id, accept=False, reason=" ", reviewer="staff:r1", at=later)
    assert no_reason.value.code == "correction.reason_required"
    personal_data.decide(
        engine, correction_id=other.id, accept=False, reason="the civil record says otherwise", reviewer="r", at=later
    )
    candidate = candidate_of(engine, session=SESSION, cnie=cnie)
    assert candidate is not None
    assert candidate.birth_date == date.fromisoformat(row["birthDate"])
    assert personal_data.state_of(engine, session=SESSION, cnie=cnie) is DataState.SETTLED
    assert [c.state for c in personal_data.corrections_of(engine, session=SESSION, cnie=cnie)] == [
        "accepted",
        "refused",
    ]
    with pytest.raises(ConflictError) as again:
        personal_data.decide(engine, correction_id=asked.id, accept=False, reason="no", reviewer="r", at=later)
    assert again.value.code == "correction.decided"
    with pytest.raises(NotFoundError):
        personal_data.decide(engine, correction_id=999_999, accept=True, reason=None, reviewer="r", at=later)
    assert convocation_of(engine, session=SESSION, cnie=cnie).candidate.family_name_lat == "EL ALAOUI"
    assert verify_chain(engine).ok
    with reading(engine) as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action.startswith("exam."))).scalars().all()  # type: ignore[attr-defined]
    assert [e.action for e in events].count("exam.correction_decide") == 2
    assert not any(cnie in e.details or cnie in e.actor or "EL ALAOUI" in e.details for e in events)


@pytest.mark.parametrize(
    ("field", "proposed", "comment", "code"),
    [
        ("cnie", "AB123456", "mine", "correction.field_unknown"),
        ("stream.code", "PC", "mine", "correction.field_unknown"),
        ("birthDate", "2007-02-30", "wrong", "correction.value_invalid"),
        ("birthDate", "14/03/2007", "wrong", "correction.value_invalid"),
        ("givenName.lat", "Sal<b>ma", "markup", "correction.value_invalid"),
        ("givenName.lat", "", "empty", "correction.value_invalid"),
        ("givenName.lat", "x" * 201, "long", "correction.value_invalid"),
        ("givenName.lat", "Salma", "", "correction.comment_invalid"),
        ("givenName.lat", "Salma", "\u202e", "correction.comment_invalid"),
    ],
)
def test_bad_corrections_are_refused(
    engine: Engine, registered: list[dict[str, str]], now: datetime, field: str, proposed: str, comment: str, code: str
) -> None:
    cnie = registered[0]["cnie"]
    with pytest.raises(InputError) as refused:
        personal_data.request_correction(
            engine, session=SESSION, cnie=cnie, field=field, proposed=proposed, comment=comment, at=now
        )
    assert refused.value.code == code
    assert refused.value.expected
    assert personal_data.state_of(engine, session=SESSION, cnie=cnie) is DataState.UNCONFIRMED


def test_the_same_value_and_an_unknown_candidate(
    engine: Engine, registered: list[dict[str, str]], now: datetime
) -> None:
    row = registered[0]
    with pytest.raises(InputError) as same:
        personal_data.request_correction(
            engine,
            session=SESSION,
            cnie=row["cnie"],
            field="givenName.ar",
            proposed=row["givenName.ar"],
            comment="same",
            at=now,
        )
    assert same.value.code == "correction.same_value"
    with pytest.raises(NotFoundError) as unknown:
        personal_data.state_of(engine, session=SESSION, cnie="ZZ999999")
    assert unknown.value.code == "candidate.unknown"
    assert "ZZ999999" not in str(unknown.value)
