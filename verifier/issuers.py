"""Issuer keys from the trusted issuers' own metadata: the verifier's :class:`vc.KeyResolver`.

The keys are found and read by the shared reader (:mod:`common.issuer_keys`): for an https issuer its SD-JWT VC
issuer metadata, ``/.well-known/jwt-vc-issuer``, with ``jwks`` or a same-origin ``jwks_uri``; for a ``did:web``
issuer its DID document. The JWK Set is read as RFC 7517 defines it (:func:`keys.foreign_key_history`) into a
key history, so a retired key still verifies what it signed while active and a compromised key fails everything
signed after its compromise, when the issuer publishes those windows.

The keys are held in the verifier's layered cache (:mod:`verifier.cache`: memory, database, issuer). A copy is
reused until it is ``metadata_ttl_seconds`` old (or the issuer's ``Cache-Control: max-age``, if shorter); an
unknown ``kid`` forces one early refresh (at most one per ``metadata_refresh_floor_seconds``) so that a freshly
rotated key is found. When the issuer cannot be reached a copy up to ``metadata_max_stale_seconds`` old stands in;
without one the answer is :class:`~vc.UpstreamError` and the verdict ``indeterminate``. Untrusted issuers are
refused before anything is fetched.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from common.fetch import FetchError
from common.issuer_keys import fetch_issuer_keys, jwt_vc_issuer_metadata_url, local_kid, read_key_set
from keys import KeyHistory
from vc import PublicKey, TawtiqError, UpstreamError
from vc.errors import KeyResolutionError
from verifier.cache import Entry, LayeredCache, store_row, stored_row
from verifier.clock import Clock
from verifier.db import Database
from verifier.fetch import Fetcher
from verifier.models import IssuerMetadataRow
from verifier.settings import Settings
from verifier.trust import TrustListSource

log = logging.getLogger(__name__)

__all__ = ["IssuerKeys", "jwt_vc_issuer_metadata_url"]


@dataclass(frozen=True, slots=True)
class PublishedKeys:
    """An issuer's keys as cached: the key history and the JWK Set as the issuer published it (also stored)."""

    history: KeyHistory
    jwks: Mapping[str, Any]


class _KeysLayer:
    """The cache's layer for issuer keys: rows of ``issuer_metadata``, stale up to ``metadata_max_stale_seconds``."""

    def __init__(self, *, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings

    def usable_stale(self, entry: Entry[PublishedKeys], now: datetime) -> bool:
        return now - entry.fetched_at <= timedelta(seconds=self._settings.metadata_max_stale_seconds)

    def failure(
        self, key: str, previous: Entry[PublishedKeys] | None, error: TawtiqError, now: datetime
    ) -> TawtiqError:
        return UpstreamError(
            f"the keys of issuer {key} cannot be obtained: {error.summary}",
            code="key.issuer_unreachable",
            found=error.found,
            expected="the issuer's metadata over https",
        )

    def load(self, key: str, memory: Entry[PublishedKeys] | None, now: datetime) -> Entry[PublishedKeys] | None:
        row = stored_row(self._database, IssuerMetadataRow, key, what="keys of issuer")
        if row is None:
            return None
        digest = hashlib.sha256(row.jwks.encode("utf-8")).hexdigest()
        if memory is not None and memory.digest == digest:
            value = memory.value
        else:
            try:
                jwks = json.loads(row.jwks)
                value = PublishedKeys(read_key_set(jwks, issuer=key), jwks)
            except (TawtiqError, ValueError) as exc:
                log.error("stored keys of issuer %s are unreadable (%s); fetching again", key, exc)
                return None
        return Entry(value, digest, row.etag, row.fetched_at, row.fresh_until)

    def store(self, key: str, entry: Entry[PublishedKeys]) -> None:
        row = IssuerMetadataRow(
            issuer=key,
            jwks=_canonical(entry.value.jwks),
            etag=entry.etag,
            fetched_at=entry.fetched_at,
            fresh_until=entry.fresh_until,
        )
        store_row(self._database, row, key=("issuer",), what="keys of issuer", name=key)


class IssuerKeys:
    """Resolves an issuer's key for a ``kid`` and signing time, fetching the issuer's metadata when needed."""

    def __init__(
        self, *, trust: TrustListSource, fetcher: Fetcher, database: Database, clock: Clock, settings: Settings
    ) -> None:
        self._trust = trust
        self._fetcher = fetcher
        self._clock = clock
        self._settings = settings
        self._cache: LayeredCache[PublishedKeys] = LayeredCache(
            layer=_KeysLayer(database=database, settings=settings),
            what="keys of issuer",
            retry_seconds=settings.upstream_retry_seconds,
            wait_seconds=settings.http_total_timeout_seconds,
        )

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
            return cached.value.history.key_for(kid=wanted, algorithm=algorithm, signed_at=signed_at)
        except KeyResolutionError as exc:
            if exc.code != "key.unknown_kid" or not self._may_force(cached):
                raise
        log.info("unknown kid for issuer %s: fetching its keys again", issuer)
        cached = self._cached(issuer, force=True)
        return cached.value.history.key_for(kid=wanted, algorithm=algorithm, signed_at=signed_at)

    def candidates(self, *, issuer: str, algorithm: str, signed_at: datetime | None) -> tuple[PublicKey, ...]:
        """The :class:`vc.jose.KeyCandidates` contract, from the keys held for a trusted issuer (fetched when none
        are held); nothing for an untrusted one."""
        if not self._trust.current().is_trusted(issuer):
            return ()
        return self._cached(issuer).value.history.candidates(algorithm=algorithm, signed_at=signed_at)

    def history(self, issuer: str) -> KeyHistory:
        """The issuer's current key history (for the operator's trust-list check)."""
        return self._cached(issuer).value.history

    def _cached(self, issuer: str, *, force: bool = False) -> Entry[PublishedKeys]:
        return self._cache.get(
            issuer, fetch=lambda previous, now: self._fetch(issuer, previous, now), now=self._clock.now(), force=force
        )

    def _may_force(self, cached: Entry[PublishedKeys]) -> bool:
        age = (self._clock.now() - cached.fetched_at).total_seconds()
        return age >= self._settings.metadata_refresh_floor_seconds

    def _fresh_until(self, now: datetime, max_age: int | None) -> datetime:
        lifetime = self._settings.metadata_ttl_seconds
        if max_age is not None:
            lifetime = max(0, min(lifetime, max_age))
        return now + timedelta(seconds=lifetime)

    def _fetch(self, issuer: str, previous: Entry[PublishedKeys] | None, now: datetime) -> Entry[PublishedKeys]:
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
            return Entry(previous.value, previous.digest, found.etag, now, fresh_until)
        digest = hashlib.sha256(_canonical(found.jwks).encode("utf-8")).hexdigest()
        log.info("fetched keys of issuer %s: %d key(s)", issuer, len(found.history.entries))
        return Entry(PublishedKeys(found.history, found.jwks), digest, found.etag, now, fresh_until)


def _canonical(jwks: Mapping[str, Any]) -> str:
    return json.dumps(jwks, sort_keys=True)
