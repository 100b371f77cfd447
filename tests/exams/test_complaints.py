"""Complaints: the window, what may be complained about, the review queue, and the correction carried to the
diploma record in one transaction (superseded, first diploma, revoked, or nothing when the outcome is the same),
including a process killed in the middle of a correction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from exams import complaints
from exams.complaints import decide, file_complaint, queue_for, set_window, start_review, window_of
from exams.deliberation import deliberate_session
from exams.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from exams.generate import MARK_COLUMNS
from exams.marks import import_marks
from exams.models import ResultRow
from exams.registry import Candidate, candidate_of
from exams.results import publish, result_of
from exams.subjects import load_rules
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent, Diploma
from issuer.records import records_of
from issuer.settings import Settings
from tests.exams.conftest import SESSION, write_csv
from tests.issuer.conftest import Clock


@dataclass
class Year:
    """A deliberated, published session whose first enrolled candidates have chosen marks."""

    by_role: dict[str, Candidate]
    published: datetime


def _top_national(candidate: Candidate) -> str:
    stream = load_rules().stream(candidate.stream_code)
    return max(stream.of_exam("national"), key=lambda rule: rule.coefficient).code


@pytest.fixture
def year(tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]) -> Year:
    rules = load_rules()
    enrolled = [row for row in registered if row["candidateType"] == "enrolled"]
    roles = {"superseded": "11.50", "unchanged": "5.00", "first_diploma": "9.50", "revoked": "10.00"}
    level = {row["cnie"]: "12.00" for row in registered}
    by_role: dict[str, Candidate] = {}
    for (role, mark), row in zip(roles.items(), enrolled, strict=False):
        level[row["cnie"]] = mark
        found = candidate_of(engine, session=SESSION, cnie=row["cnie"])
        assert found is not None
        by_role[role] = found
    rows = []
    for row in registered:
        if row["candidateType"] == "enrolled":
            rows.append({"cnie": row["cnie"], "exam": "continuous", "subject": "CC", "mark": level[row["cnie"]]})
        for rule in rules.stream(row["stream.code"]).subjects:
            rows.append({"cnie": row["cnie"], "exam": rule.exam, "subject": rule.code, "mark": level[row["cnie"]]})
    import_marks(
        engine,
        path=write_csv(tmp_path / "marks.csv", rows, columns=MARK_COLUMNS),
        session=SESSION,
        actor="t",
        now=clock(),
    )
    deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock)
    publish(engine, session=SESSION, at=clock(), actor="t", now=clock())
    return Year(by_role, clock())


def _records(engine: Engine, cnie: str) -> list[Diploma]:
    with reading(engine) as db:
        return records_of(db, cnie=cnie)


def _file(engine: Engine, candidate: Candidate, now: datetime, *, subject: str | None = None) -> complaints.Complaint:
    return file_complaint(
        engine,
        session=SESSION,
        cnie=candidate.cnie,
        subject=subject or _top_national(candidate),
        kind="wrong_sum",
        comment="the parts add up to more",
        now=now,
    )


def _uphold(
    engine: Engine, settings: Settings, complaint: complaints.Complaint, mark: str, at: datetime
) -> complaints.Complaint:
    return decide(
        engine,
        settings=settings,
        complaint_id=complaint.id,
        academy=complaint.academy_code,
        uphold=True,
        new_mark=mark,
        reason="the parts were added up wrongly",
        reviewer="staff:reviewer",
        at=at,
    )


def test_the_window(engine: Engine, settings: Settings, clock: Clock, year: Year) -> None:
    candidate = year.by_role["superseded"]
    window = window_of(engine, session=SESSION)
    assert window is not None
    assert (window.opens_at, window.closes_at, window.explicit) == (
        year.published,
        year.published + timedelta(days=3),
        False,
    )
    with pytest.raises(ConflictError) as closed:
        _file(engine, candidate, year.published + timedelta(days=3))
    assert closed.value.code == "complaint.window_closed"
    assert _file(engine, candidate, year.published + timedelta(days=3) - timedelta(seconds=1)).state == "received"
    later = set_window(
        engine,
        session=SESSION,
        open_at=year.published + timedelta(days=5),
        close_at=year.published + timedelta(days=6),
        actor="t",
        now=clock(),
    )
    assert later.explicit
    other = year.by_role["unchanged"]
    with pytest.raises(ConflictError) as early:
        _file(engine, other, year.published + timedelta(days=4))
    assert early.value.code == "complaint.window_not_open"
    assert "opens at" in str(early.value.found)
    with pytest.raises(InputError) as naive:
        set_window(
            engine, session=SESSION, open_at=datetime(2025, 6, 14), close_at=year.published, actor="t", now=clock()
        )
    assert naive.value.code == "complaint.naive_time"
    with pytest.raises(InputError) as backwards:
        set_window(engine, session=SESSION, open_at=year.published, close_at=year.published, actor="t", now=clock())
    assert backwards.value.code == "complaint.window_invalid"


def test_nothing_before_the_results_are_published(
    engine: Engine, registered: list[dict[str, str]], now: datetime
) -> None:
    candidate = candidate_of(engine, session=SESSION, cnie=registered[0]["cnie"])
    assert candidate is not None
    with pytest.raises(ConflictError) as early:
        _file(engine, candidate, now)
    assert early.value.code == "complaint.window_not_open"


def test_what_may_be_complained_about(engine: Engine, clock: Clock, year: Year) -> None:
    candidate = year.by_role["superseded"]
    now = clock()
    cases = [
        ({"kind": "unfair"}, "complaint.kind_invalid"),
        ({"subject": "CC"}, "complaint.subject_invalid"),
        ({"subject": "XX"}, "complaint.subject_invalid"),
        ({"comment": " "}, "complaint.comment_invalid"),
        ({"comment": "a\u202eb"}, "complaint.comment_invalid"),
    ]
    for change, code in cases:
        arguments = {
            "subject": _top_national(candidate),
            "kind": "transcription",
            "comment": "copied wrongly",
            **change,
        }
        with pytest.raises(InputError) as refused:
            file_complaint(engine, session=SESSION, cnie=candidate.cnie, now=now, **arguments)
        assert refused.value.code == code
        assert refused.value.expected
    regional = next(rule.code for rule in load_rules().stream(candidate.stream_code).of_exam("regional"))
    filed = _file(engine, candidate, now, subject=regional.lower())
    assert (filed.exam, filed.subject, filed.state) == ("regional", regional, "received")
    assert filed.original_mark == Decimal("11.50")
    with pytest.raises(ConflictError) as twice:
        _file(engine, candidate, now, subject=regional)
    assert twice.value.code == "complaint.duplicate"
    with pytest.raises(NotFoundError):
        file_complaint(engine, session=SESSION, cnie="ZZ999999", subject="MA", kind="wrong_sum", comment="x", now=now)
    assert [c.id for c in complaints.complaints_of(engine, session=SESSION, cnie=candidate.cnie)] == [filed.id]


def test_the_review_queue_and_refusals(engine: Engine, settings: Settings, clock: Clock, year: Year) -> None:
    now = clock()
    filed = [_file(engine, candidate, now) for candidate in year.by_role.values()]
    academy = filed[0].academy_code
    queue = queue_for(engine, session=SESSION, academy=academy)
    assert [c.id for c in queue] == [c.id for c in filed if c.academy_code == academy]
    subject_filtered = queue_for(engine, session=SESSION, academy=academy, subject=filed[0].subject)
    assert all(c.subject == filed[0].subject for c in subject_filtered)
    centre = queue_for(engine, session=SESSION, academy=academy, centre=filed[0].exam_centre_code)
    assert filed[0].id in [c.id for c in centre]
    assert queue_for(engine, session=SESSION, academy=academy, centre="nowhere") == []
    other = "12" if academy != "12" else "11"
    with pytest.raises(ForbiddenError) as forbidden:
        start_review(engine, complaint_id=filed[0].id, academy=other, reviewer="r", at=now)
    assert forbidden.value.code == "complaint.other_academy"
    reviewed = start_review(engine, complaint_id=filed[0].id, academy=academy, reviewer="r", at=now)
    assert reviewed.state == "under_review"
    for arguments, code in [
        ({"uphold": True, "new_mark": "21", "reason": "wrong sum"}, "complaint.mark_invalid"),
        ({"uphold": True, "new_mark": None, "reason": "wrong sum"}, "complaint.mark_invalid"),
        ({"uphold": True, "new_mark": "11.50", "reason": "wrong sum"}, "complaint.mark_invalid"),
        ({"uphold": False, "new_mark": None, "reason": " "}, "complaint.reason_required"),
    ]:
        with pytest.raises(InputError) as refused:
            decide(
                engine, settings=settings, complaint_id=filed[0].id, academy=academy, reviewer="r", at=now, **arguments
            )  # type: ignore[arg-type]
        assert refused.value.code == code
    rejected = decide(
        engine,
        settings=settings,
        complaint_id=filed[0].id,
        academy=academy,
        uphold=False,
        new_mark=None,
        reason="the sum is right",
        reviewer="r",
        at=now,
    )
    assert (rejected.state, rejected.reason, rejected.outcome) == ("rejected", "the sum is right", None)
    with pytest.raises(ConflictError) as again:
        _uphold(engine, settings, filed[0], "15", now)
    assert again.value.code == "complaint.decided"
    assert filed[0].id not in [c.id for c in queue_for(engine, session=SESSION, academy=academy)]
    with pytest.raises(NotFoundError):
        start_review(engine, complaint_id=10**9, academy=academy, reviewer="r", at=now)


def test_corrections_reach_the_diploma(engine: Engine, settings: Settings, clock: Clock, year: Year) -> None:
    now = clock()
    roles = year.by_role
    before = {role: _records(engine, c.cnie) for role, c in roles.items()}
    assert [len(before[r]) for r in ("superseded", "unchanged", "first_diploma", "revoked")] == [1, 0, 0, 1]

    upheld = _uphold(engine, settings, _file(engine, roles["superseded"], now), "20", now)
    assert (upheld.state, upheld.outcome, upheld.new_mark) == ("upheld", "superseded", Decimal("20.00"))
    old, new = _records(engine, roles["superseded"].cnie)[::-1]
    assert (old.id, new.id) == (upheld.old_record, upheld.new_record)
    assert old.status == "revoked"
    assert "corrected after complaint" in (old.status_reason or "")
    assert old.replaced_by == new.id
    assert (new.status, new.replaces, new.version) == ("active", old.id, 2)
    claims = json.loads(new.claims)
    result = result_of(engine, session=SESSION, cnie=roles["superseded"].cnie, now=now)
    assert result is not None
    assert Decimal(str(claims["generalAverage"])) == result.average > Decimal("12")
    assert claims["mention"] == result.mention == "assez_bien"
    assert {k: v for k, v in claims.items() if k not in ("generalAverage", "mention")} == {
        k: v for k, v in json.loads(old.claims).items() if k not in ("generalAverage", "mention")
    }

    same = _uphold(engine, settings, _file(engine, roles["unchanged"], now), "6", now)
    assert (same.outcome, same.old_record, same.new_record) == ("unchanged", None, None)
    assert _records(engine, roles["unchanged"].cnie) == []

    first = _uphold(engine, settings, _file(engine, roles["first_diploma"], now), "20", now)
    assert first.outcome == "first_diploma"
    (record,) = _records(engine, roles["first_diploma"].cnie)
    assert (record.id, record.status, record.version) == (first.new_record, "active", 1)
    shown = result_of(engine, session=SESSION, cnie=roles["first_diploma"].cnie, now=now)
    assert shown is not None
    assert shown.decision == "admitted"

    lost = _uphold(engine, settings, _file(engine, roles["revoked"], now), "0", now)
    assert lost.outcome == "revoked"
    (revoked,) = _records(engine, roles["revoked"].cnie)
    assert (revoked.id, revoked.status, revoked.status_reason) == (
        lost.old_record,
        "revoked",
        "corrected after complaint",
    )

    assert verify_chain(engine).ok
    with reading(engine) as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action.startswith("exam.complaint"))).scalars().all()  # type: ignore[attr-defined]
    assert sorted({e.action for e in events}) == ["exam.complaint_decide", "exam.complaint_file"]
    assert not any(c.cnie in e.details or c.cnie in e.actor for e in events for c in roles.values())


def test_the_same_outcome_changes_nothing(engine: Engine, settings: Settings, clock: Clock, year: Year) -> None:
    candidate = year.by_role["superseded"]
    with reading(engine) as db:
        average = db.get(ResultRow, candidate.id).average_centi  # type: ignore[union-attr]
    # Raising a mark by 0.01 in the regional subject of smallest weight moves the exact average by less than half a
    # hundredth: the rounded average, the mention and the record stay.
    stream = load_rules().stream(candidate.stream_code)
    smallest = min(stream.of_exam("regional"), key=lambda rule: rule.coefficient).code
    decided = _uphold(engine, settings, _file(engine, candidate, clock(), subject=smallest), "11.51", clock())
    assert decided.outcome == "unchanged"
    assert len(_records(engine, candidate.cnie)) == 1
    with reading(engine) as db:
        assert db.get(ResultRow, candidate.id).average_centi == average  # type: ignore[union-attr]


_KILLED_DURING_CORRECTION = """
import os, sys, time
from datetime import datetime
from issuer import audit
from issuer.audit import keyed_engine
from issuer.settings import load_settings
from exams.complaints import decide

