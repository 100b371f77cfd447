"""The common service shape: clock, problem details, OAuth errors, health, body bound, database files, migrations."""

from __future__ import annotations

import contextlib
import logging
import socket
import stat
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from common.redaction import redact
from common.service import FixedClock, OAuthError, ServiceSettings, create_database_engine, problem_of, service_app
from common.service.database import database_url, ping
from common.service.problems import (
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
    database_unavailable,
    status_of,
)
from vc.errors import ConfigurationError, CredentialError, SignatureError, UpstreamError


def test_fixed_clock_moves_only_when_told(now: datetime) -> None:
    clock = FixedClock(now)
    assert clock.now() == now
    assert clock.advance(minutes=5) == datetime(2026, 7, 1, 12, 5, tzinfo=UTC)
    clock.set(now)
    assert clock.now() == now
    with pytest.raises(ValueError, match="naive"):
        FixedClock(datetime(2026, 7, 1))


def test_one_status_mapping_for_the_engine_families() -> None:
    assert status_of(SignatureError("bad signature")) == 400
    assert status_of(CredentialError("bad")) == 400
    assert status_of(UpstreamError("down")) == 503
    assert status_of(ConfigurationError("no key")) == 503
    assert status_of(NotFoundError("no such offer")) == 404
    assert status_of(RateLimitedError("slow down", retry_after_seconds=3)) == 429
    assert status_of(ServiceUnavailableError("later")) == 503


def test_problem_details_carry_the_engine_error_model() -> None:
    error = SignatureError("the signature does not verify", code="signature.invalid", found="ES384", expected="ES256")
    assert problem_of(error) == {
        "type": "https://tawtiq.ma/ns/problems#signature.invalid",
        "title": "the signature does not verify",
        "status": 400,
        "detail": "the signature does not verify; found ES384; expected ES256",
        "code": "signature.invalid",
        "found": "ES384",
        "expected": "ES256",
    }


def test_oauth_error_objects_keep_to_printable_ascii() -> None:
    error = OAuthError("invalid_grant", 'le code "expiré" \\ ', status_code=400)
    assert error.body() == {"error": "invalid_grant", "error_description": "le code ?expir?? ? "}
    assert error.code == "oauth.invalid_grant"


class _Body(BaseModel):
    name: str


def _app(ready: dict[str, Any] | None = None) -> FastAPI:
    router = APIRouter()

    @router.post("/things")
    def things(body: _Body) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/things/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "oauth":
            raise OAuthError("invalid_request", "no", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        if thing_id == "boom":
            raise RuntimeError("row (BE123456, 2006-03-14) failed")
        raise NotFoundError("no such thing", code="thing.unknown", found=thing_id[:8], expected="a known thing")

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield

    return service_app(
        name="test",
        title="test",
        summary="a service for tests",
        lifespan=lifespan,
        routers=[router],
        readiness=lambda _request: ready or {},
        max_body_bytes=1024,
    )


def test_a_service_answers_errors_as_problem_details_and_oauth_objects() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        missing = client.get("/things/abc")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["code"] == "thing.unknown"
        assert (missing.json()["found"], missing.json()["expected"]) == ("abc", "a known thing")
        assert missing.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]

        oauth = client.get("/things/oauth")
        assert (oauth.status_code, oauth.json()) == (401, {"error": "invalid_request", "error_description": "no"})
        assert (oauth.headers["cache-control"], oauth.headers["www-authenticate"]) == ("no-store", "Bearer")

        malformed = client.post("/things", json={"name": ["BE123456"]})
        assert (malformed.status_code, malformed.json()["code"]) == (400, "request.invalid")
        assert "BE123456" not in malformed.text, "submitted values are never echoed"

        unknown = client.get("/nowhere")
        assert (unknown.status_code, unknown.json()["code"]) == (404, "request.not_found")

        boom = client.get("/things/boom")
        assert (boom.status_code, boom.json()["code"]) == (500, "server.error")
        assert boom.json()["reference"] in boom.json()["detail"]
        assert "BE123456" not in boom.text


def test_bodies_over_the_bound_are_refused_before_the_route() -> None:
    with TestClient(_app()) as client:
        declared = client.post("/things", content=b"x" * 2000, headers={"Content-Type": "application/json"})
        assert (declared.status_code, declared.json()["code"]) == (413, "request.too_large")
        assert declared.json()["expected"] == "at most 1024 bytes"
        streamed = client.post("/things", content=iter([b"x" * 600, b"x" * 600]))
        assert (streamed.status_code, streamed.json()["code"]) == (413, "request.too_large")
        malformed = client.post("/things", content=b"{}", headers={"Content-Length": "two"})
        assert (malformed.status_code, malformed.json()["code"]) == (400, "request.content_length")


