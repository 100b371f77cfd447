"""The verifier's commands and its settings: unsafe configurations are refused with the reason."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from vc.urls import is_loopback_host
from verifier import cli
from verifier.settings import Settings


def _app() -> typer.Typer:
    app, serve = typer.Typer(), typer.Typer()
    app.add_typer(serve, name="serve")
    cli.register(app, serve)
    return app


def _env(trust_file: Path, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "TAWTIQ_VERIFIER_TRUST_LIST": str(trust_file),
        "TAWTIQ_VERIFIER_DATABASE_URL": database_url,
        "TAWTIQ_VERIFIER_SECRET_KEY": secrets.token_urlsafe(32),
        **extra,
    }


def test_db_upgrade_on_both_databases(trust_file, database_url):
    result = CliRunner().invoke(_app(), ["verifier", "db-upgrade", "--json"], env=_env(trust_file, database_url))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"revision": "0003"}


def test_trust_list_check_fetches_every_issuer(trust_file, sqlite_url, issuer, tls):
    env = _env(trust_file, sqlite_url, TAWTIQ_VERIFIER_CA_FILE=str(tls.ca_file))
    result = CliRunner().invoke(_app(), ["verifier", "trust-list", "--check", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["version"] == "2026-07-01.1"
    assert report["issuers"][0]["keys"] == [issuer.signing_key().kid]
    issuer.stop()
    offline = CliRunner().invoke(
        _app(),
        ["verifier", "trust-list", "--check"],
        env={**env, "TAWTIQ_VERIFIER_DATABASE_URL": sqlite_url.replace(".sqlite3", "-2.sqlite3")},
    )
    assert offline.exit_code == 1
    assert "UNREACHABLE" in offline.stdout


def test_purge(trust_file, sqlite_url):
    result = CliRunner().invoke(_app(), ["verifier", "purge", "--json"], env=_env(trust_file, sqlite_url))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"oid4vp_transactions": 0, "shares": 0, "rate_buckets": 0}


def test_serve_runs_the_common_serving_layer(trust_file, sqlite_url, monkeypatch):
    seen: dict[str, Any] = {}
    monkeypatch.setattr("common.serving.serve", lambda app, **options: seen.update(app=app, **options))
    result = CliRunner().invoke(_app(), ["serve", "verifier", "--port", "8201"], env=_env(trust_file, sqlite_url))
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"], seen["workers"], seen["forwarded_allow_ips"]) == ("127.0.0.1", 8201, 1, None)
    assert seen["app"].title == "Tawtiq verifier"


def test_serve_with_workers_names_the_factory_each_worker_builds(trust_file, sqlite_url, monkeypatch):
    seen: dict[str, Any] = {}
    monkeypatch.setattr("common.serving.serve", lambda app, **options: seen.update(app=app, **options))
    env = _env(trust_file, sqlite_url)
    result = CliRunner().invoke(_app(), ["serve", "verifier", "--workers", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert (seen["app"], seen["workers"]) == ("verifier.app:create_app", 2)
    refused = CliRunner().invoke(_app(), ["serve", "verifier", "--workers", "0"], env=env)
    assert refused.exit_code == 2
    assert "--workers" in refused.stderr


def test_a_bad_configuration_exits_with_the_reason(tmp_path):
    result = CliRunner().invoke(_app(), ["verifier", "db-upgrade"], env={"TAWTIQ_VERIFIER_TRUST_LIST": ""})
    assert result.exit_code == 2
    assert "TAWTIQ_VERIFIER_TRUST_LIST" in result.stderr
    missing = CliRunner().invoke(
        _app(), ["verifier", "purge"], env=_env(tmp_path / "absent.json", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    )
    assert missing.exit_code == 2
    assert "cannot read the trust list file" in missing.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trust_list": ""}, "no trust list configured"),
        ({"secret_key": None}, "TAWTIQ_VERIFIER_SECRET_KEY is required in production"),
        ({"secret_key": "changeme"}, "at least 32"),
        ({"public_url": "http://verify.example.ma"}, "plain http on a non-loopback host"),
        ({"public_url": "ftp://x"}, "absolute http(s) URL"),
        ({"share_default_seconds": 10**9}, "share_min_seconds <= share_default_seconds <= share_max_seconds"),
        ({"status_min_ttl_seconds": 10, "status_max_ttl_seconds": 5}, "status_min_ttl_seconds"),
        ({"unknown_knob": 1}, "Extra inputs are not permitted"),
    ],
)
def test_unsafe_settings_are_refused(overrides, message):
    values: dict[str, Any] = {"trust_list": "trust.json", "secret_key": secrets.token_urlsafe(32), **overrides}
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(**values)


@pytest.mark.parametrize(
    "secret_key",
    ["a" * 32, "motdepasse-motdepasse-motdepasse", "Maroc2025!Maroc2025!Maroc2025!Maroc2025!", "0123456789" * 4],
)
def test_a_guessable_secret_key_is_refused_with_the_estimate(secret_key):
    with pytest.raises(ValidationError) as caught:
        Settings(trust_list="trust.json", secret_key=secret_key)
    message = str(caught.value)
    assert "TAWTIQ_VERIFIER_SECRET_KEY is too easy to guess" in message
    assert "crackable in" in message
    assert "10^20 guesses" in message
    assert "openssl rand -base64 32" in message
    assert secret_key not in message


def test_serve_refuses_to_start_with_a_guessable_secret_key(trust_file, sqlite_url, monkeypatch):
    monkeypatch.setattr("common.serving.serve", lambda app, **options: pytest.fail("the server must not start"))
    env = _env(trust_file, sqlite_url, TAWTIQ_VERIFIER_SECRET_KEY="a" * 32)
    result = CliRunner().invoke(_app(), ["serve", "verifier", "--port", "8201"], env=env)
    assert result.exit_code == 2
    assert "TAWTIQ_VERIFIER_SECRET_KEY is too easy to guess" in result.stderr
    assert "openssl rand -base64 32" in result.stderr


def test_a_random_secret_key_is_accepted():
    for _ in range(10):
        Settings(trust_list="trust.json", secret_key=secrets.token_urlsafe(32))
        Settings(trust_list="trust.json", secret_key=base64.b64encode(secrets.token_bytes(32)).decode())


def test_development_allows_an_ephemeral_secret_and_loopback_http():
    settings = Settings(trust_list="trust.json", environment="development", public_url="http://localhost:8200/")
    assert settings.public_url == "http://localhost:8200"
    with pytest.warns(UserWarning, match="ephemeral key"):
        assert len(settings.secret_bytes()) == 32
    assert settings.oid4vp_prefix == "redirect_uri"
    assert settings.oid4vp_response_uri == "http://localhost:8200/oid4vp/response"
    assert settings.share_audience == "http://localhost:8200/shares"


def test_loopback_hosts():
    assert is_loopback_host("127.0.0.1")
    assert is_loopback_host("127.1.2.3")
    assert is_loopback_host("[::1]")
    assert is_loopback_host("localhost")
    assert not is_loopback_host("10.0.0.1")
    assert not is_loopback_host("localhost.evil.example")
    assert not is_loopback_host(None)