original = audit.append
def stalled(db, **kwargs):
    event = original(db, **kwargs)
    if kwargs["action"] == "exam.complaint_decide":
        open(sys.argv[2], "w").close()  # everything is written, nothing committed
        time.sleep(60)
    return event
audit.append = stalled
settings = load_settings()
decide(keyed_engine(settings), settings=settings, complaint_id=int(sys.argv[1]), academy=sys.argv[3], uphold=True,
       new_mark="20", reason="wrong sum", reviewer="staff:r", at=datetime.fromisoformat(sys.argv[4]))
"""


def test_a_correction_killed_midway_leaves_the_old_diploma_valid(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, year: Year, database_url: str
) -> None:
    from tests.issuer.conftest import environment

    candidate = year.by_role["superseded"]
    filed = _file(engine, candidate, clock())
    with reading(engine) as db:
        records_before = db.execute(select(func.count()).select_from(Diploma)).scalar_one()
    marker = tmp_path / "written"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _KILLED_DURING_CORRECTION,
            str(filed.id),
            str(marker),
            filed.academy_code,
            clock().isoformat(),
        ],
        env={**os.environ, **environment(tmp_path, database_url)},
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the correcting process ended early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    (only,) = _records(engine, candidate.cnie)
    assert only.status == "active"
    assert complaints.complaints_of(engine, session=SESSION, cnie=candidate.cnie)[0].state == "received"
    with reading(engine) as db:
        assert db.execute(select(func.count()).select_from(Diploma)).scalar_one() == records_before
    assert verify_chain(engine).ok
    # Run again: the correction completes, old revoked and new issued.
    done = _uphold(engine, settings, filed, "20", clock())
    old, new = _records(engine, candidate.cnie)[::-1]
    assert (old.status, new.status, done.new_record) == ("revoked", "active", new.id)


def test_a_correction_that_would_move_the_diploma_between_sessions_is_refused(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, year: Year
) -> None:
    candidate = year.by_role["first_diploma"]  # 9.50: the catch-up band
    subject = _top_national(candidate)
    rows = [{"cnie": candidate.cnie, "exam": "catch_up", "subject": subject, "mark": "20"}]
    import_marks(
        engine,
        path=write_csv(tmp_path / "catch-up.csv", rows, columns=MARK_COLUMNS),
        session=SESSION,
        actor="t",
        now=clock(),
    )
    deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock, catch_up=True)
    (record,) = _records(engine, candidate.cnie)
    assert record.session == "2025-rattrapage"
    filed = _file(engine, candidate, clock())
    with pytest.raises(ConflictError) as moved:
        _uphold(engine, settings, filed, "20", clock())
    assert moved.value.code == "complaint.session_change"
    assert "2025-rattrapage to 2025-normale" in str(moved.value.found)
    assert _records(engine, candidate.cnie) == [record]
    assert complaints.complaints_of(engine, session=SESSION, cnie=candidate.cnie)[0].state == "received"
    # A correction within the catch-up outcome's session goes through: a regional mark raised keeps it in the band.
    regional = min(load_rules().stream(candidate.stream_code).of_exam("regional"), key=lambda r: r.coefficient).code
    kept = _uphold(engine, settings, _file(engine, candidate, clock(), subject=regional), "10", clock())
    assert kept.outcome == "superseded"
    assert _records(engine, candidate.cnie)[0].session == "2025-rattrapage"


def test_every_copy_of_a_corrected_diploma_is_revoked_in_both_list_formats(
    engine: Engine, settings: Settings, clock: Clock, year: Year
) -> None:
    from fastapi.testclient import TestClient

    from issuer.app import create_app
    from issuer.db import writing
    from issuer.keyring import Keyring
    from issuer.oid4vci import create_offer
    from issuer.records import resolve
    from issuer.secrets import load_secrets
    from keys import InMemoryKeyStore
    from tests.issuer.conftest import ISSUER
    from tests.issuer.test_status import _indexes, _issue
    from tests.issuer.verifying import fetch_list, key_resolver, verify_copy
    from vc import Verdict

    store = InMemoryKeyStore()
    store.create(not_before=clock() - timedelta(days=30))
    app = create_app(settings, engine=engine, keyring=Keyring(store), clock=clock)
    candidate = year.by_role["superseded"]

    def make_offer(cnie: str) -> object:
        with writing(engine) as db:
            return create_offer(
                db, diploma=resolve(db, cnie), settings=settings, secrets=load_secrets(db), actor="test", now=clock()
            )

    with TestClient(app, base_url=ISSUER) as client:
        wallet, credentials = _issue(client, make_offer, candidate.cnie, clock)  # type: ignore[arg-type]
        decided = _uphold(engine, settings, _file(engine, candidate, clock()), "20", clock())
        assert decided.outcome == "superseded"
        keys = key_resolver(client, ISSUER, relative_to=ISSUER)
        revoked = {
            name: set(
                dict(
                    fetch_list(
                        client, f"{ISSUER}/status/{path}", keys=keys, now=clock(), relative_to=ISSUER
                    ).status_list.nonzero()
                )
            )
            for name, path in (("bitstring", "bitstring/revocation-1"), ("tsl", "tsl/1"))
        }
        copies = [_indexes(credential) for credential in credentials]
        assert {kind for kind, _ in copies} == {"w3c", "tsl"}
        for _, index in copies:
            assert index in revoked["bitstring"]
            assert index in revoked["tsl"]
        for credential, key in zip(credentials, wallet.keys, strict=True):
            report = verify_copy(client, credential, holder=key, issuer=ISSUER, now=clock(), relative_to=ISSUER)
            assert report.verdict is Verdict.INVALID