def test_health_endpoints_have_one_shape(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")

    def refuse() -> None:
        raise ConfigurationError("no key can sign", code="key.none_active")

    with TestClient(_app({"database": lambda: ping(engine)})) as client:
        assert client.get("/health").json() == {"status": "ok"}
        ready = client.get("/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok", "checks": {"database": "ok"}})
    with TestClient(_app({"database": lambda: ping(engine), "signing_key": refuse})) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "signing_key": "unavailable: key.none_active"},
        }


def test_request_log_names_route_templates_never_raw_paths(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tawtiq.test")
    with TestClient(_app()) as client:
        client.get("/things/secret-capability")
    lines = [record.getMessage() for record in caplog.records if record.name == "tawtiq.test"]
    assert any(line.startswith("GET /things/{thing_id} -> 404") for line in lines), lines
    assert not any("secret-capability" in line for line in lines)


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deeper" / "service.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    ping(engine)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port whose listener completes TCP handshakes (the kernel's backlog) and then never says a word, as a
    database host behind a broken link or a stuck proxy."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("timeout", ["", "?connect_timeout=2"])
def test_a_postgresql_host_that_never_answers_is_an_error_not_a_wait(silent_server: int, timeout: str) -> None:
    """Without a ``connect_timeout`` of the URL's own, :data:`POSTGRESQL_CONNECT_SECONDS` bounds the wait; with one,
    the URL's (libpq would otherwise wait as long as TCP does, which a listener that never answers makes forever)."""
    engine = create_database_engine(f"postgresql://tawtiq@127.0.0.1:{silent_server}/absent{timeout}")
    with pytest.raises(OperationalError):
        ping(engine)
    engine.dispose()


def test_database_urls_are_sqlite_or_postgresql() -> None:
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ConfigurationError) as refused:
        database_url("mysql://u@h/db")
    assert (refused.value.code, refused.value.found) == ("db.url_invalid", "mysql")


def test_service_settings_hold_the_common_fields() -> None:
    class Example(ServiceSettings):
        pass

    settings = Example(database_url="postgres://u@h/db")
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert (settings.auto_migrate, settings.max_body_bytes, settings.log_level) == (True, 65536, "INFO")
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Example(database_url="mysql://u@h/db")


def test_one_redaction_for_every_log() -> None:
    assert redact("cnie BE123456 born 2006-03-14, kid ES256") == "cnie [redacted] born [redacted], kid ES256"


class _DriverError(Exception):
    def __init__(self, message: str, *, sqlstate: str | None = None, sqlite_errorname: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.sqlite_errorname = sqlite_errorname


@pytest.mark.parametrize(
    ("error", "code", "found", "retry_after"),
    [
        (_DriverError("database is locked", sqlite_errorname="SQLITE_BUSY"), "database.busy", "SQLite", "2"),
        (_DriverError("database is locked"), "database.busy", "SQLite", "2"),
        (_DriverError("canceling statement due to lock timeout", sqlstate="55P03"), "database.busy", "55P03", "2"),
        (_DriverError("could not serialize access", sqlstate="40001"), "database.busy", "40001", "2"),
        (_DriverError("deadlock detected", sqlstate="40P01"), "database.busy", "40P01", "2"),
        (_DriverError("canceling statement due to statement timeout", sqlstate="57014"), "database.busy", "57014", "2"),
        (_DriverError("connection refused", sqlstate="08001"), "database.unavailable", "OperationalError", "5"),
        (_DriverError("disk I/O error", sqlite_errorname="SQLITE_IOERR"), "database.unavailable", "Operational", "5"),
    ],
)
def test_a_busy_or_unreachable_database_is_a_503_with_retry_after(
    error: Exception, code: str, found: str, retry_after: str
) -> None:
    unavailable = database_unavailable(OperationalError("UPDATE t SET x = ?", {"x": "BE123456"}, error))
    assert (status_of(unavailable), unavailable.code, unavailable.headers) == (503, code, {"Retry-After": retry_after})
    assert found in str(unavailable.found)
    body = problem_of(unavailable)
    assert "BE123456" not in str(body), "the statement's parameters are never repeated"
    assert database_unavailable(PoolTimeoutError("pool exhausted")).code == "database.busy"
