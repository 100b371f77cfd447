"""Issuer keys from the trusted issuers' own metadata: the verifier's :class:`vc.KeyResolver`.

The keys are found and read by the shared reader (:mod:`common.issuer_keys`): for an https issuer its SD-JWT VC
issuer metadata, ``/.well-known/jwt-vc-issuer``, with ``jwks`` or a same-origin ``jwks_uri``; for a ``did:web``
issuer its DID document. The JWK Set is read as RFC 7517 defines it (:func:`keys.foreign_key_history`) into a
key history, so a retired key still verifies what it signed while active and a compromised key fails everything
signed after its compromise, when the issuer publishes those windows.

Three layers answer, fastest first: this process's memory, the database (shared by replicas, kept across
restarts), the issuer. A copy is reused until it is ``metadata_ttl_seconds`` old (or the issuer's
``Cache-Control: max-age``, if shorter); an unknown ``kid`` forces one early refresh (at most one per
``metadata_refresh_floor_seconds``) so that a freshly rotated key is found. When the issuer cannot be reached a
copy up to ``metadata_max_stale_seconds`` old stands in; without one the answer is
:class:`~vc.UpstreamError` and the verdict ``indeterminate``. Untrusted issuers are refused before anything is
fetched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from common.fetch import FetchError
from common.issuer_keys import fetch_issuer_keys, jwt_vc_issuer_metadata_url, local_kid, read_key_set
from keys import KeyHistory
from vc import PublicKey, TawtiqError, UpstreamError
from vc.errors import KeyResolutionError
from verifier.clock import Clock
from verifier.db import Database
from verifier.fetch import Fetcher
from verifier.io_context import require_io
from verifier.models import IssuerMetadataRow
from verifier.settings import Settings
from verifier.trust import TrustListSource

log = logging.getLogger(__name__)

__all__ = ["IssuerKeys", "jwt_vc_issuer_metadata_url"]


@dataclass(frozen=True, slots=True)
class _Cached:
    history: KeyHistory
    #: The JWK Set as the issuer published it, kept (and stored) as received.
    jwks: Mapping[str, Any]
    digest: str
    etag: str | None
    fetched_at: datetime
    fresh_until: datetime
    #: After a failed refresh, the stale copy is used without asking the issuer again until then.
    retry_at: datetime | None = None


class IssuerKeys:
    """Resolves an issuer's key for a ``kid`` and signing time, fetching the issuer's metadata when needed."""

    def __init__(
        self, *, trust: TrustListSource, fetcher: Fetcher, database: Database, clock: Clock, settings: Settings
    ) -> None:
        self._trust = trust
        self._fetcher = fetcher
        self._database = database
        self._clock = clock
        self._settings = settings
        self._memory: dict[str, _Cached] = {}
        self._failures: dict[str, tuple[datetime, UpstreamError]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        """The :class:`vc.KeyResolver` contract. Raises :class:`KeyResolutionError` (no acceptable key) or
        :class:`UpstreamError` (the issuer's keys cannot be obtained now)."""
        if not self._trust.current().is_trusted(issuer):
            # Credentials from untrusted issuers are refused before any key is asked for, so only a signer the
            # engine does not judge by the trust list gets here: a presentation's holder or a status list's.
            raise KeyResolutionError(
                "keys are used only for issuers on the trust list; a presentation signed by its holder (vp+jwt) "
                "is not supported: present the SD-JWT itself with its key-binding JWT",
                code="key.untrusted_issuer",
                found=issuer,
            )
        wanted = local_kid(issuer, kid)
        cached = self._cached(issuer)
        try:
            return cached.history.key_for(kid=wanted, algorithm=algorithm, signed_at=signed_at)
        except KeyResolutionError as exc:
            if exc.code != "key.unknown_kid" or not self._may_force(cached):
                raise
        log.info("unknown kid for issuer %s: fetching its keys again", issuer)
        cached = self._cached(issuer, force=True)
        return cached.history.key_for(kid=wanted, algorithm=algorithm, signed_at=signed_at)

    def history(self, issuer: str) -> KeyHistory:
        """The issuer's current key history (for the operator's trust-list check)."""
        return self._cached(issuer).history

    def _may_force(self, cached: _Cached) -> bool:
        age = (self._clock.now() - cached.fetched_at).total_seconds()
        return age >= self._settings.metadata_refresh_floor_seconds

    def _lock(self, issuer: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(issuer, threading.Lock())

    def _answer_from_memory(self, issuer: str, now: datetime) -> _Cached | None:
        memory = self._memory.get(issuer)
        if memory is not None and (now < memory.fresh_until or (memory.retry_at is not None and now < memory.retry_at)):
            return memory
        failure = self._failures.get(issuer)
        if failure is not None and now < failure[0]:
            error = failure[1]
            raise UpstreamError(error.summary, code=error.code, found=error.found, expected=error.expected)
        return None

    def _cached(self, issuer: str, *, force: bool = False) -> _Cached:
        now = self._clock.now()
        if not force and (answer := self._answer_from_memory(issuer, now)) is not None:
            return answer
        require_io(f"keys of {issuer}")
        with self._lock(issuer):
            if not force and (answer := self._answer_from_memory(issuer, now)) is not None:
                return answer
            memory = self._memory.get(issuer)
            stored = self._from_database(issuer, memory)
            if stored is not None and not force and now < stored.fresh_until:
                self._memory[issuer] = stored
                return stored
            previous = stored or memory
            try:
                fresh = self._fetch(issuer, previous, now)
            except TawtiqError as exc:
                return self._stale_or_raise(issuer, previous, exc, now)
            self._memory[issuer] = fresh
            self._failures.pop(issuer, None)
            self._store(issuer, fresh)
            return fresh

    def _stale_or_raise(self, issuer: str, previous: _Cached | None, exc: TawtiqError, now: datetime) -> _Cached:
        limit = timedelta(seconds=self._settings.metadata_max_stale_seconds)
        retry_at = now + timedelta(seconds=self._settings.upstream_retry_seconds)
        if previous is not None and now - previous.fetched_at <= limit:
            log.warning(
                "issuer %s keys could not be refreshed (%s); using a copy from %s",
                issuer,
                exc.code,
                previous.fetched_at.isoformat(),
            )
            stale = replace(previous, retry_at=retry_at)
            self._memory[issuer] = stale
            return stale
        error = UpstreamError(
            f"the keys of issuer {issuer} cannot be obtained: {exc.summary}",
            code="key.issuer_unreachable",
            found=exc.found,
            expected="the issuer's metadata over https",
        )
        self._failures[issuer] = (retry_at, error)
        raise error from exc

    def _from_database(self, issuer: str, memory: _Cached | None) -> _Cached | None:
        try:
            with self._database.session() as session:
                row = session.get(IssuerMetadataRow, issuer)
        except SQLAlchemyError as exc:
            log.error("could not read the stored keys of issuer %s: %s", issuer, type(exc).__name__)
            return None
        if row is None:
            return None
        digest = hashlib.sha256(row.jwks.encode("utf-8")).hexdigest()
        if memory is not None and memory.digest == digest:
            history, jwks = memory.history, memory.jwks
        else:
            try:
                jwks = json.loads(row.jwks)
                history = read_key_set(jwks, issuer=issuer)
            except (TawtiqError, ValueError) as exc:
                log.error("stored keys of issuer %s are unreadable (%s); fetching again", issuer, exc)
                return None
        return _Cached(history, jwks, digest, row.etag, row.fetched_at, row.fresh_until)

    def _store(self, issuer: str, cached: _Cached) -> None:
        row = IssuerMetadataRow(
            issuer=issuer,
            jwks=_canonical(cached.jwks),
            etag=cached.etag,
            fetched_at=cached.fetched_at,
            fresh_until=cached.fresh_until,
        )
        try:
            self._database.upsert(row, key=("issuer",))
        except SQLAlchemyError as exc:  # the database is a cache here: verification goes on without it
            log.error("could not store the keys of issuer %s: %s", issuer, type(exc).__name__)

    def _fresh_until(self, now: datetime, max_age: int | None) -> datetime:
        lifetime = self._settings.metadata_ttl_seconds
        if max_age is not None:
            lifetime = max(0, min(lifetime, max_age))
        return now + timedelta(seconds=lifetime)

    def _fetch(self, issuer: str, previous: _Cached | None, now: datetime) -> _Cached:
        found = fetch_issuer_keys(
            self._fetcher.bounded,
            issuer,
            max_bytes=self._settings.metadata_max_bytes,
            etag=previous.etag if previous is not None else None,
        )
        fresh_until = self._fresh_until(now, found.max_age_seconds)
        if found.history is None or found.jwks is None:
            if previous is None:  # a 304 to a request without an ETag: not an answer to anything we asked
                raise FetchError(f"issuer {issuer} answered 304 unasked", code="fetch.http_status", found=304)
            return _Cached(previous.history, previous.jwks, previous.digest, found.etag, now, fresh_until)
        digest = hashlib.sha256(_canonical(found.jwks).encode("utf-8")).hexdigest()
        log.info("fetched keys of issuer %s: %d key(s)", issuer, len(found.history.entries))
        return _Cached(found.history, found.jwks, digest, found.etag, now, fresh_until)


def _canonical(jwks: Mapping[str, Any]) -> str:
    return json.dumps(jwks, sort_keys=True)
