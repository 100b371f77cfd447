"""The audit log: every state change is an event, and the hash chain shows tampering."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from common.service.database import for_writing
from issuer import audit
from issuer.audit_checkpoint import CHECKPOINT_TYP
from issuer.db import bind_time, create_database_engine, reading, upgrade, writing
from issuer.models import GENESIS_HASH
from issuer.records import resolve
from issuer.settings import Settings, load_settings
from issuer.status import StatusAction, change_status
from tawtiq.cli import app
from tests.issuer.conftest import PASSPHRASE, Clock, Cohort, environment
from vc.errors import ConfigurationError


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


def test_appends_running_at_once_stay_one_chain(engine: Engine, clock: Clock) -> None:
    def appends(writer: int) -> None:
        for number in range(10):
            with writing(engine) as db:
                audit.append(db, actor=f"writer-{writer}", action="test.event", target=str(number), at=clock())
            with for_writing(engine).begin() as connection:  # the Core connection of a transaction appends alike
                audit.append(connection, actor=f"writer-{writer}", action="test.core", target=str(number), at=clock())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(appends, range(4)))
    report = audit.verify_chain(engine)
    assert report.ok, report
    assert report.events == report.head_seq == 4 * 10 * 2
    with reading(engine) as db:
        head = db.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        last = db.execute(text("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")).one()
    assert tuple(head) == tuple(last)


# --- the attacks: a rewritten and rehashed log, a cut log with a rewound head ------------------------


def _append_events(engine: Engine, clock: Clock, count: int) -> None:
    for number in range(count):
        with writing(engine) as db:
            audit.append(db, actor="test", action="test.event", target=str(number), at=clock(), details={"n": number})
        clock.advance(seconds=1)


def _rehash_from(engine: Engine, seq: int, *, key: bytes | None) -> None:
    """What an attacker with write access does after editing event ``seq``: recompute every later link."""
    with writing(engine) as db:
        rows = db.execute(
            text("SELECT seq, at, actor, action, target, reason, details, prev_hash FROM audit_event ORDER BY seq")
        ).all()
        previous = None
        for seq_, at, actor, action, target, reason, details, prev_hash in rows:
            if seq_ < seq:
                previous = None
                continue
            moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
            prev = previous or prev_hash
            digest = audit.event_hash(
                key=key,
                prev_hash=prev,
                seq=seq_,
                at=moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment,
                actor=actor,
                action=action,
                target=target,
                reason=reason,
                details=details,
            )
            db.execute(
                text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": digest, "s": seq_},
            )
            previous = digest
        db.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": previous})


@pytest.mark.parametrize("attacker_key", [None, audit.audit_key_from_passphrase(b"a guess at the passphrase 42")])
def test_a_rewritten_and_rehashed_log_is_detected_without_the_audit_key(
    engine: Engine, clock: Clock, attacker_key: bytes | None
) -> None:
    _append_events(engine, clock, 5)
    with writing(engine) as db:
        db.execute(text("UPDATE audit_event SET details = :d WHERE seq = 2"), {"d": '{"n":99}'})
    _rehash_from(engine, 2, key=attacker_key)
    report = audit.verify_chain(engine)
    assert not report.ok
    assert report.first_bad_seq == 2
    assert report.problem == "the event's content does not match its hash"


def test_the_keyed_link_is_hmac_sha256_with_a_key_from_the_passphrase(engine: Engine, clock: Clock) -> None:
    _append_events(engine, clock, 1)
    key = audit.audit_key_from_passphrase(PASSPHRASE.encode())
    assert key != audit.audit_key_from_passphrase(PASSPHRASE.encode() + b"!")
    _rehash_from(engine, 1, key=key)  # the holder of the key can recompute the same links
    assert audit.verify_chain(engine).ok


def test_an_engine_without_the_audit_key_cannot_append_or_verify(settings: Settings, engine: Engine) -> None:
    bare = create_database_engine(settings.resolved_database_url)
    try:
        with pytest.raises(ConfigurationError) as raised, writing(bare) as db:
            audit.append(db, actor="test", action="test.event", target="x", at=datetime.now(UTC))
        assert raised.value.code == "audit.no_key"
        with pytest.raises(ConfigurationError, match="audit log's key is not configured"):
            audit.verify_chain(bare)
    finally:
        bare.dispose()


def test_events_written_before_keying_stay_verifiable_as_the_plain_chain(settings: Settings, clock: Clock) -> None:
    engine = audit.with_audit_key(
        create_database_engine(settings.resolved_database_url), audit.audit_key_source(settings)
    )
    try:
        upgrade(engine, revision="0002")
        previous = GENESIS_HASH
        with writing(engine) as db:
            for seq in (1, 2, 3):
                digest = audit.event_hash(
                    key=None, prev_hash=previous, seq=seq, at=clock(), actor="old", action="old.event", target="t",
                    reason=None, details="{}",
                )  # fmt: skip
                db.execute(
                    text(
                        "INSERT INTO audit_event (seq, at, actor, action, target, reason, details, prev_hash, hash) "
                        "VALUES (:s, :at, 'old', 'old.event', 't', NULL, '{}', :p, :h)"
                    ),
                    {"s": seq, "at": bind_time(db, clock()), "p": previous, "h": digest},
                )
                previous = digest
            db.execute(text("UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1"), {"h": previous})
        upgrade(engine)
        _append_events(engine, clock, 2)
        report = audit.verify_chain(engine)
        assert (report.ok, report.events, report.keyed_from_seq) == (True, 5, 4)
        _rehash_from(engine, 4, key=None)  # the keyed events cannot be passed off as plain ones
        assert audit.verify_chain(engine).first_bad_seq == 4
    finally:
        engine.dispose()


def test_a_new_database_is_keyed_from_its_first_event(engine: Engine, clock: Clock) -> None:
    _append_events(engine, clock, 1)
    assert audit.verify_chain(engine).keyed_from_seq == 1


# --- signed checkpoints, through the command line ----------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in environment(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(arguments))
        assert result.exit_code == code, (arguments, result.exit_code, result.stdout, result.stderr, result.exception)
        return result

    run_ = invoke
    run_("db", "upgrade")
    run_("keys", "create")  # event 1
    return invoke


@pytest.fixture
def cli_engine(run: Any, tmp_path: Path, database_url: str) -> Iterator[Engine]:
    settings = load_settings(environment(tmp_path, database_url))
    engine = audit.with_audit_key(
        create_database_engine(settings.resolved_database_url), audit.audit_key_source(settings)
    )
    yield engine
    engine.dispose()


def test_an_honest_log_passes_with_and_without_checkpoints(
    run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jws", tmp_path / "second.jws"
    _append_events(cli_engine, clock, 4)
    written = json.loads(run("audit", "checkpoint", "--out", str(first), "--json").stdout)
    assert written["event"] == 5
    assert first.stat().st_mode & 0o777 == 0o600
    _append_events(cli_engine, clock, 3)
    run("audit", "checkpoint", "--out", str(second))
    _append_events(cli_engine, clock, 1)
    assert "audit log intact: 9 events" in run("audit", "verify").stdout
    checked = run("audit", "verify", "--checkpoint", str(first), "--checkpoint", str(second))
    assert "audit log intact: 9 events, consistent with 2 checkpoints" in checked.stdout
    report = json.loads(run("audit", "verify", "--checkpoint", str(first), "--json").stdout)
    assert (report["ok"], report["checkpoints"], report["keyed_from"]) == (True, 1, 1)
    header = json.loads(base64.urlsafe_b64decode(first.read_text().split(".")[0] + "=="))
    assert header["typ"] == CHECKPOINT_TYP


def test_a_cut_log_with_a_rewound_head_fails_against_a_checkpoint(
    run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "checkpoint.jws"
    _append_events(cli_engine, clock, 7)
    run("audit", "checkpoint", "--out", str(checkpoint))  # sees event 8
    with writing(cli_engine) as db:
        db.execute(text("DELETE FROM audit_event WHERE seq > 5"))
        kept = db.execute(text("SELECT hash FROM audit_event WHERE seq = 5")).scalar_one()
        db.execute(text("UPDATE audit_head SET seq = 5, hash = :h WHERE id = 1"), {"h": kept})
    assert "audit log intact: 5 events" in run("audit", "verify").stdout  # the cut alone goes unseen
    failed = run("audit", "verify", "--checkpoint", str(checkpoint), code=1)
    assert "AUDIT LOG TAMPERED at event 6: the log ends at event 5, but the checkpoint of" in failed.stdout
    assert "saw event 8: events were cut and the head rewound" in failed.stdout
    report = json.loads(run("audit", "verify", "--checkpoint", str(checkpoint), "--json", code=1).stdout)
    assert (report["ok"], report["first_bad_event"]) == (False, 6)


def test_a_log_rewritten_with_the_key_still_fails_against_a_checkpoint(
    run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "checkpoint.jws"
    _append_events(cli_engine, clock, 3)
    run("audit", "checkpoint", "--out", str(checkpoint))
    with writing(cli_engine) as db:
        db.execute(text("UPDATE audit_event SET details = :d WHERE seq = 3"), {"d": '{"n":99}'})
    _rehash_from(cli_engine, 3, key=audit.audit_key_from_passphrase(PASSPHRASE.encode()))
    failed = run("audit", "verify", "--checkpoint", str(checkpoint), code=1)
    assert "AUDIT LOG TAMPERED at event 4: event 4 differs from the one the checkpoint of" in failed.stdout


def test_moving_the_switch_over_to_keying_fails_against_a_checkpoint(
    run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "checkpoint.jws"
    _append_events(cli_engine, clock, 3)
    run("audit", "checkpoint", "--out", str(checkpoint))
    with writing(cli_engine) as db:
        db.execute(text("UPDATE audit_head SET keyed_from_seq = 100 WHERE id = 1"))
    _rehash_from(cli_engine, 1, key=None)
    assert "predate the audit key" in run("audit", "verify").stderr
    failed = run("audit", "verify", "--checkpoint", str(checkpoint), code=1)
    assert "the log says events are keyed from event 100, but the checkpoint of" in failed.stdout


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.strip().split(".")
    flipped = "A" if signature[5] != "A" else "B"
    return f"{header}.{payload}.{signature[:5]}{flipped}{signature[6:]}"


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.strip().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["seq"] = 1
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_tamper_signature, "[signature.invalid]"),
        (_tamper_payload, "[signature.invalid]"),
        (lambda token: "not a checkpoint", "[format.jws]"),
    ],
)
def test_a_tampered_checkpoint_is_refused(
    run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path, tamper: Callable[[str], str], message: str
) -> None:
    checkpoint = tmp_path / "checkpoint.jws"
    _append_events(cli_engine, clock, 2)
    run("audit", "checkpoint", "--out", str(checkpoint))
    checkpoint.write_text(tamper(checkpoint.read_text()))
    refused = run("audit", "verify", "--checkpoint", str(checkpoint), code=1)
    assert f"the checkpoint {checkpoint} is refused" in refused.stderr
    assert message in refused.stderr


def test_a_broken_chain_gets_no_checkpoint(run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path) -> None:
    _append_events(cli_engine, clock, 2)
    with writing(cli_engine) as db:
        db.execute(text("UPDATE audit_event SET target = 'other' WHERE seq = 2"))
    failed = run("audit", "checkpoint", "--out", str(tmp_path / "checkpoint.jws"), code=1)
    assert "AUDIT LOG TAMPERED at event 2" in failed.stderr
    assert not (tmp_path / "checkpoint.jws").exists()


def test_a_checkpoint_of_another_issuer_is_refused(
    run: Any, cli_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = tmp_path / "checkpoint.jws"
    run("audit", "checkpoint", "--out", str(checkpoint))
    monkeypatch.setenv("TAWTIQ_ISSUER_URL", "https://other.example.ma")
    assert "[audit.checkpoint_issuer]" in run("audit", "verify", "--checkpoint", str(checkpoint), code=1).stderr


def test_an_unreadable_checkpoint_file_cannot_run(run: Any, tmp_path: Path) -> None:
    missing = run("audit", "verify", "--checkpoint", str(tmp_path / "absent.jws"), code=2)
    assert "cannot read the checkpoint" in missing.stderr


def test_checkpoints_kept_in_a_directory_are_written_and_checked_together(
    run: Any, cli_engine: Engine, clock: Clock, tmp_path: Path
) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    _append_events(cli_engine, clock, 2)
    first = json.loads(run("audit", "checkpoint", "--out", str(kept), "--json").stdout)
    assert Path(first["out"]).name.startswith("audit-checkpoint-000000003-")
    _append_events(cli_engine, clock, 2)
    run("audit", "checkpoint", "--out", str(kept))
    assert "consistent with 2 checkpoints" in run("audit", "verify", "--checkpoint", str(kept)).stdout
    with writing(cli_engine) as db:
        db.execute(text("DELETE FROM audit_event WHERE seq > 3"))
        kept_hash = db.execute(text("SELECT hash FROM audit_event WHERE seq = 3")).scalar_one()
        db.execute(text("UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1"), {"h": kept_hash})
    assert "saw event 5" in run("audit", "verify", "--checkpoint", str(kept), code=1).stdout


def test_an_empty_checkpoint_directory_is_not_a_pass(run: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no checkpoint (*.jws) in the directory" in run("audit", "verify", "--checkpoint", str(empty), code=2).stderr
