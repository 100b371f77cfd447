"""The purge of the diploma page's rows: ended share links go, and a held key goes once its graduate has no link left
and it went unused for a day; using a held key marks it used, so a key in use is never purged."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, insert, select

from common.service.database import reading, writing
from issuer.models import ACTIVE, Diploma
from issuer.settings import load_settings
from portal.db import MIGRATIONS
from portal.diploma import (
    KEY_IDLE_SECONDS,
    KEY_TOUCH_SECONDS,
    DiplomaDesk,
    Sealer,
    _key_bytes,
    custody,
    purge,
    shares,
)
from portal.settings import Settings
from tests.common.fake_fetcher import FakeFetcher
from tests.issuer.conftest import environment
from vc import SigningKey

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECRET = "held-keys-" + secrets.token_urlsafe(32)


@pytest.fixture
def engine(database_engine: Engine) -> Engine:
    MIGRATIONS.upgrade(database_engine)
    return database_engine


def _hold(engine: Engine, graduate: int, *, used: datetime, diploma_id: str = "urn:uuid:held") -> SigningKey:
    sealer, key = Sealer(SECRET.encode()), SigningKey.generate("ES256")
    with writing(engine) as db:
        db.execute(
            insert(custody).values(
                graduate_id=graduate,
                key_sealed=sealer.seal(_key_bytes(key), graduate_id=graduate),
                diploma_id=diploma_id,
                copy_sealed=sealer.seal(b"the held copy", graduate_id=graduate),
                created_at=used - DAY,
                updated_at=used,
            )
        )
    return key


def _share(engine: Engine, graduate: int, *, expires: datetime, withdrawn: datetime | None = None) -> None:
    with writing(engine) as db:
        db.execute(
            insert(shares).values(
                graduate_id=graduate,
                link_id=secrets.token_urlsafe(16),
                url="https://verify.example.ma/s/x",
                verifier="https://verify.example.ma",
                claims='["familyName"]',
                revoke_token_sealed=b"sealed",
                created_at=expires - DAY,
                expires_at=expires,
                withdrawn_at=withdrawn,
            )
        )


def _left(engine: Engine) -> tuple[list[int], list[int]]:
    with reading(engine) as db:
        keys = sorted(db.execute(select(custody.c.graduate_id)).scalars())
        links = sorted(db.execute(select(shares.c.graduate_id)).scalars())
    return keys, links


def test_ended_links_and_unneeded_keys_are_purged(engine: Engine) -> None:
    idle = NOW - timedelta(seconds=KEY_IDLE_SECONDS)
    _hold(engine, 1, used=idle - DAY)  # a live link: both stay
    _share(engine, 1, expires=NOW + DAY)
    _hold(engine, 2, used=idle - DAY)  # every link ended: the links and the key go
    _share(engine, 2, expires=NOW)  # expired at this very instant
    _share(engine, 2, expires=NOW + DAY, withdrawn=NOW - DAY)
    _hold(engine, 3, used=idle + timedelta(seconds=1))  # its link ended, but the key was used within the day
    _share(engine, 3, expires=NOW - DAY)
    _hold(engine, 4, used=idle)  # no link ever (an OpenID4VP answer), unused for exactly the day: it goes
    assert purge(engine, now=NOW) == {"shares": 3, "holder_keys": 2}
    assert _left(engine) == ([1, 3], [1])
    assert purge(engine, now=NOW) == {"shares": 0, "holder_keys": 0}


def test_using_a_held_key_marks_it_used_so_the_purge_keeps_it(engine: Engine, tmp_path: Path) -> None:
    desk = DiplomaDesk(
        engine=engine,
        settings=Settings(secret_key=secrets.token_urlsafe(32), holder_key_secret=SecretStr(SECRET)),
        issuer=load_settings(environment(tmp_path, f"sqlite:///{tmp_path / 'issuer.sqlite3'}")),
        fetcher=FakeFetcher(),
    )
    record = Diploma(id="urn:uuid:held", graduate_id=5, status=ACTIVE)
    key = _hold(engine, 5, used=NOW - 2 * DAY)
    recent = NOW - timedelta(seconds=KEY_TOUCH_SECONDS - 1)
    _hold(engine, 6, used=recent)
    held, copy = desk.held_copy(record, now=NOW)
    assert (held.public.jwk, copy) == (key.public.jwk, "the held copy")
    desk.held_copy(Diploma(id="urn:uuid:held", graduate_id=6, status=ACTIVE), now=NOW)
    with reading(engine) as db:
        used = dict(db.execute(select(custody.c.graduate_id, custody.c.updated_at)).all())
    assert used == {5: NOW, 6: recent}  # marked when the mark is an hour old, not on every use
    # A day less a second after the use: the key used now stays; the other, last marked over a day before, goes.
    assert purge(engine, now=NOW + timedelta(seconds=KEY_IDLE_SECONDS - 1)) == {"shares": 0, "holder_keys": 1}
    assert _left(engine) == ([5], [])


def test_the_purge_command_deletes_them_with_the_sessions(engine: Engine, database_url: str) -> None:
    from tests.portal.test_settings_and_staff import _run

    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    _hold(engine, 7, used=long_ago)
    _share(engine, 7, expires=long_ago + DAY)
    code, out, err = _run(database_url, "purge", "--json")
    assert code == 0, err
    assert json.loads(out) == {"sessions": 0, "logins": 0, "shares": 1, "holder_keys": 1}
    assert _left(engine) == ([], [])
