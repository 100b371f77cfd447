"""Issuer keys from the trusted issuers' own metadata: the verifier's :class:`vc.KeyResolver`.

For an https issuer the keys come from its SD-JWT VC issuer metadata, ``/.well-known/jwt-vc-issuer`` (inserted
between host and path, SD-JWT VC §5), as ``jwks`` or a same-origin ``jwks_uri``; for a ``did:web`` issuer from
its DID document's ``publicKeyJwk`` verification methods. Either way the JWK Set is read strictly as a key
history (:meth:`keys.KeyHistory.from_jwks`), so a retired key still verifies what it signed while active and a
compromised key fails everything signed after its compromise.

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
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from common.fetch import FetchError, origin_of
from keys import KeyHistory
from vc import PublicKey, TawtiqError, UpstreamError
from vc.errors import KeyResolutionError
from verifier.clock import Clock
from verifier.db import Database
from verifier.fetch import Fetcher
from verifier.io_context import require_io
from verifier.models import IssuerMetadataRow
from verifier.settings import Settings
from verifier.trust import TrustListSource, did_web_document_url

log = logging.getLogger(__name__)

JWT_VC_ISSUER_PATH: Final = "/.well-known/jwt-vc-issuer"
_JSON: Final = "application/json"


def jwt_vc_issuer_metadata_url(issuer: str) -> str:
    """``https://host/.well-known/jwt-vc-issuer/<path>`` for issuer ``https://host/<path>`` (SD-JWT VC §5.1)."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{JWT_VC_ISSUER_PATH}{path}"


@dataclass(frozen=True, slots=True)
class _Cached:
    history: KeyHistory
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
        local_kid = self._local_kid(issuer, kid)
        cached = self._cached(issuer)
        try:
            return cached.history.key_for(kid=local_kid, algorithm=algorithm, signed_at=signed_at)
        except KeyResolutionError as exc:
            if exc.code != "key.unknown_kid" or not self._may_force(cached):
                raise
        log.info("unknown kid for issuer %s: fetching its keys again", issuer)
        cached = self._cached(issuer, force=True)
        return cached.history.key_for(kid=local_kid, algorithm=algorithm, signed_at=signed_at)

    def history(self, issuer: str) -> KeyHistory:
        """The issuer's current key history (for the operator's trust-list check)."""
        return self._cached(issuer).history

    @staticmethod
    def _local_kid(issuer: str, kid: str | None) -> str | None:
        # A did:web issuer may name its key by DID URL: did:web:host#<thumbprint>.
        if kid is not None and issuer.startswith("did:") and kid.startswith(issuer + "#"):
            return kid[len(issuer) + 1 :]
        if kid is not None and issuer.startswith("did:") and kid.startswith("#"):
            return kid[1:]
        return kid

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
            history = memory.history
        else:
            try:
                history = KeyHistory.from_jwks(json.loads(row.jwks))
            except (TawtiqError, ValueError) as exc:
                log.error("stored keys of issuer %s are unreadable (%s); fetching again", issuer, exc)
                return None
        return _Cached(history, digest, row.etag, row.fetched_at, row.fresh_until)

    def _store(self, issuer: str, cached: _Cached) -> None:
        row = IssuerMetadataRow(
            issuer=issuer,
            jwks=json.dumps(cached.history.to_jwks(), sort_keys=True),
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
        did_document = did_web_document_url(issuer)
        url = did_document if did_document is not None else jwt_vc_issuer_metadata_url(issuer)
        fetched = self._fetcher.get(
            url,
            accept=_JSON,
            max_bytes=self._settings.metadata_max_bytes,
            etag=previous.etag if previous is not None else None,
        )
        if fetched.status == 304 and previous is not None:
            return _Cached(
                previous.history, previous.digest, fetched.etag, now, self._fresh_until(now, fetched.max_age_seconds)
            )
        document = _json_object(fetched.body, url)
        jwks = self._did_jwks(issuer, document, url) if did_document else self._metadata_jwks(issuer, document, url)
        try:
            history = KeyHistory.from_jwks(jwks)
        except TawtiqError as exc:
            raise FetchError(
                f"the key set of issuer {issuer} is not a valid key history: {exc.summary}",
                code="key.metadata_invalid",
                found=exc.found,
                expected=exc.expected,
            ) from exc
        digest = hashlib.sha256(json.dumps(history.to_jwks(), sort_keys=True).encode("utf-8")).hexdigest()
        log.info("fetched keys of issuer %s: %d key(s)", issuer, len(history.entries))
        return _Cached(history, digest, fetched.etag, now, self._fresh_until(now, fetched.max_age_seconds))

    def _metadata_jwks(self, issuer: str, document: Mapping[str, Any], url: str) -> Mapping[str, Any]:
        # SD-JWT VC §5.3: the metadata's issuer must be identical to the identifier we looked up.
        if document.get("issuer") != issuer:
            raise FetchError(
                "issuer metadata names another issuer",
                code="key.metadata_invalid",
                found=document.get("issuer"),
                expected=issuer,
            )
        if "jwks" in document and "jwks_uri" in document:
            raise FetchError("issuer metadata has both jwks and jwks_uri", code="key.metadata_invalid", found=url)
        jwks = document.get("jwks")
        if isinstance(jwks, Mapping):
            return jwks
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or origin_of(jwks_uri) != origin_of(issuer):
            raise FetchError(
                "issuer metadata has no jwks, nor a jwks_uri on the issuer's own origin",
                code="key.metadata_invalid",
                found=jwks_uri,
                expected=f"jwks, or a jwks_uri under {origin_of(issuer)}",
            )
        fetched = self._fetcher.get(
            jwks_uri, accept="application/jwk-set+json, application/json", max_bytes=self._settings.metadata_max_bytes
        )
        return _json_object(fetched.body, jwks_uri)

    @staticmethod
    def _did_jwks(issuer: str, document: Mapping[str, Any], url: str) -> Mapping[str, Any]:
        if document.get("id") != issuer:
            raise FetchError(
                "DID document is for another DID",
                code="key.metadata_invalid",
                found=document.get("id"),
                expected=issuer,
            )
        methods = document.get("verificationMethod")
        assertion = document.get("assertionMethod")
        if not isinstance(methods, list) or not isinstance(assertion, list):
            raise FetchError(
                "DID document lacks verificationMethod/assertionMethod", code="key.metadata_invalid", found=url
            )

        def absolute(reference: str) -> str:
            return issuer + reference if reference.startswith("#") else reference

        allowed = {absolute(reference) for reference in assertion if isinstance(reference, str)}
        keys = [
            method["publicKeyJwk"]
            for method in methods
            if isinstance(method, Mapping)
            and isinstance(method.get("id"), str)
            and absolute(method["id"]) in allowed
            and isinstance(method.get("publicKeyJwk"), Mapping)
        ]
        return {"keys": keys}


def _json_object(body: bytes, url: str) -> Mapping[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FetchError(f"{url} did not send JSON", code="key.metadata_invalid", found=str(exc)) from exc
    if not isinstance(value, Mapping):
        raise FetchError(f"{url} did not send a JSON object", code="key.metadata_invalid", found=type(value).__name__)
    return value
