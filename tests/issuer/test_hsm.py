"""The issuer with its keys on a PKCS#11 token (SoftHSM2): the key commands work as with the file store, a
diploma is issued over the real OpenID4VCI flow and verifies, and a wrong configuration is a clear error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from issuer.app import create_app
from issuer.keyring import Keyring
from issuer.oid4vci import DC_SD_JWT_CONFIGURATION, VC_SD_JWT_CONFIGURATION
from issuer.settings import Settings, load_settings
from keys.pkcs11 import TokenSigner
from tawtiq.cli import app as tawtiq
from tests.issuer.conftest import ISSUER, Clock, Cohort, OfferFactory, environment
from tests.issuer.verifying import verify_copy
from tests.issuer.wallet import Wallet
from tests.keys.softhsm import SoftHsmToken
from vc import Verdict
from vc.jose import parse_compact


def token_environment(tmp_path: Path, database_url: str, token: SoftHsmToken, **extra: str) -> dict[str, str]:
    """The issuer's variables with the token as key store; the key passphrase only keys the audit log."""
    return environment(
        tmp_path,
        database_url,
        TAWTIQ_KEY_STORE="pkcs11",
        TAWTIQ_PKCS11_MODULE=str(token.module),
        TAWTIQ_PKCS11_TOKEN_LABEL=token.label,
        TAWTIQ_PKCS11_PIN_FILE=str(token.pin_file),
        **extra,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, softhsm: SoftHsmToken) -> Settings:
    return load_settings(token_environment(tmp_path, database_url, softhsm))


@pytest.fixture
def run(tmp_path: Path, database_url: str, softhsm: SoftHsmToken, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in token_environment(tmp_path, database_url, softhsm).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str, code: int = 0) -> Any:
        result = runner.invoke(tawtiq, list(arguments))
        assert result.exit_code == code, (arguments, result.exit_code, result.stdout, result.stderr, result.exception)
        return result

    return invoke


@pytest.fixture
def token_client(settings: Settings, engine: Engine, clock: Clock, now: datetime) -> Iterator[TestClient]:
    """The issuer opening its key store from the settings, as ``tawtiq serve issuer`` does."""
    Keyring.from_settings(settings).store.create(not_before=now - timedelta(days=30))
    with TestClient(create_app(settings, engine=engine, clock=clock), base_url=ISSUER) as client:
        yield client


def test_the_key_commands_work_the_same_on_the_token(run: Any, settings: Settings) -> None:
    run("db", "upgrade")
    created = json.loads(run("keys", "create", "--json").stdout)
    assert created["state"] == "active"
    run("keys", "rotate", "--reason", "yearly rotation")
    listed = json.loads(run("keys", "list", "--json").stdout)
    assert listed[0]["kid"] == created["kid"]
    assert listed[0]["retired_at"] is not None
    assert listed[1]["state"] == "active"
    compromised = json.loads(
        run("keys", "compromise", "--kid", listed[1]["kid"], "--reason", "test", "--yes", "--json").stdout
    )
    assert compromised["compromised_at"] is not None
    assert sorted(path.name for path in settings.resolved_key_dir.iterdir()) == [".lock", "history.json"]


def test_an_issuer_on_the_token_issues_diplomas_over_openid4vci_that_verify(
    token_client: TestClient, settings: Settings, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    keyring = Keyring.from_settings(settings)
    signer = keyring.signing_key(at=clock())
    assert isinstance(signer, TokenSigner), "the issuer signs on the token"
    jwks = token_client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200, jwks.text
    assert [key["kid"] for key in jwks.json()["keys"]] == [signer.kid]

    offer = make_offer(cohort.cnies[0])
    wallet = Wallet(token_client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    assert wallet.redeem(document, offer.tx_code).status_code == 200
    for configuration in (VC_SD_JWT_CONFIGURATION, DC_SD_JWT_CONFIGURATION):
        response = wallet.request_credentials(configuration, count=1, now=clock())
        assert response.status_code == 200, response.text
        [item] = response.json()["credentials"]
        credential = item["credential"]
        assert parse_compact(credential.split("~")[0]).kid == signer.kid
        report = verify_copy(
            token_client, credential, holder=wallet.keys[-1], issuer=ISSUER, now=clock(), relative_to=ISSUER
        )
        assert report.verdict is Verdict.VALID, [check for check in report.checks if check.outcome != "passed"]


def test_a_wrong_pin_is_a_clear_error(
    run: Any, softhsm: SoftHsmToken, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("00000000\n", encoding="utf-8")
    monkeypatch.setenv("TAWTIQ_PKCS11_PIN_FILE", str(wrong))
    failed = run("keys", "list", code=2)
    assert "key.pkcs11_pin_wrong" in failed.stderr
    assert "00000000" not in failed.stderr + failed.stdout


def test_without_the_passphrase_no_key_changes_unaudited(
    run: Any, softhsm: SoftHsmToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("db", "upgrade")
    monkeypatch.delenv("TAWTIQ_KEY_PASSPHRASE")
    failed = run("keys", "create", code=2)
    assert "key.passphrase_missing" in failed.stderr
    assert json.loads(run("keys", "list", "--json").stdout) == [], "no key was made without its audit event"


def test_a_missing_module_is_a_clear_error(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAWTIQ_PKCS11_MODULE", str(tmp_path / "libmissing.so"))
    failed = run("keys", "list", code=2)
    assert "key.pkcs11_module_missing" in failed.stderr
    assert "libmissing.so" in failed.stderr


def test_a_missing_pin_file_is_a_clear_error(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAWTIQ_PKCS11_PIN_FILE", str(tmp_path / "no-such-pin"))
    failed = run("keys", "list", code=2)
    assert "key.pkcs11_pin_missing" in failed.stderr


@pytest.mark.parametrize("unset", ["TAWTIQ_PKCS11_MODULE", "TAWTIQ_PKCS11_TOKEN_LABEL", "TAWTIQ_PKCS11_PIN_FILE"])
def test_the_token_store_needs_all_its_settings(unset: str, tmp_path: Path) -> None:
    variables = {
        "TAWTIQ_KEY_STORE": "pkcs11",
        "TAWTIQ_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
        "TAWTIQ_PKCS11_TOKEN_LABEL": "tawtiq-issuer",
        "TAWTIQ_PKCS11_PIN_FILE": str(tmp_path / "pin"),
    }
    del variables[unset]
    with pytest.raises(ValueError, match=unset):
        load_settings(variables)


def test_an_unknown_key_store_is_refused() -> None:
    with pytest.raises(ValueError, match="pkcs11"):
        load_settings({"TAWTIQ_KEY_STORE": "vault"})
