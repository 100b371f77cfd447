"""Status lists over HTTP: the verifier's :class:`vc.StatusResolver`.

A status reference inside a credential names a URL. It is fetched only when it is on the origin of a trusted
issuer (anything else is refused before any request: no server-side request forgery), with the size bounded
before decompression (``Content-Length`` and the bytes received, ``status_list_max_bytes``) and after it
(``status_list_max_decompressed_bytes``, enforced by the engine's bounded inflater). The signed list is
verified with its issuer's key history (:func:`vc.verify_status_list_token`) before it is used or cached.

A verified list is reused until its freshness runs out: the list's own ``ttl`` or the response's
``Cache-Control: max-age``, whichever is shorter (``status_default_ttl_seconds`` when neither is given),
clamped to ``[status_min_ttl_seconds, status_max_ttl_seconds]`` and never past the list's ``exp`` /
``validUntil``. Then it is revalidated with ``If-None-Match`` (a 304 renews it without a download). When the
issuer cannot answer, or answers with something unusable, the last good copy stands in while it is at most
``status_max_stale_seconds`` old and not expired; the report shows its age and marks it stale. Without such a
copy the resolver raises, and the verdict is ``indeterminate`` with the reason: an unreachable issuer is
:class:`~vc.UpstreamError`, a list that cannot be used (too large, badly signed) is
:class:`~vc.errors.StatusError` — never "revoked", never "valid".

Layers, fastest first: this process's memory (the decoded, verified list), the database (the signed token,
shared by replicas and kept across restarts), the issuer.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from common.fetch import FetchError, ResponseTooLargeError, UrlRefusedError, check_fetchable
from vc import StatusListData, StatusSnapshot, TawtiqError, UpstreamError, verify_status_list_token
from vc.errors import StatusError
from vc.jose import DEFAULT_ALGORITHMS
from vc.status import StatusReference, reference_uri
from vc.statuslist import BitstringStatusEntry
from verifier.clock import Clock
from verifier.db import Database
from verifier.fetch import Fetched, Fetcher
from verifier.io_context import require_io
from verifier.issuers import IssuerKeys
from verifier.models import StatusListRow
from verifier.settings import Settings
from verifier.trust import TrustListSource

log = logging.getLogger(__name__)

_ACCEPT: Final = {
    "token": "application/statuslist+jwt",
    "bitstring": "application/vc+jwt",
}


@dataclass(frozen=True, slots=True)
class _Cached:
    data: StatusListData
    digest: str
    token: str
    etag: str | None
    fetched_at: datetime
    fresh_until: datetime
    #: After a failed refresh, the stale copy is served without asking the issuer again until then.
    retry_at: datetime | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _as_status_error(exc: TawtiqError, uri: str) -> TawtiqError:
    """The engine reads only :class:`UpstreamError` and :class:`StatusError` from a resolver; map the rest."""
    if isinstance(exc, UpstreamError | StatusError):
        return exc
    code = exc.code if exc.code.startswith("status.") else "status.list_invalid"
    return StatusError(
        f"the status list {uri} cannot be used: [{exc.code}] {exc.summary}",
        code=code,
        found=exc.found,
        expected=exc.expected,
    )


class StatusLists:
    """Resolves status references to verified, cached lists."""

    def __init__(
        self,
        *,
        trust: TrustListSource,
        keys: IssuerKeys,
        fetcher: Fetcher,
        database: Database,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._trust = trust
        self._keys = keys
        self._fetcher = fetcher
        self._database = database
        self._clock = clock
        self._settings = settings
        self._memory: dict[str, _Cached] = {}
        self._failures: dict[str, tuple[datetime, TawtiqError]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def resolve(self, reference: StatusReference) -> StatusSnapshot:
        """The :class:`vc.StatusResolver` contract: the verified list, when it was fetched, whether it is stale."""
        uri = reference_uri(reference)
        try:
            check_fetchable(uri)
        except UrlRefusedError as exc:
            raise StatusError(
                f"the status list URL may not be fetched: {exc.summary}",
                code="status.list_url_refused",
                found=uri,
                expected=exc.expected,
            ) from exc
        if not self._trust.current().url_is_trusted(uri):
            raise StatusError(
                "the status list is not on a trusted issuer's origin, so it was not fetched",
                code="status.list_untrusted_origin",
                found=uri,
                expected="a URL on the origin of an issuer on the trust list",
            )
        now = self._clock.now()
        cached = self._cached(
            uri, kind="bitstring" if isinstance(reference, BitstringStatusEntry) else "token", now=now
        )
        return StatusSnapshot(data=cached.data, fetched_at=cached.fetched_at, stale=now >= cached.fresh_until)

    def _lock(self, uri: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(uri, threading.Lock())

    def _answer_from_memory(self, uri: str, now: datetime) -> _Cached | None:
        memory = self._memory.get(uri)
        if memory is not None and (now < memory.fresh_until or (memory.retry_at is not None and now < memory.retry_at)):
            return memory
        failure = self._failures.get(uri)
        if failure is not None and now < failure[0]:
            error = failure[1]
            raise type(error)(error.summary, code=error.code, found=error.found, expected=error.expected)
        return None

    def _cached(self, uri: str, *, kind: str, now: datetime) -> _Cached:
        answer = self._answer_from_memory(uri, now)
        if answer is not None:
            return answer
        require_io(f"status list {uri}")
        with self._lock(uri):
            answer = self._answer_from_memory(uri, now)
            if answer is not None:
                return answer
            memory = self._memory.get(uri)
            stored = self._from_database(uri, memory, now)
            if stored is not None and now < stored.fresh_until:
                self._memory[uri] = stored
                return stored
            previous = stored or memory
            try:
                fresh = self._fetch(uri, kind=kind, previous=previous, now=now)
            except TawtiqError as exc:
                return self._stale_or_raise(uri, previous, _as_status_error(exc, uri), now)
            self._memory[uri] = fresh
            self._failures.pop(uri, None)
            self._store(uri, fresh)
            return fresh

    def _usable_stale(self, previous: _Cached | None, now: datetime) -> bool:
        if previous is None:
            return False
        if previous.data.expires_at is not None and previous.data.expires_at <= now:
            return False
        return now - previous.fetched_at <= timedelta(seconds=self._settings.status_max_stale_seconds)

    def _stale_or_raise(self, uri: str, previous: _Cached | None, exc: TawtiqError, now: datetime) -> _Cached:
        retry_at = now + timedelta(seconds=self._settings.upstream_retry_seconds)
        if self._usable_stale(previous, now):
            assert previous is not None
            log.warning(
                "status list %s could not be refreshed (%s); using the copy fetched at %s",
                uri,
                exc.code,
                previous.fetched_at.isoformat(),
            )
            stale = replace(previous, retry_at=retry_at)
            self._memory[uri] = stale
            return stale
        if previous is not None:
            age = int((now - previous.fetched_at).total_seconds())
            reason = f"{exc.summary}; the last good copy is {age} s old, more than allowed or expired"
        else:
            reason = f"{exc.summary}; no earlier copy is held"
        error: TawtiqError
        if isinstance(exc, StatusError):
            error = StatusError(f"no usable status list: {reason}", code=exc.code, found=uri)
        else:
            error = UpstreamError(f"no fresh enough status data: {reason}", code="status.unavailable", found=uri)
        error.__cause__ = exc
        self._failures[uri] = (retry_at, error)
        raise error

    def _verify(self, token: str, uri: str, now: datetime) -> StatusListData:
        return verify_status_list_token(
            token,
            uri=uri,
            keys=self._keys,
            algorithms=DEFAULT_ALGORITHMS,
            now=now,
            max_bytes=self._settings.status_list_max_decompressed_bytes,
        )

    def _lifetime(self, data: StatusListData, max_age: int | None, now: datetime) -> datetime:
        candidates = [int(value) for value in (data.ttl_seconds, max_age) if value is not None]
        lifetime = min(candidates) if candidates else self._settings.status_default_ttl_seconds
        lifetime = max(self._settings.status_min_ttl_seconds, min(lifetime, self._settings.status_max_ttl_seconds))
        fresh_until = now + timedelta(seconds=lifetime)
        if data.expires_at is not None:
            fresh_until = min(fresh_until, data.expires_at)
        return fresh_until

    def _fetch(self, uri: str, *, kind: str, previous: _Cached | None, now: datetime) -> _Cached:
        try:
            fetched: Fetched = self._fetcher.get(
                uri,
                accept=_ACCEPT[kind],
                max_bytes=self._settings.status_list_max_bytes,
                etag=previous.etag if previous is not None else None,
            )
        except ResponseTooLargeError as exc:
            raise StatusError(
                f"the status list is too large: {exc.summary}",
                code="status.list_too_large",
                found=exc.found,
                expected=exc.expected,
            ) from exc
        if fetched.status == 304 and previous is not None:
            if previous.data.expires_at is not None and previous.data.expires_at <= now:
                raise StatusError(
                    "the status list is not modified but has expired", code="status.list_expired", found=uri
                )
            fresh_until = self._lifetime(previous.data, fetched.max_age_seconds, now)
            return replace(previous, fetched_at=now, fresh_until=fresh_until, etag=fetched.etag, retry_at=None)
        try:
            token = fetched.body.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise FetchError("the status list is not a compact JWT", code="status.list_malformed", found=uri) from exc
        data = self._verify(token, uri, now)
        log.info("fetched status list %s (%s)", uri, "revalidated" if previous is not None else "new")
        return _Cached(
            data, _digest(token), token, fetched.etag, now, self._lifetime(data, fetched.max_age_seconds, now)
        )

    def _from_database(self, uri: str, memory: _Cached | None, now: datetime) -> _Cached | None:
        try:
            with self._database.session() as session:
                row = session.get(StatusListRow, uri)
        except SQLAlchemyError as exc:
            log.error("could not read the stored status list %s: %s", uri, type(exc).__name__)
            return None
        if row is None:
            return None
        if memory is not None and memory.digest == row.digest:
            return replace(memory, etag=row.etag, fetched_at=row.fetched_at, fresh_until=row.fresh_until, retry_at=None)
        try:
            data = self._verify(row.token, uri, now)
        except TawtiqError as exc:
            log.info("stored status list %s no longer verifies (%s); fetching again", uri, exc.code)
            return None
        return _Cached(data, row.digest, row.token, row.etag, row.fetched_at, row.fresh_until)

    def _store(self, uri: str, cached: _Cached) -> None:
        row = StatusListRow(
            uri=uri,
            token=cached.token,
            digest=cached.digest,
            etag=cached.etag,
            fetched_at=cached.fetched_at,
            fresh_until=cached.fresh_until,
        )
        try:
            self._database.upsert(row, key=("uri",))
        except SQLAlchemyError as exc:  # the database is a cache here: verification goes on without it
            log.error("could not store status list %s: %s", uri, type(exc).__name__)
