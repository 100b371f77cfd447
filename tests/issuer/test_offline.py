"""The printed diploma's offline QR made from a record: what it carries, its status, its audit trail, its command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, text
from typer.testing import CliRunner

import schemas
from common.diploma import diploma_policy, diploma_trust_list
from issuer.db import reading, writing
from issuer.errors import ConflictError
from issuer.keyring import Keyring
from issuer.offline import offline_credential
from issuer.records import resolve, view
from issuer.settings import Settings
from issuer.status import StatusAction, change_status, token_list_url
from tawtiq.cli import app as tawtiq_app
from tests.issuer.conftest import ISSUER, Clock, Cohort, cohort_rows, environment, write_rows
from vc import (
    HolderBinding,
    StaticKeyResolver,
    StaticStatusResolver,
    StatusSnapshot,
    decode_offline,
    verify,
    verify_status_list_token,
)
from vc.jose import DEFAULT_ALGORITHMS

POLICY = diploma_policy(trust=diploma_trust_list(ISSUER, version="t"), holder_binding=HolderBinding(required=False))


def _print(engine: Engine, settings: Settings, keyring: Keyring, clock: Clock, cnie: str) -> Any:
    with writing(engine) as db:
        return offline_credential(
            db, diploma=resolve(db, cnie), settings=settings, keyring=keyring, actor="printer", now=clock.now()
        )


def _status(client: TestClient, keys: StaticKeyResolver, clock: Clock, uri: str) -> StaticStatusResolver:
    token = client.get(uri.removeprefix(ISSUER)).text
    data = verify_status_list_token(token, uri=uri, keys=keys, algorithms=DEFAULT_ALGORITHMS, now=clock.now())
    return StaticStatusResolver({uri: StatusSnapshot(data, fetched_at=clock.now())})


def test_a_records_offline_qr_carries_its_claims_and_its_own_status_slot(
    engine: Engine, settings: Settings, keyring: Keyring, clock: Clock, cohort: Cohort, client: TestClient
) -> None:
    cnie = cohort.cnies[3]
    printed = _print(engine, settings, keyring, clock, cnie)
    with reading(engine) as db:
        record = view(db, resolve(db, cnie))
    decoded = decode_offline(printed.text)
    subject = schemas.DiplomaSubject.parse(record.claims)
    claims = decoded.claims()
    assert claims["id"] == record.id == printed.diploma_id
    assert claims["familyName"] == subject.family_name.claim()
    assert claims["givenName"] == subject.given_name.claim()
    assert claims["cnie"] == cnie
    assert claims["streamCode"] == subject.stream.code
    assert claims["generalAverage"] == record.claims["generalAverage"]
    (shard, index), *_ = record.status_slots
    assert (decoded.status.index, decoded.status.uri) == (index, token_list_url(settings, shard))
    assert printed.version <= 15
    assert printed.kid == keyring.signing_key(at=clock.now()).kid

    keys = StaticKeyResolver({ISSUER: [keyring.signing_key(at=clock.now()).public]})
    report = verify(
        printed.text, keys=keys, status=_status(client, keys, clock, decoded.status.uri), policy=POLICY, now=clock.now()
    )
    assert report.valid, report.problems

    with writing(engine) as db:
        change_status(db, diploma_id=record.id, action=StatusAction.REVOKE, reason="fraud", actor="t", now=clock.now())
    clock.advance(hours=2)
    revoked = verify(
        printed.text, keys=keys, status=_status(client, keys, clock, decoded.status.uri), policy=POLICY, now=clock.now()
    )
    assert revoked.check("status").code == "status.revoked"


def test_only_an_active_record_is_printed_and_each_print_is_audited(
    engine: Engine, settings: Settings, keyring: Keyring, clock: Clock, cohort: Cohort
) -> None:
    cnie = cohort.cnies[0]
    _print(engine, settings, keyring, clock, cnie)
    with reading(engine) as db:
        events = db.execute(
            text("SELECT target, details FROM audit_event WHERE action = 'credential.offline_qr'")
        ).all()
        record_id = resolve(db, cnie).id
    assert [event[0] for event in events] == [record_id]
    assert cnie not in str(events[0][1])
    with writing(engine) as db:
        change_status(
            db, diploma_id=record_id, action=StatusAction.SUSPEND, reason="review", actor="t", now=clock.now()
        )
    with pytest.raises(ConflictError) as caught:
        _print(engine, settings, keyring, clock, cnie)
    assert caught.value.code == "diploma.not_active"


def test_the_command_prints_the_text_and_writes_a_qr_that_reads_back(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*arguments: str, code: int = 0) -> Any:
        result = runner.invoke(tawtiq_app, list(arguments))
        assert result.exit_code == code, (arguments, result.stdout, result.stderr)
        return result

    run("db", "upgrade")
    run("keys", "create")
    path = write_rows(tmp_path / "cohort.csv", cohort_rows(3))
    run("cohort", "import", str(path), "--session", "2024-normale")
    run("cohort", "issue", "--session", "2024-normale")
    cnie = cohort_rows(3)[1]["cnie"]
    png = tmp_path / "qr.png"
    result = run("diploma", "offline-qr", cnie, "--png", str(png), "--json")
    printed = json.loads(result.stdout)
    assert set(printed) == {"diploma_id", "text", "kid", "qr_version"}
    assert printed["text"].startswith("TQ1:")
    assert "QR version" in result.stderr
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(png))] == [printed["text"]]
    plain = run("diploma", "offline-qr", printed["diploma_id"]).stdout.strip()
    assert plain.startswith("TQ1:")
    refused = run("diploma", "offline-qr", cnie, "--png", str(tmp_path / "qr.gif"), code=2)
    assert "ending in .png" in refused.stderr
    unknown = run("diploma", "offline-qr", "ZZ999999", code=1)
    assert "diploma.unknown" in unknown.stderr or "no diploma record" in unknown.stderr
