"""Settings are validated at start-up: bad values stop the process with a message naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from issuer.settings import load_settings
from vc import ConfigurationError


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"TAWTIQ_ISSUER_URL": "http://bac.example.ma"}, "must use https"),
        ({"TAWTIQ_ISSUER_URL": "https://bac.example.ma/issuer"}, "origin without path"),
        ({"TAWTIQ_ISSUER_URL": "bac.example.ma"}, "absolute https URL"),
        ({"TAWTIQ_DATABASE_URL": "mysql://db/x"}, "PostgreSQL"),
        ({"TAWTIQ_STATUS_LIST_SIZE": "65536"}, "131072"),
        ({"TAWTIQ_STATUS_LIST_SIZE": "131073"}, "multiple of 8"),
        ({"TAWTIQ_PROOF_ALGORITHMS": '["RS256"]'}, "PROOF_ALGORITHMS"),
        ({"TAWTIQ_PROOF_ALGORITHMS": "[ES256"}, "not a JSON list"),
        ({"TAWTIQ_BATCH_SIZE": "1"}, "batch_size"),
        ({"TAWTIQ_MAX_COPIES_PER_TOKEN": "5"}, "at least TAWTIQ_BATCH_SIZE"),
        ({"TAWTIQ_STATUS_VALIDITY_SECONDS": "60"}, "must exceed"),
        ({"TAWTIQ_OFFER_TTL_SECONDS": "0"}, "offer_ttl_seconds"),
    ],
)
def test_invalid_settings_are_refused(variables: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_settings(variables)


def test_defaults_and_normalisation(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TAWTIQ_ISSUER_URL": "https://BAC.example.ma/",
            "TAWTIQ_DATA_DIR": str(tmp_path),
            "TAWTIQ_DATABASE_URL": "postgresql://u@h/db",
        }
    )
    assert settings.issuer_url == "https://bac.example.ma"
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.resolved_key_dir == tmp_path / "keys"
    assert settings.status_list_size == 131_072
    local = load_settings({"TAWTIQ_ISSUER_URL": "http://localhost:8100", "TAWTIQ_DATA_DIR": str(tmp_path)})
    assert local.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/issuer.sqlite3"
    assert load_settings({}).issuer_url == "http://127.0.0.1:8100"
    assert load_settings({"TAWTIQ_PROOF_ALGORITHMS": "ES256, EdDSA"}).proof_algorithms == ("ES256", "EdDSA")


def test_the_process_environment_is_read_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    from issuer.settings import Settings

    monkeypatch.setenv("TAWTIQ_PROOF_ALGORITHMS", "ES256,EdDSA")
    monkeypatch.setenv("TAWTIQ_BATCH_SIZE", "4")
    settings = Settings()
    assert (settings.proof_algorithms, settings.batch_size) == (("ES256", "EdDSA"), 4)


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({}, "key.passphrase_missing"),
        ({"TAWTIQ_KEY_PASSPHRASE": "changeme"}, "key.passphrase_default"),
        ({"TAWTIQ_KEY_PASSPHRASE": "short"}, "key.passphrase_weak"),
        (
            {"TAWTIQ_KEY_PASSPHRASE": "a long and random passphrase 8c1f", "TAWTIQ_KEY_PASSPHRASE_FILE": "/x"},
            "key.passphrase_ambiguous",
        ),
    ],
)
def test_a_missing_or_default_key_passphrase_refuses_to_start(variables: dict[str, str], code: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings(variables).key_passphrase_bytes()
    assert refused.value.code == code


def test_the_passphrase_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("a long and random passphrase 8c1f\n")
    assert (
        load_settings({"TAWTIQ_KEY_PASSPHRASE_FILE": str(secret)}).key_passphrase_bytes()
        == b"a long and random passphrase 8c1f"
    )


def test_the_app_migrates_at_start_or_refuses_naming_the_command_and_needs_a_passphrase(tmp_path: Path) -> None:
    from issuer.app import create_app
    from issuer.db import create_database_engine, current_revision, head_revision

    manual = load_settings({"TAWTIQ_DATA_DIR": str(tmp_path), "TAWTIQ_AUTO_MIGRATE": "false"})
    with pytest.raises(ConfigurationError) as not_migrated:
        create_app(manual)
    assert not_migrated.value.code == "db.not_migrated"
    assert "tawtiq db upgrade" in str(not_migrated.value)
    settings = load_settings({"TAWTIQ_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigurationError) as no_passphrase:
        create_app(settings)
    assert no_passphrase.value.code == "key.passphrase_missing"
    assert current_revision(create_database_engine(settings.resolved_database_url)) == head_revision()


def test_the_eid_login_needs_its_three_settings_together() -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings({"TAWTIQ_IDENTITY_DISCOVERY_URL": "https://eid.example/.well-known/openid-configuration"})
    assert "TAWTIQ_IDENTITY_CLIENT_ID, TAWTIQ_IDENTITY_CLIENT_SECRET(_FILE) unset" in str(caught.value)
    both = {
        "TAWTIQ_IDENTITY_DISCOVERY_URL": "https://eid.example/.well-known/openid-configuration",
        "TAWTIQ_IDENTITY_CLIENT_ID": "issuer",
        "TAWTIQ_IDENTITY_CLIENT_SECRET": "s" * 40,
        "TAWTIQ_IDENTITY_CLIENT_SECRET_FILE": "/nonexistent",
    }
    with pytest.raises(ValidationError, match="not both"):
        load_settings(both)
    configured = load_settings({k: v for k, v in both.items() if not k.endswith("_FILE")})
    assert configured.eid_login
    assert configured.identity_secret() == "s" * 40
    assert not load_settings({}).eid_login


def test_an_unreadable_eid_client_secret_file_is_a_configuration_error(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TAWTIQ_IDENTITY_DISCOVERY_URL": "https://eid.example/.well-known/openid-configuration",
            "TAWTIQ_IDENTITY_CLIENT_ID": "issuer",
            "TAWTIQ_IDENTITY_CLIENT_SECRET_FILE": str(tmp_path / "missing"),
        }
    )
    with pytest.raises(ConfigurationError) as caught:
        settings.identity_secret()
    assert caught.value.code == "identity.client_secret_missing"
