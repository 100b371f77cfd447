"""Fixtures of the verifier's tests: a movable clock, an HTTPS issuer origin, a trust list, the app.

The verifier fetches keys and status lists from the fake issuer over real HTTPS on a local port (trusting the
test CA through ``ca_file``). Tests that exercise storage take ``database_url`` and run on SQLite and PostgreSQL;
the others use a SQLite file to stay fast.
"""

from __future__ import annotations

import json
import secrets
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette asks for `httpx2`; the project pins httpx, which the test client still drives correctly.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.verifier.fake_issuer import Bystander, FakeIssuer, MovableClock, Tls
from vc import SigningKey
from verifier.app import create_app
from verifier.settings import Settings


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return Tls.create(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def clock(now: datetime) -> MovableClock:
    return MovableClock(now)


@pytest.fixture
def issuer(clock: MovableClock, tls: Tls) -> Iterator[FakeIssuer]:
    origin = FakeIssuer(clock=clock, tls=tls)
    yield origin
    origin.stop()


@pytest.fixture
def bystander() -> Iterator[Bystander]:
    origin = Bystander()
    yield origin
    origin.stop()


@pytest.fixture
def holder() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def trust_file(tmp_path: Path, issuer: FakeIssuer) -> Path:
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(issuer.trust_list(), ensure_ascii=False), encoding="utf-8")
    return path


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(trust_file: Path, tls: Tls, sqlite_url: str) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": "production",
            "secret_key": secrets.token_urlsafe(32),
            "public_url": "https://verify.test.example",
            "database_url": sqlite_url,
            "trust_list": str(trust_file),
            "ca_file": tls.ca_file,
            "upstream_retry_seconds": 0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(make_settings: SettingsFactory, clock: MovableClock) -> Iterator[AppFactory]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides), clock=clock), base_url="https://verify.test.example")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


def relying_party_token(client: TestClient, name: str = "Université Mohammed V") -> str:
    """Register a relying party on ``client``'s verifier, as ``tawtiq verifier rp add`` does; its token."""
    _party, token = client.app.state.services.relying_parties.add(name=name)  # type: ignore[attr-defined]
    return str(token)
