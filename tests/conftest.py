"""Shared test fixtures: the standards' test data, a pinned clock, and real databases.

Service tests run on both databases Tawtiq supports: SQLite (a file per test) and PostgreSQL (a
database per test, created on the server named by ``TAWTIQ_TEST_DATABASE_URL`` and dropped after).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy.engine import Engine, make_url

if TYPE_CHECKING:
    from tests.keys.softhsm import SoftHsmToken

ROOT = Path(__file__).resolve().parents[1]
#: Standards test data kept in the repository, with each source, version and licence (tests/conformance/README.md).
CONFORMANCE = ROOT / "tests" / "conformance"
#: The PostgreSQL server the tests create their databases on.
POSTGRES_ADMIN_URL = os.environ.get("TAWTIQ_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def load_conformance(relative: str) -> Any:
    """Load a JSON file from tests/conformance."""
    return json.loads((CONFORMANCE / relative).read_text(encoding="utf-8"))


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsmToken:
    """A fresh SoftHSM2 token for this test (see :mod:`tests.keys.softhsm`)."""
    from tests.keys.softhsm import fresh_token  # python-pkcs11 is loaded only by the tests that use a token

    return fresh_token(tmp_path, monkeypatch)


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for tests that check dates."""
    return datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def _admin_conninfo() -> str:
    url = make_url(POSTGRES_ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (SQLAlchemy URL, psycopg 3 driver)."""
    name = f"tawtiq_test_{uuid.uuid4().hex[:16]}"
    try:
        with psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at TAWTIQ_TEST_DATABASE_URL={POSTGRES_ADMIN_URL!r}: {exc}. "
            "Start it (see .ci/run) or point the variable at a server where this user may create databases."
        )
    yield (
        make_url(POSTGRES_ADMIN_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(_admin_conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for this test."""
    return f"sqlite:///{tmp_path / 'tawtiq.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url" if request.param == "sqlite" else "postgres_url"))


@pytest.fixture
def database_engine(database_url: str) -> Iterator[Engine]:
    """An engine on ``database_url`` (so on SQLite and on PostgreSQL in turn), empty, disposed after the test."""
    from common.service.database import create_database_engine

    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()
