"""``cohort issue`` as real processes: killed with SIGKILL and resumed it ends where an uninterrupted run ends;
several processes issuing at once against one database never share a status index or duplicate a record."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from issuer.audit import audit_key_source, keyed_engine, verify_chain, with_audit_key
from issuer.cohort import ExamSession, import_cohort
from issuer.db import create_database_engine, reading, snapshot, upgrade
from issuer.generate import write_cohort
from issuer.records import issue_cohort
from issuer.secrets import load_secrets
from issuer.settings import Settings, load_settings
from tests.issuer.conftest import SESSION, Clock, environment

TAWTIQ = [sys.executable, "-m", "tawtiq"]


def _records(engine: Engine) -> list[tuple[str, str, int, str]]:
    with reading(engine) as db:
        return [
            (str(row[0]), str(row[1]), int(row[2]), str(row[3]))
            for row in db.execute(
                text("SELECT d.id, g.cnie, d.version, d.claims FROM diploma d JOIN graduate g ON g.id = d.graduate_id")
            )
        ]


def _count(engine: Engine, sql: str) -> int:
    with reading(engine) as db:
        return int(db.execute(text(sql)).scalar_one())


def _wait_until_quiet(engine: Engine) -> None:
    """After a client is killed, PostgreSQL may still be finishing (committing or rolling back) its last
    transaction; wait until no other session of the database is busy (this process's pooled ones are idle)."""
    if engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + 30
    while _count(
        engine,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state <> 'idle'",
    ):
        assert time.monotonic() < deadline, "a killed client's session did not end"
        time.sleep(0.05)


def _check_registry(engine: Engine) -> None:
    """One slot per record, every slot distinct, the counters agree with the slots (all in one snapshot:
    a killed client's last COMMIT may still be completing on the server while this reads)."""
    with snapshot(engine) as db:

        def count(sql: str) -> int:
            return int(db.execute(text(sql)).scalar_one())

        records = count("SELECT COUNT(*) FROM diploma")
        slots = count("SELECT COUNT(*) FROM status_slot")
        assert count("SELECT COUNT(*) FROM status_slot WHERE copy_id IS NULL") == records
        assert count("SELECT COUNT(*) FROM (SELECT DISTINCT shard, idx FROM status_slot) s") == slots
        assert count("SELECT COALESCE(SUM(allocated), 0) FROM status_shard") == slots
        duplicates = "SELECT COUNT(*) FROM (SELECT graduate_id FROM diploma GROUP BY graduate_id HAVING COUNT(*) > 1) d"
        assert count(duplicates) == 0
    assert verify_chain(engine).ok


@pytest.mark.slow
def test_cohort_issue_killed_at_random_points_resumes_to_the_uninterrupted_state(
    tmp_path: Path, database_url: str, clock: Clock
) -> None:
    env = {**os.environ, **environment(tmp_path, database_url)}
    settings = load_settings(environment(tmp_path, database_url))
    engine = keyed_engine(settings)
    upgrade(engine)
    cohort = tmp_path / "cohort.csv"
    write_cohort(cohort, count=12_000, seed=31, session=SESSION)
    import_cohort(engine, path=cohort, session=SESSION, actor="test", now=clock())

    rng = random.Random(5)
    kills = 0
    for _ in range(4):
        before = _count(engine, "SELECT COUNT(*) FROM diploma")
        process = subprocess.Popen(
            [*TAWTIQ, "cohort", "issue", "--session", str(SESSION), "--batch-size", "15"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while _count(engine, "SELECT COUNT(*) FROM diploma") <= before and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        _wait_until_quiet(engine)
        _check_registry(engine)
    assert kills >= 3, "the kills landed while records were being created"
    partial = _count(engine, "SELECT COUNT(*) FROM diploma")
    assert 0 < partial < 12_000

    resumed = subprocess.run(
        [*TAWTIQ, "cohort", "issue", "--session", str(SESSION), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert (summary["already_had_record"], summary["created"], summary["remaining"]) == (partial, 12_000 - partial, 0)

    reference = with_audit_key(
        create_database_engine(f"sqlite:///{tmp_path / 'reference.sqlite3'}"), audit_key_source(settings)
    )
    upgrade(reference)
    import_cohort(reference, path=cohort, session=SESSION, actor="test", now=clock())
    issue_cohort(reference, settings=settings, session_name=str(SESSION), actor="test", clock=clock)

    interrupted, uninterrupted = _records(engine), _records(reference)
    assert len(interrupted) == 12_000
    assert {(cnie, version, claims) for _, cnie, version, claims in interrupted} == {
        (cnie, version, claims) for _, cnie, version, claims in uninterrupted
    }, "same records: none missing, none duplicated, same snapshots"
    with reading(engine) as db:
        secrets = load_secrets(db)
    assert all(
        record_id == secrets.record_id(session=str(SESSION), cnie=cnie, version=1)
        for record_id, cnie, _, _ in interrupted
    )
    _check_registry(engine)
    engine.dispose()
    reference.dispose()


@pytest.mark.slow
def test_issuer_processes_running_at_once_never_share_a_status_index(
    tmp_path: Path, postgres_url: str, clock: Clock
) -> None:
    from fastapi.testclient import TestClient

    from issuer.app import create_app
    from issuer.keyring import Keyring
    from keys import InMemoryKeyStore
    from tests.issuer.conftest import ISSUER
    from tests.issuer.wallet import Wallet

    env = {**os.environ, **environment(tmp_path, postgres_url)}
    settings: Settings = load_settings(environment(tmp_path, postgres_url))
    engine = keyed_engine(settings)
    upgrade(engine)
    earlier, catch_up = ExamSession(2023, "normale"), ExamSession(2024, "rattrapage")
    for session, count, seed in ((SESSION, 6_000, 1), (catch_up, 3_000, 2), (earlier, 20, 3)):
        path = tmp_path / f"{session}.csv"
        write_cohort(path, count=count, seed=seed, session=session)
        import_cohort(engine, path=path, session=session, actor="test", now=clock())
    issue_cohort(engine, settings=settings, session_name=str(earlier), actor="test", clock=clock)

    processes = [
        subprocess.Popen(
            [*TAWTIQ, "cohort", "issue", "--session", name, "--batch-size", "20", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in (str(SESSION), str(SESSION), str(catch_up))
    ]
    # Meanwhile this process hands out signed copies through the OpenID4VCI endpoints.
    store = InMemoryKeyStore()
    store.create(not_before=clock().replace(year=2020))
    app = create_app(settings, engine=engine, keyring=Keyring(store), clock=clock)
    copies = 0
    with TestClient(app, base_url=ISSUER) as client:
        from issuer.db import writing
        from issuer.oid4vci import VC_SD_JWT_CONFIGURATION, create_offer
        from issuer.records import records_of

        cnies = [str(row[0]) for row in _query(engine, "SELECT cnie FROM graduate WHERE session = '2023-normale'")]
        for cnie in cnies:
            with writing(engine) as db:
                diploma = records_of(db, cnie=cnie)[0]
                offer = create_offer(
                    db, diploma=diploma, settings=settings, secrets=load_secrets(db), actor="test", now=clock()
                )
            wallet = Wallet(client, relative_to=ISSUER)
            assert wallet.redeem(wallet.fetch_offer(offer.offer_uri), offer.tx_code).status_code == 200
            response = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, count=5, now=clock())
            assert response.status_code == 200, response.text
            copies += 5
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    created = [json.loads(stdout)["created"] for stdout, _ in outputs]
    assert created[0] + created[1] == 6_000, "two runs on one session shared the work without duplicates"
    assert created[2] == 3_000
    assert _count(engine, "SELECT COUNT(*) FROM credential_copy") == copies == 100
    _check_registry(engine)
    engine.dispose()


def _query(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with reading(engine) as db:
        return [tuple(row) for row in db.execute(text(sql))]
