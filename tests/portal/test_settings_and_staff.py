"""The portal's settings refuse unsafe values with the reason; its commands migrate and manage staff roles."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from sqlalchemy import inspect
from typer.testing import CliRunner

from common.service.database import create_database_engine
from portal import cli
from portal.db import MIGRATIONS, VERSION_TABLE
from portal.settings import Settings
from vc.errors import ConfigurationError

KEY = secrets.token_urlsafe(32)


def _app() -> typer.Typer:
    app, serve = typer.Typer(), typer.Typer()
    app.add_typer(serve, name="serve")
    cli.register(app, serve)
    return app


def _run(database_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["portal", *args], env={"TAWTIQ_PORTAL_DATABASE_URL": database_url})
    return result.exit_code, result.stdout, result.stderr


def test_the_defaults_serve_loopback_and_name_the_eid_stand_in():
    settings = Settings(secret_key=KEY)
    assert settings.public_url == "http://127.0.0.1:8400"
    assert settings.redirect_uri == "http://127.0.0.1:8400/login/callback"
    assert settings.eid_discovery_url == "http://127.0.0.1:8300/.well-known/openid-configuration"
    assert settings.required_acr == "urn:tawtiq:eid:loa:high"
    assert settings.exam_session == "2025-normale"
    assert settings.secure_cookies is False, "plain http on loopback: a Secure cookie would never come back"
    assert Settings(secret_key=KEY, public_url="https://candidats.example.ma").secure_cookies is True
    assert Settings(secret_key=KEY, public_url="https://127.0.0.1:8400").secure_cookies is True


def test_the_service_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigurationError) as refused:
        Settings().secret_bytes()
    assert refused.value.code == "portal.secret_key"
    assert refused.value.found == "TAWTIQ_PORTAL_SECRET_KEY unset"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("short", "at least 32 characters"), ("a" * 40, "too easy to guess"), ("changeme", "at least 32 characters")],
)
def test_a_weak_secret_key_is_refused(value, reason):
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=value)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://candidats.example.ma", "plain http on a non-loopback host"),
        ("ftp://127.0.0.1", "absolute http(s) URL"),
        ("https://candidats.example.ma/portail", "origin without path"),
    ],
)
def test_an_unsafe_public_url_is_refused(url, reason):
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=KEY, public_url=url)
    assert reason in str(refused.value)


def test_a_discovery_url_in_clear_off_loopback_is_refused():
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=KEY, eid_discovery_url="http://eid.example.ma/.well-known/openid-configuration")
    assert "https off loopback" in str(refused.value)


def test_the_client_secret_comes_from_its_file(tmp_path: Path):
    with pytest.raises(ConfigurationError) as unset:
        Settings(secret_key=KEY).client_secret()
    assert unset.value.found == "TAWTIQ_PORTAL_EID_CLIENT_SECRET_FILE unset"
    missing = tmp_path / "missing"
    with pytest.raises(ConfigurationError) as unreadable:
        Settings(secret_key=KEY, eid_client_secret_file=missing).client_secret()
    assert unreadable.value.code == "portal.client_secret"
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigurationError, match="empty"):
        Settings(secret_key=KEY, eid_client_secret_file=empty).client_secret()
    good = tmp_path / "secret"
    good.write_text("s3cret-from-the-eid\n")
    assert Settings(secret_key=KEY, eid_client_secret_file=good).client_secret() == "s3cret-from-the-eid"


def test_an_idle_bound_above_the_absolute_one_is_refused():
    with pytest.raises(ValidationError, match="must not exceed"):
        Settings(secret_key=KEY, session_idle_seconds=7200, session_absolute_seconds=3600)


def test_db_upgrade_creates_the_portal_tables_with_their_own_version_table(database_url):
    code, out, err = _run(database_url, "db-upgrade", "--json")
    assert code == 0, err
    assert json.loads(out) == {"revision": MIGRATIONS.head()}
    engine = create_database_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"portal_logins", "portal_sessions", "portal_staff", VERSION_TABLE} <= tables
    assert "alembic_version" not in tables, "the issuer's version table is the issuer's"


def test_staff_roles_are_added_listed_and_removed(database_url):
    code, out, err = _run(
        database_url,
        "staff",
        "add",
        "--cnie",
        "be 123456",
        "--role",
        "school-reviewer",
        "--school",
        "SCH-0001",
        "--json",
    )
    assert code == 0, err
    added = json.loads(out)
    assert added["cnie"] == "BE****56", "CNIE numbers are printed masked"
    assert (added["role"], added["scope"]) == ("school-reviewer", "SCH-0001")
    assert _run(database_url, "staff", "add", "--cnie", "BE123456", "--role", "exam-administrator")[0] == 0
    officer = ("--role", "scholarship-officer", "--province", "0604")
    assert _run(database_url, "staff", "add", "--cnie", "BE123456", *officer)[0] == 0
    code, out, _ = _run(database_url, "staff", "list", "--json")
    assert [(r["role"], r["scope"]) for r in json.loads(out)["staff"]] == [
        ("school-reviewer", "SCH-0001"),
        ("exam-administrator", ""),
        ("scholarship-officer", "0604"),
    ]
    assert _run(database_url, "staff", "remove", "--cnie", "BE123456", *officer)[0] == 0
    again = _run(
        database_url, "staff", "add", "--cnie", "BE123456", "--role", "school-reviewer", "--school", "SCH-0001"
    )
    assert again[0] == 1
    assert "staff.exists" in again[2]
    assert _run(database_url, "staff", "remove", "--cnie", "BE123456", "--role", "exam-administrator")[0] == 0
    gone = _run(database_url, "staff", "remove", "--cnie", "BE123456", "--role", "exam-administrator")
    assert gone[0] == 1
    assert "staff.unknown" in gone[2]
    code, out, _ = _run(database_url, "staff", "list", "--json")
    assert [r["role"] for r in json.loads(out)["staff"]] == ["school-reviewer"]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--role", "school-reviewer"], "needs the school they review"),
        (["--role", "school-reviewer", "--academy", "ACA-01"], "needs the school they review"),
        (["--role", "academy-reviewer", "--school", "SCH-0001"], "needs the academy they review"),
        (["--role", "exam-administrator", "--school", "SCH-0001"], "covers the whole session"),
        (["--role", "school-reviewer", "--school", "<b>"], "not a school code"),
        (["--role", "scholarship-officer"], "needs the province they decide for"),
        (["--role", "scholarship-officer", "--academy", "ACA-01"], "needs the province they decide for"),
        (["--role", "exam-administrator", "--province", "0604"], "covers the whole session"),
        (["--role", "scholarship-officer", "--province", "06 04"], "not a province code"),
        (["--role", "principal"], "unknown role"),
    ],
)
def test_a_role_with_the_wrong_scope_is_refused(sqlite_url, args, reason):
    code, _out, err = _run(sqlite_url, "staff", "add", "--cnie", "BE123456", *args)
    assert code == 1
    assert reason in err


def test_a_malformed_cnie_is_refused_without_echoing_it(sqlite_url):
    code, _out, err = _run(sqlite_url, "staff", "add", "--cnie", "123-NOPE", "--role", "exam-administrator")
    assert code == 1
    assert "staff.cnie" in err
    assert "123-NOPE" not in err


def test_an_unknown_level_of_assurance_is_refused():
    with pytest.raises(ValidationError, match="must be one of urn:tawtiq:eid:loa:substantial"):
        Settings(secret_key=KEY, required_acr="urn:example:loa:low")
    assert Settings(secret_key=KEY, required_acr="urn:tawtiq:eid:loa:substantial").required_acr.endswith("substantial")


def test_purge_counts_what_it_deleted(database_url):
    code, out, err = _run(database_url, "purge", "--json")
    assert code == 0, err
    assert json.loads(out) == {"sessions": 0, "logins": 0, "shares": 0, "holder_keys": 0}
