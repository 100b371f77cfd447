"""The exam year end to end in the database: marks imported, the session deliberated (normal and catch-up stages),
the admitted written as the issuer's graduates and given records exactly once, results shown from the instant on."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from exams.deliberation import deliberate_session
from exams.errors import ConflictError, InputError
from exams.marks import import_marks, write_generated_marks
from exams.models import ResultRow
from exams.registry import candidate_of
from exams.results import publication_of, publish, result_of
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent, Diploma, Graduate
from issuer.records import resolve
from issuer.settings import Settings
from tests.exams.conftest import SESSION
from tests.issuer.conftest import Clock


def _marks(tmp_path: Path, engine: Engine, *, catch_up: bool = False, seed: int = 5) -> Path:
    out = tmp_path / ("catch-up.csv" if catch_up else "marks.csv")
    write_generated_marks(engine, session=SESSION, seed=seed, out=out, catch_up=catch_up)
    return out


def _results(engine: Engine) -> dict[int, ResultRow]:
    with reading(engine) as db:
        return {row.candidate_id: row for row in db.execute(select(ResultRow)).scalars()}


def test_the_exam_year(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]
) -> None:
    summary = import_marks(engine, path=_marks(tmp_path, engine), session=SESSION, actor="t", now=clock())
    assert summary.committed
    first = deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock, batch_size=7)
    assert first.deliberated == 40
    assert sum(first.totals.values()) == 40
    assert first.totals["admitted"] > 0
    assert first.totals["catch_up"] > 0
    assert first.records.created == first.totals["admitted"]
    results = _results(engine)
    with reading(engine) as db:
        graduates = {g.id: g for g in db.execute(select(Graduate)).scalars()}
        for row in results.values():
            if row.decision == "admitted":
                assert row.graduate_id in graduates
                claims = json.loads(graduates[row.graduate_id].subject)
                assert Decimal(str(claims["generalAverage"])) == Decimal(row.average_centi) / 100
                assert claims["mention"] == row.mention
                assert claims["session"] == {"year": 2025, "type": "normale"}
                assert resolve(db, graduates[row.graduate_id].cnie).status == "active"
            else:
                assert row.graduate_id is None
    # Run again: nothing deliberated twice, no second record.
    again = deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock)
    assert (again.deliberated, again.already, again.records.created) == (0, 40, 0)
    # Catch-up: the band's candidates retake national subjects; the better mark counts.
    catch_up_file = _marks(tmp_path, engine, catch_up=True)
    import_marks(engine, path=catch_up_file, session=SESSION, actor="t", now=clock())
    second = deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock, catch_up=True)
    assert second.deliberated == first.totals["catch_up"]
    after = _results(engine)
    with reading(engine) as db:
        rattrapage = db.execute(select(func.count()).where(Graduate.session == "2025-rattrapage")).scalar_one()  # type: ignore[arg-type]
        records = db.execute(select(func.count()).select_from(Diploma)).scalar_one()
    assert rattrapage == second.totals["admitted"]
    assert records == first.totals["admitted"] + second.totals["admitted"]
    for row in after.values():
        if row.decision == "catch_up":
            assert row.catch_up_decision in ("admitted", "not_admitted")
            assert row.catch_up_average_centi is not None
            assert row.catch_up_average_centi >= row.average_centi
        else:
            assert row.catch_up_decision is None
    assert verify_chain(engine).ok
    with reading(engine) as db:
        events = db.execute(select(AuditEvent)).scalars().all()
    assert {"exam.marks_import", "exam.deliberate_batch", "exam.deliberated", "diploma.create_batch"} <= {
        e.action for e in events
    }
    assert not any(row["cnie"] in e.details for e in events for row in registered)


def test_results_appear_at_the_published_second(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]
) -> None:
    cnie = registered[0]["cnie"]
    import_marks(engine, path=_marks(tmp_path, engine), session=SESSION, actor="t", now=clock())
    deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock)
    assert publication_of(engine, session=SESSION) is None
    assert result_of(engine, session=SESSION, cnie=cnie, now=clock() + timedelta(days=365)) is None
    with pytest.raises(InputError) as naive:
        publish(engine, session=SESSION, at=datetime(2025, 6, 14, 9), actor="t", now=clock())
    assert naive.value.code == "publish.naive_time"
    instant = datetime.fromisoformat("2025-06-14T09:00:00+01:00")
    assert publish(engine, session=SESSION, at=instant, actor="t", now=clock()) == instant
    assert publication_of(engine, session=SESSION) == instant
    before = instant - timedelta(microseconds=1)
    for row in registered:
        assert result_of(engine, session=SESSION, cnie=row["cnie"], now=before) is None
    result = result_of(engine, session=SESSION, cnie=cnie.lower(), now=instant)
    assert result is not None
    candidate = candidate_of(engine, session=SESSION, cnie=cnie)
    assert candidate is not None
    stored = _results(engine)[candidate.id]
    assert result.average == Decimal(stored.average_centi) / 100
    assert str(result.average).count(".") == 1
    assert len(str(result.average).split(".")[1]) == 2
    assert result.decision == stored.decision
    assert result.mention == stored.mention
    assert {mark.exam for mark in result.marks} >= {"regional", "national"}
    assert all(Decimal(0) <= mark.mark <= Decimal(20) for mark in result.marks)
    assert result.catch_up is None
    assert result_of(engine, session=SESSION, cnie="ZZ999999", now=instant) is None
    # The instant may move while it is in the future, never once it has passed.
    publish(engine, session=SESSION, at=instant + timedelta(hours=1), actor="t", now=clock())
    clock.set(instant + timedelta(hours=2))
    with pytest.raises(ConflictError) as public:
        publish(engine, session=SESSION, at=instant + timedelta(days=1), actor="t", now=clock())
    assert public.value.code == "publish.already_public"


def test_catch_up_outcome_appears_at_its_own_instant(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]
) -> None:
    import_marks(engine, path=_marks(tmp_path, engine), session=SESSION, actor="t", now=clock())
    deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock)
    import_marks(engine, path=_marks(tmp_path, engine, catch_up=True), session=SESSION, actor="t", now=clock())
    deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock, catch_up=True)
    band = [cid for cid, row in _results(engine).items() if row.decision == "catch_up"]
    cnie = next(
        row["cnie"] for row in registered if candidate_of(engine, session=SESSION, cnie=row["cnie"]).id == band[0]
    )  # type: ignore[union-attr]
    instant = clock() + timedelta(days=1)
    publish(engine, session=SESSION, at=instant, actor="t", now=clock())
    publish(engine, session=SESSION, at=instant + timedelta(days=20), actor="t", now=clock(), catch_up=True)
    shown = result_of(engine, session=SESSION, cnie=cnie, now=instant)
    assert shown is not None
    assert shown.decision == "catch_up"
    assert shown.catch_up is None
    later = result_of(engine, session=SESSION, cnie=cnie, now=instant + timedelta(days=20))
    assert later is not None
    assert later.catch_up is not None
    assert later.catch_up.decision in ("admitted", "not_admitted")
    assert all(mark.exam == "catch_up" for mark in later.catch_up.marks)


def test_deliberation_refusals(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]
) -> None:
    with pytest.raises(InputError) as early:
        deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock, catch_up=True)
    assert early.value.code == "deliberation.not_deliberated"
    with pytest.raises(InputError) as empty:
        deliberate_session(engine, settings=settings, session="2026-normale", actor="t", clock=clock)
    assert empty.value.code == "deliberation.no_candidates"
    path = _marks(tmp_path, engine)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[1:])
    import_marks(engine, path=path, session=SESSION, actor="t", now=clock())
    with pytest.raises(InputError) as missing:
        deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock)
    assert missing.value.code == "deliberation.marks_missing"
    assert "1 candidate" in str(missing.value)
    assert _results(engine) == {}


def test_no_result_while_the_deliberation_is_unfinished(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]
) -> None:
    from exams.deliberation import deliberate_results

    import_marks(engine, path=_marks(tmp_path, engine), session=SESSION, actor="t", now=clock())
    publish(engine, session=SESSION, at=clock(), actor="t", now=clock())
    calls = 0

    def interrupted() -> datetime:
        nonlocal calls
        calls += 1
        if calls == 3:  # after two batches are committed
            raise KeyboardInterrupt
        return clock()

    with pytest.raises(KeyboardInterrupt):
        deliberate_results(engine, session=SESSION, actor="t", clock=interrupted, batch_size=5)
    assert len(_results(engine)) == 10
    assert all(result_of(engine, session=SESSION, cnie=row["cnie"], now=clock()) is None for row in registered)
    resumed = deliberate_results(engine, session=SESSION, actor="t", clock=clock, batch_size=5)
    assert (resumed.deliberated, resumed.already) == (30, 10)
    assert all(result_of(engine, session=SESSION, cnie=row["cnie"], now=clock()) is not None for row in registered)
