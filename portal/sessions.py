"""Server-side sessions and logins under way, kept in the portal's tables (:mod:`portal.models`).

A browser holds only random identifiers (256 bits, in ``HttpOnly`` cookies); the database holds their keyed
digests. A login under way (between the redirect to the eID and the callback) is single-use: the callback takes
it and deletes it, so a replayed callback finds nothing. A successful login opens a new session with a new
identifier (the login's cookie is never promoted: no session fixation). A session ends after
``idle_seconds`` without a request or ``absolute_seconds`` after the login, whichever comes first, and at logout.
``last_seen_at`` is written at most once per :data:`TOUCH_SECONDS`, so a busy page costs no write per request.

The CSRF token of a session is a keyed digest of its identifier: the same for the whole session, never stored,
and unknowable without the cookie (which scripts cannot read) and the portal's key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine, bindparam, delete, insert, select, update

from common.identity import Identity, LoginStart
from common.service.clock import Clock
from common.service.database import writing
from common.service.reads import Query, Reads
from portal.errors import LoginError, SessionError
from portal.models import logins, sessions

#: ``last_seen_at`` is written again only when it is older than this (the idle bound is counted from it).
TOUCH_SECONDS: Final = 60
#: Bytes of randomness in a session or login identifier.
_ID_BYTES: Final = 32
#: The longest identifier a cookie may carry (longer values are refused unread).
_MAX_ID_CHARS: Final = 100
_SESSION_BY_DIGEST: Final = Query(select(sessions).where(sessions.c.id_hash == bindparam("digest")))


@dataclass(frozen=True)
class PortalSession:
    """A live session: who logged in (as the eID said) and the CSRF token of its forms."""

    cnie: str
    subject: str
    acr: str
    display_name: str
    display_name_ar: str
    #: Whether they held a staff role at login (the menu shows the staff pages; those check the roles again).
    staff: bool
    created_at: datetime
    expires_at: datetime
    csrf_token: str


class Sessions:
    """Logins under way and sessions (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        key: bytes,
        idle_seconds: int,
        absolute_seconds: int,
        login_seconds: int,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._key = key
        self._idle = timedelta(seconds=idle_seconds)
        self._absolute = timedelta(seconds=absolute_seconds)
        self._login = timedelta(seconds=login_seconds)

    def _digest(self, purpose: bytes, identifier: str) -> str:
        return hmac.new(self._key, purpose + b"\0" + identifier.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_token(self, session_id: str) -> str:
        """The CSRF token of the session ``session_id`` (see the module docstring)."""
        return self._digest(b"csrf", session_id)

    def begin_login(self, start: LoginStart, *, next_path: str) -> str:
        """Keep ``start`` until the callback; returns the login identifier for the browser's login cookie."""
        login_id = secrets.token_urlsafe(_ID_BYTES)
        now = self._clock.now()
        with writing(self._engine) as session:
            session.execute(
                insert(logins).values(
                    id_hash=self._digest(b"login", login_id),
                    start=json.dumps(asdict(start)),
                    next_path=next_path,
                    created_at=now,
                    expires_at=now + self._login,
                )
            )
        return login_id

    def take_login(self, login_id: str | None) -> tuple[LoginStart, str]:
        """The login under way for ``login_id`` and the path to go to after it; deleted as it is taken.

        Raises :class:`LoginError` ``login.unknown`` (no login cookie, or a login already finished or never
        begun) or ``login.expired``.
        """
        if not login_id or len(login_id) > _MAX_ID_CHARS:
            raise LoginError(
                "no login is under way for this browser",
                found="no login cookie" if not login_id else "a malformed login cookie",
                expected="the cookie set when the login began",
            )
        digest = self._digest(b"login", login_id)
        with writing(self._engine) as session:
            row = session.execute(delete(logins).where(logins.c.id_hash == digest).returning(logins)).first()
        if row is None:
            raise LoginError(
                "this login was already finished or never begun",
                found="a login cookie that names no login under way",
                expected="a login begun on this portal and not yet finished",
            )
        if row.expires_at <= self._clock.now():
            raise LoginError(
                "this login took too long",
                code="login.expired",
                found=f"begun at {row.created_at.isoformat()}",
                expected=f"finished within {int(self._login.total_seconds())} seconds",
            )
        return LoginStart(**json.loads(row.start)), row.next_path

    def open(self, identity: Identity, *, staff: bool) -> tuple[str, PortalSession]:
        """A new session for ``identity`` (``staff``: they hold a staff role); returns its identifier (for the
        session cookie) and the session."""
        session_id = secrets.token_urlsafe(_ID_BYTES)
        now = self._clock.now()
        latin = " ".join(part for part in (identity.given_name, identity.family_name) if part)
        arabic = " ".join(part for part in (identity.given_name_ar, identity.family_name_ar) if part)
        values = {
            "id_hash": self._digest(b"session", session_id),
            "cnie": identity.cnie,
            "subject": identity.subject[:255],
            "acr": identity.acr[:100],
            "display_name": latin[:300],
            "display_name_ar": arabic[:300],
            "staff": staff,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + self._absolute,
        }
        with writing(self._engine) as session:
            session.execute(insert(sessions).values(values))
        return session_id, self._session(values, session_id)

    def current(self, session_id: str | None) -> PortalSession:
        """The live session ``session_id`` names. Raises :class:`SessionError`: ``session.required`` (no
        cookie), ``session.unknown`` (a cookie naming no session: tampered, forged, or logged out),
        ``session.expired`` (idle or absolute bound passed; the row is deleted)."""
        if not session_id:
            raise SessionError("you are not logged in", found="no session cookie", expected="a session cookie")
        if len(session_id) > _MAX_ID_CHARS:
            raise SessionError(
                "the session cookie is not one of ours",
                code="session.unknown",
                found=f"{len(session_id)} characters",
                expected=f"at most {_MAX_ID_CHARS}",
            )
        digest = self._digest(b"session", session_id)
        # This runs before every page: one statement on a connection kept for reads (common.service.reads), read
        # afresh every time (a session closed by a logout on any worker is refused at once).
        row = Reads.of(self._engine).one(_SESSION_BY_DIGEST, digest=digest)
        if row is None:
            raise SessionError(
                "the session cookie names no session",
                code="session.unknown",
                found="a cookie that names no live session (tampered, forged, or logged out)",
                expected="the cookie of a session opened by a login on this portal",
            )
        now = self._clock.now()
        values = row._asdict()
        idle_end = values["last_seen_at"] + self._idle
        if now >= values["expires_at"] or now >= idle_end:
            self._delete(digest)
            ended = values["expires_at"] if now >= values["expires_at"] else idle_end
            raise SessionError(
                "the session has ended",
                code="session.expired",
                found=f"ended at {ended.isoformat()}",
                expected="a session used within its idle and absolute bounds",
            )
        if now - values["last_seen_at"] >= timedelta(seconds=TOUCH_SECONDS):
            with writing(self._engine) as session:
                session.execute(update(sessions).where(sessions.c.id_hash == digest).values(last_seen_at=now))
        return self._session(values, session_id)

    def close(self, session_id: str | None) -> None:
        """End the session ``session_id`` (logout); nothing happens if it names none."""
        if session_id and len(session_id) <= _MAX_ID_CHARS:
            self._delete(self._digest(b"session", session_id))

    def purge(self) -> dict[str, int]:
        """Delete ended sessions and logins that can no longer finish; returns how many of each."""
        now = self._clock.now()
        with writing(self._engine) as session:
            ended = session.execute(
                delete(sessions).where((sessions.c.expires_at <= now) | (sessions.c.last_seen_at <= now - self._idle))
            )
            stale = session.execute(delete(logins).where(logins.c.expires_at <= now))
        return {"sessions": int(ended.rowcount), "logins": int(stale.rowcount)}  # type: ignore[attr-defined]

    def _delete(self, digest: str) -> None:
        with writing(self._engine) as session:
            session.execute(delete(sessions).where(sessions.c.id_hash == digest))

    def _session(self, values: dict[str, object], session_id: str) -> PortalSession:
        return PortalSession(
            cnie=str(values["cnie"]),
            subject=str(values["subject"]),
            acr=str(values["acr"]),
            display_name=str(values["display_name"]),
            display_name_ar=str(values["display_name_ar"]),
            staff=bool(values["staff"]),
            created_at=values["created_at"],  # type: ignore[arg-type]
            expires_at=values["expires_at"],  # type: ignore[arg-type]
            csrf_token=self.csrf_token(session_id),
        )
