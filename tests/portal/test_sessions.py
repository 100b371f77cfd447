"""Server-side sessions and logins under way: random ids in cookies, keyed digests in the database, single-use
logins, idle and absolute expiry, logout, and a CSRF token per session."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from common.identity import Identity, LoginStart
from common.service.clock import FixedClock
from common.service.database import create_database_engine, reading
from portal.db import MIGRATIONS
from portal.errors import LoginError, SessionError
from portal.models import logins, sessions
from portal.sessions import TOUCH_SECONDS, Sessions

START = datetime(2025, 6, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store(database_url, clock):
    engine = create_database_engine(database_url)
    MIGRATIONS.upgrade(engine)
    yield Sessions(
        engine,
        clock=clock,
        key=secrets.token_bytes(32),
        idle_seconds=1800,
        absolute_seconds=8 * 3600,
        login_seconds=600,
    )
    engine.dispose()


def _start() -> LoginStart:
    return LoginStart(
        authorization_url="http://127.0.0.1:8300/authorize?x=1",
        state=secrets.token_urlsafe(16),
        nonce=secrets.token_urlsafe(16),
        code_verifier=secrets.token_urlsafe(48),
        redirect_uri="http://127.0.0.1:8400/login/callback",
    )


def _identity(cnie: str = "BE123456") -> Identity:
    return Identity(
        subject=f"sub-{cnie}",
        cnie=cnie,
        acr="urn:tawtiq:eid:loa:high",
        auth_time=START,
        family_name="EL ALAOUI",
        given_name="Salma",
        family_name_ar="العلوي",
        given_name_ar="سلمى",
        birthdate=date(2007, 3, 14),
    )


def test_a_login_is_taken_back_once(store):
    start = _start()
    login_id = store.begin_login(start, next_path="/results?lang=fr")
    assert store.take_login(login_id) == (start, "/results?lang=fr")
    with pytest.raises(LoginError) as replayed:
        store.take_login(login_id)
    assert replayed.value.code == "login.unknown"


def test_a_login_that_took_too_long_is_refused(store, clock):
    login_id = store.begin_login(_start(), next_path="/me")
    clock.advance(seconds=601)
    with pytest.raises(LoginError) as late:
        store.take_login(login_id)
    assert late.value.code == "login.expired"


@pytest.mark.parametrize("cookie", [None, "", "x" * 200, "forged-login-id"])
def test_a_callback_without_our_login_cookie_is_refused(store, cookie):
    store.begin_login(_start(), next_path="/me")
    with pytest.raises(LoginError) as refused:
        store.take_login(cookie)
    assert refused.value.code == "login.unknown"


def test_the_database_keeps_only_digests_of_the_identifiers(store):
    login_id = store.begin_login(_start(), next_path="/me")
    session_id, _ = store.open(_identity(), staff=False)
    with reading(store._engine) as db:
        stored = [row.id_hash for row in db.execute(select(logins.c.id_hash))]
        stored += [row.id_hash for row in db.execute(select(sessions.c.id_hash))]
    assert len(stored) == 2
    assert login_id not in stored
    assert session_id not in stored


def test_a_session_names_who_logged_in_and_carries_a_csrf_token(store):
    session_id, opened = store.open(_identity(), staff=True)
    current = store.current(session_id)
    assert current == opened
    assert (current.cnie, current.display_name, current.display_name_ar) == (
        "BE123456",
        "Salma EL ALAOUI",
        "سلمى العلوي",
    )
    assert current.staff is True
    other_id, other = store.open(_identity("AB987654"), staff=False)
    assert other.csrf_token != current.csrf_token
    assert store.current(other_id).cnie == "AB987654"


@pytest.mark.parametrize(
    ("cookie", "code"),
    [(None, "session.required"), ("", "session.required"), ("y" * 101, "session.unknown")],
)
def test_no_or_an_oversized_cookie_is_refused(store, cookie, code):
    with pytest.raises(SessionError) as refused:
        store.current(cookie)
    assert refused.value.code == code


def test_a_tampered_cookie_names_no_session(store):
    session_id, _ = store.open(_identity(), staff=False)
    tampered = session_id[:-1] + ("A" if session_id[-1] != "A" else "B")
    with pytest.raises(SessionError) as refused:
        store.current(tampered)
    assert refused.value.code == "session.unknown"


def test_a_session_ends_when_idle(store, clock):
    session_id, _ = store.open(_identity(), staff=False)
    clock.advance(seconds=1799)
    store.current(session_id)  # seen again: the idle bound starts over
    clock.advance(seconds=1799)
    store.current(session_id)
    clock.advance(seconds=1801)
    with pytest.raises(SessionError) as ended:
        store.current(session_id)
    assert ended.value.code == "session.expired"
    with pytest.raises(SessionError) as gone:
        store.current(session_id)
    assert gone.value.code == "session.unknown", "an ended session is deleted"


def test_a_session_ends_at_its_absolute_bound_however_busy(store, clock):
    session_id, _ = store.open(_identity(), staff=False)
    for _ in range(8 * 3600 // 1500):
        clock.advance(seconds=1500)
        store.current(session_id)
    clock.advance(seconds=8 * 3600 - (8 * 3600 // 1500) * 1500)
    with pytest.raises(SessionError) as ended:
        store.current(session_id)
    assert ended.value.code == "session.expired"


def test_last_seen_is_written_at_most_once_a_minute(store, clock):
    session_id, _ = store.open(_identity(), staff=False)

    def last_seen() -> datetime:
        with reading(store._engine) as db:
            return db.execute(select(sessions.c.last_seen_at)).scalar_one()

    clock.advance(seconds=TOUCH_SECONDS - 1)
    store.current(session_id)
    assert last_seen() == START
    clock.advance(seconds=1)
    store.current(session_id)
    assert last_seen() == clock.now()


def test_logout_ends_the_session_and_purge_removes_what_ended(store, clock):
    session_id, _ = store.open(_identity(), staff=False)
    kept_id, _ = store.open(_identity("AB987654"), staff=False)
    store.close(session_id)
    with pytest.raises(SessionError) as closed:
        store.current(session_id)
    assert closed.value.code == "session.unknown"
    store.begin_login(_start(), next_path="/me")
    clock.advance(seconds=1000)
    assert store.purge() == {"sessions": 0, "logins": 1}
    clock.advance(seconds=1800)
    assert store.purge() == {"sessions": 1, "logins": 0}
    with pytest.raises(SessionError):
        store.current(kept_id)
