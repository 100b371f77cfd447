"""Diploma records: one per graduate, exactly once, with unguessable deterministic ids and their own slot."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlmodel import col

from issuer.cohort import import_cohort
from issuer.cohort_file import canonical_subject
from issuer.db import reading, writing
from issuer.errors import ConflictError, InputError, NotFoundError, StatusAllocationError
from issuer.issuance import recorded_subject
from issuer.models import Diploma, StatusShard
from issuer.records import issue_cohort, records_of, resolve, supersede, view
from issuer.secrets import load_secrets
from issuer.settings import Settings
from schemas import DiplomaSubject, ExamSession
from tests.issuer.conftest import SESSION, Clock, Cohort, cohort_rows, write_rows
from vc import ConfigurationError


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with reading(engine) as db:
        return [tuple(row) for row in db.execute(text(sql))]


def test_cohort_issue_creates_one_record_per_graduate_exactly_once(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock
) -> None:
    rows = cohort_rows(250, seed=9)
    import_cohort(engine, path=write_rows(tmp_path / "c.csv", rows), session=SESSION, actor="test", now=clock())
    first = issue_cohort(
        engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock, batch_size=40, limit=100
    )
    assert (first.created, first.batches, first.remaining) == (100, 3, 150)
    rest = issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock, batch_size=40)
    assert (rest.created, rest.already, rest.remaining) == (150, 100, 0)
    again = issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock)
    assert (again.created, again.batches) == (0, 0)

    records = _rows(
        engine, "SELECT d.id, g.cnie, d.claims, g.subject FROM diploma d JOIN graduate g ON g.id = d.graduate_id"
    )
    assert len(records) == 250
    with reading(engine) as db:
        secrets = load_secrets(db)
    for record_id, cnie, claims, subject in records:
        assert record_id == secrets.record_id(session=str(SESSION), cnie=str(cnie), version=1)
        assert claims == subject, "the snapshot is the imported claims, byte for byte"
    slots = _rows(engine, "SELECT shard, idx, diploma_id FROM status_slot WHERE copy_id IS NULL")
    assert len(slots) == 250
    assert len({(shard, idx) for shard, idx, _ in slots}) == 250
    assert {diploma for _, _, diploma in slots} == {record_id for record_id, *_ in records}
    assert _rows(engine, "SELECT allocated FROM status_shard") == [(250,)]
    events = _rows(engine, "SELECT action, details FROM audit_event WHERE action = 'diploma.create_batch'")
    assert sum(json.loads(str(details))["count"] for _, details in events) == 250


def test_a_full_registry_issues_nothing(tmp_path: Path, engine: Engine, clock: Clock) -> None:
    from issuer.settings import load_settings
    from tests.issuer.conftest import environment

    url = engine.url.render_as_string(hide_password=False)
    settings = load_settings(environment(tmp_path, url, TAWTIQ_STATUS_MAX_SHARDS="1"))
    import_cohort(
        engine, path=write_rows(tmp_path / "c.csv", cohort_rows(30)), session=SESSION, actor="test", now=clock()
    )
    issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock, limit=10)
    with writing(engine) as db:
        db.execute(update(StatusShard).values(allocated=col(StatusShard.size) - 5))
    with pytest.raises(StatusAllocationError, match="nothing was issued"):
        issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock, batch_size=20)
    assert _rows(engine, "SELECT COUNT(*) FROM diploma") == [(10,)], "the failing batch rolled back whole"
    assert _rows(engine, "SELECT COUNT(*) FROM status_slot") == [(10,)]


def test_records_are_found_by_cnie_or_credential_id(engine: Engine, cohort: Cohort) -> None:
    with reading(engine) as db:
        by_cnie = resolve(db, cohort.cnies[0].lower())
        assert resolve(db, by_cnie.id).id == by_cnie.id
        assert resolve(db, by_cnie.id.removeprefix("urn:uuid:").upper()).id == by_cnie.id
        shown = view(db, by_cnie).as_dict()
        assert shown["claims"]["cnie"] == cohort.cnies[0]
        assert len(shown["status_slots"]) == 1
        assert shown["copies"] == 0
        with pytest.raises(NotFoundError):
            resolve(db, "ZZ000000")
        with pytest.raises(NotFoundError):
            resolve(db, "urn:uuid:00000000-0000-4000-8000-000000000000")


def test_several_sessions_need_the_session_named(
    tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    from issuer.cohort import ExamSession

    catch_up = ExamSession(2024, "rattrapage")
    row = dict(cohort.rows[0], **{"session.type": "rattrapage", "deliberationDate": "2024-07-10"})
    import_cohort(engine, path=write_rows(tmp_path / "r.csv", [row]), session=catch_up, actor="test", now=clock())
    issue_cohort(engine, settings=settings, session_name=str(catch_up), actor="test", clock=clock)
    with reading(engine) as db:
        with pytest.raises(InputError, match="several sessions") as ambiguous:
            resolve(db, cohort.cnies[0])
        assert len(ambiguous.value.found) == 2
        assert resolve(db, cohort.cnies[0], session_name="2024-rattrapage").session == "2024-rattrapage"
        assert len(records_of(db, cnie=cohort.cnies[0])) == 2


def test_supersede_revokes_the_old_record_and_links_the_corrected_one(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    with reading(engine) as db:
        old = resolve(db, cohort.cnies[1])
    corrected = json.loads(old.claims)
    corrected.update(generalAverage=14.5, mention="bien")
    old_id, new_id = supersede(
        engine,
        settings=settings,
        identifier=cohort.cnies[1],
        subject=corrected,
        reason="transcription error",
        actor="test",
        now=clock(),
    )
    assert old_id == old.id
    assert new_id != old_id
    with reading(engine) as db:
        new = resolve(db, cohort.cnies[1])
        previous = resolve(db, old_id)
        secrets = load_secrets(db)
    assert new.id == new_id == secrets.record_id(session=str(SESSION), cnie=cohort.cnies[1], version=2)
    assert (new.replaces, previous.replaced_by, previous.status) == (old_id, new_id, "revoked")
    assert json.loads(new.claims)["generalAverage"] == 14.5
    assert "superseded" in (previous.status_reason or "")
    with pytest.raises(ConflictError):
        supersede(
            engine, settings=settings, identifier=old_id, subject=corrected, reason="again", actor="test", now=clock()
        )
    other_person = dict(corrected, cnie="ZZ123456")
    with pytest.raises(InputError, match="CNIE"):
        supersede(
            engine, settings=settings, identifier=new_id, subject=other_person, reason="x", actor="test", now=clock()
        )
    invalid = dict(corrected, mention="passable")
    with pytest.raises(InputError, match="does not validate"):
        supersede(engine, settings=settings, identifier=new_id, subject=invalid, reason="x", actor="test", now=clock())


def test_a_correction_may_come_as_a_typed_subject(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    with reading(engine) as db:
        old = resolve(db, cohort.cnies[2])
    corrected = DiplomaSubject.parse(dict(json.loads(old.claims), generalAverage=16, mention="tres_bien"))
    _, new_id = supersede(
        engine, settings=settings, identifier=old.id, subject=corrected, reason="recount", actor="test", now=clock()
    )
    with reading(engine) as db:
        new = resolve(db, new_id)
    assert new.claims == canonical_subject(corrected)
    assert json.loads(new.claims)["generalAverage"] == 16
    other_session = dataclasses.replace(corrected, session=ExamSession(2024, "rattrapage"))
    with pytest.raises(InputError, match="session"):
        supersede(
            engine, settings=settings, identifier=new_id, subject=other_session, reason="x", actor="test", now=clock()
        )


def test_a_stored_snapshot_that_is_no_longer_a_subject_is_never_signed() -> None:
    damaged = Diploma(
        id="urn:uuid:00000000-0000-4000-8000-000000000000",
        graduate_id=1,
        session="2024-normale",
        claims='{"cnie": "BE123456"}',
        created_at=datetime(2024, 7, 1, tzinfo=UTC),
        actor="test",
    )
    with pytest.raises(ConfigurationError) as refused:
        recorded_subject(damaged)
    assert refused.value.code == "diploma.snapshot_invalid"
    assert all("BE123456" not in problem for problem in refused.value.found)
