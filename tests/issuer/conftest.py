"""Fixtures of the issuer tests: settings, a migrated database (SQLite and PostgreSQL), keys, the app, cohorts."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from common.service import FixedClock
from issuer.app import create_app
from issuer.audit import keyed_engine
from issuer.cohort import ALL_COLUMNS, ExamSession, import_cohort
from issuer.db import upgrade, writing
from issuer.generate import generate_cohort
from issuer.keyring import Keyring
from issuer.oid4vci import OfferCreated, create_offer
from issuer.records import issue_cohort, resolve
from issuer.secrets import load_secrets
from issuer.settings import Settings, load_settings
from keys import InMemoryKeyStore

ISSUER = "https://bac.example.ma"
PASSPHRASE = "a long and random passphrase 8c1f"
SESSION = ExamSession(2024, "normale")


class Clock(FixedClock):
    """The common test clock, also callable for the functions that take ``clock=`` as a callable (issue_cohort)."""

    def __call__(self) -> datetime:
        return self.now()


def environment(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    values = {
        "TAWTIQ_ISSUER_URL": ISSUER,
        "TAWTIQ_DATABASE_URL": database_url,
        "TAWTIQ_DATA_DIR": str(tmp_path / "data"),
        "TAWTIQ_KEY_PASSPHRASE": PASSPHRASE,
    }
    values.update(extra)
    return values


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(environment(tmp_path, database_url))


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = keyed_engine(settings)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture
def store(now: datetime) -> InMemoryKeyStore:
    store = InMemoryKeyStore()
    store.create(not_before=now - timedelta(days=30))
    return store


@pytest.fixture
def keyring(store: InMemoryKeyStore) -> Keyring:
    return Keyring(store)


@pytest.fixture
def app(settings: Settings, engine: Engine, keyring: Keyring, clock: Clock) -> FastAPI:
    return create_app(settings, engine=engine, keyring=keyring, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=ISSUER) as test_client:
        yield test_client


def write_rows(
    path: Path, rows: list[dict[str, str]], *, columns: tuple[str, ...] = ALL_COLUMNS, **options: Any
) -> Path:
    with path.open("w", encoding=options.pop("encoding", "utf-8"), newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore", **options)
        writer.writeheader()
        writer.writerows(rows)
    return path


def cohort_rows(count: int, *, seed: int = 7, session: ExamSession = SESSION) -> list[dict[str, str]]:
    return list(generate_cohort(count=count, seed=seed, session=session))


@dataclass
class Cohort:
    """A small imported and issued cohort."""

    rows: list[dict[str, str]]
    session: ExamSession

    @property
    def cnies(self) -> list[str]:
        return [row["cnie"] for row in self.rows]


@pytest.fixture
def cohort(tmp_path: Path, engine: Engine, settings: Settings, clock: Clock) -> Cohort:
    """Twelve graduates imported and given records."""
    rows = cohort_rows(12)
    path = write_rows(tmp_path / "cohort.csv", rows)
    import_cohort(engine, path=path, session=SESSION, actor="test", now=clock())
    issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock)
    return Cohort(rows, SESSION)


OfferFactory = Callable[..., OfferCreated]


@pytest.fixture
def make_offer(engine: Engine, settings: Settings, clock: Clock) -> OfferFactory:
    def factory(cnie: str, **options: Any) -> OfferCreated:
        with writing(engine) as db:
            diploma = resolve(db, cnie)
            return create_offer(
                db, diploma=diploma, settings=settings, secrets=load_secrets(db), actor="test", now=clock(), **options
            )

    return factory
