"""The audit log: every state change is an event, and the hash chain shows tampering."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from issuer import audit
from issuer.db import reading, writing
from issuer.records import resolve
from issuer.status import StatusAction, change_status
from tests.issuer.conftest import Clock, Cohort


def _actions(engine: Engine) -> list[str]:
    with reading(engine) as db:
        return [row[0] for row in db.execute(text("SELECT action FROM audit_event ORDER BY seq"))]


def test_state_changes_are_audited_with_who_what_when_why(engine: Engine, cohort: Cohort, clock: Clock) -> None:
    with writing(engine) as db:
        diploma = resolve(db, cohort.cnies[0])
        change_status(
            db,
            diploma_id=diploma.id,
            action=StatusAction.SUSPEND,
            reason="exam board review",
            actor="cli:registrar",
            now=clock(),
        )
    assert _actions(engine) == ["cohort.import", "diploma.create_batch", "diploma.suspend"]
    with reading(engine) as db:
        actor, target, reason, _at, details = db.execute(
            text("SELECT actor, target, reason, at, details FROM audit_event WHERE action = 'diploma.suspend'")
        ).one()
    assert (actor, target, reason) == ("cli:registrar", diploma.id, "exam board review")
    assert json.loads(details)["before"] == "active"
    assert audit.verify_chain(engine).ok
    for cnie in cohort.cnies:
        assert cnie not in json.dumps(_all_events(engine)), "no CNIE number in the audit log"


def _all_events(engine: Engine) -> list[list[object]]:
    with reading(engine) as db:
        return [list(row) for row in db.execute(text("SELECT actor, action, target, reason, details FROM audit_event"))]


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 2",
        "UPDATE audit_event SET details = '{}' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 3",
    ],
)
def test_tampering_is_detected(engine: Engine, clock: Clock, tamper: str) -> None:
    for number in range(3):
        with writing(engine) as db:
            audit.append(
                db,
                actor="test",
                action="test.event",
                target=str(number),
                at=clock(),
                reason="why",
                details={"n": number},
            )
    assert audit.verify_chain(engine).ok
    with writing(engine) as db:
        db.execute(text(tamper))
    report = audit.verify_chain(engine)
    assert not report.ok
    assert report.first_bad_seq in (2, 3, 1)
    assert report.problem


def test_events_commit_or_roll_back_with_their_change(engine: Engine, clock: Clock) -> None:
    def failing_change() -> None:
        with writing(engine) as db:
            audit.append(db, actor="test", action="test.event", target="x", at=clock())
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert audit.verify_chain(engine).events == 0
    with writing(engine) as db:
        audit.append(db, actor="test", action="test.event", target="x", at=datetime.now().astimezone())
    assert audit.verify_chain(engine).events == 1
