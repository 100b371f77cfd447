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

Lists are held in the verifier's layered cache (:mod:`verifier.cache`), fastest first: this process's memory (the
decoded, verified list), the database (the signed token, shared by replicas and kept across restarts), the issuer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from common.fetch import FetchError, ResponseTooLargeError, UrlRefusedError, check_fetchable
from vc import StatusListData, StatusResolver, StatusSnapshot, TawtiqError, UpstreamError, verify_status_list_token
from vc.errors import StatusError
from vc.jose import DEFAULT_ALGORITHMS
from vc.status import StatusReference, reference_uri
from vc.statuslist import BitstringStatusEntry
from verifier.cache import Entry, LayeredCache, fresh_until_for, store_row, stored_row
from verifier.clock import Clock
from verifier.db import Database
from verifier.fetch import Fetched, Fetcher
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
class HeldList:
    """A verified status list as cached: the decoded list and the signed token it came from (also stored)."""

    data: StatusListData
    token: str


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


class _ListsLayer:
    """The cache's layer for status lists: rows of ``status_lists`` (verified again when read), stale up to
    ``status_max_stale_seconds`` and never past the list's expiry."""

    def __init__(
        self, *, database: Database, settings: Settings, verify: Callable[[str, str, datetime], StatusListData]
    ) -> None:
        self._database = database
        self._settings = settings
        self._verify = verify

    def usable_stale(self, entry: Entry[HeldList], now: datetime) -> bool:
        if entry.value.data.expires_at is not None and entry.value.data.expires_at <= now:
            return False
        return now - entry.fetched_at <= timedelta(seconds=self._settings.status_max_stale_seconds)

    def failure(self, key: str, previous: Entry[HeldList] | None, error: TawtiqError, now: datetime) -> TawtiqError:
        exc = _as_status_error(error, key)
        if previous is not None:
            age = int((now - previous.fetched_at).total_seconds())
            reason = f"{exc.summary}; the last good copy is {age} s old, more than allowed or expired"
        else:
            reason = f"{exc.summary}; no earlier copy is held"
        if isinstance(exc, StatusError):
            return StatusError(f"no usable status list: {reason}", code=exc.code, found=key)
        return UpstreamError(f"no fresh enough status data: {reason}", code="status.unavailable", found=key)

    def load(self, key: str, memory: Entry[HeldList] | None, now: datetime) -> Entry[HeldList] | None:
        row = stored_row(self._database, StatusListRow, key, what="status list")
        if row is None:
            return None
        if memory is not None and memory.digest == row.digest:
            return replace(memory, etag=row.etag, fetched_at=row.fetched_at, fresh_until=row.fresh_until, retry_at=None)
        try:
            data = self._verify(row.token, key, now)
        except TawtiqError as exc:
            log.info("stored status list %s no longer verifies (%s); fetching again", key, exc.code)
            return None
        return Entry(HeldList(data, row.token), row.digest, row.etag, row.fetched_at, row.fresh_until)

    def store(self, key: str, entry: Entry[HeldList]) -> None:
        row = StatusListRow(
            uri=key,
            token=entry.value.token,
            digest=entry.digest,
            etag=entry.etag,
            fetched_at=entry.fetched_at,
            fresh_until=entry.fresh_until,
        )
        store_row(self._database, row, key=("uri",), what="status list", name=key)


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
        self._clock = clock
        self._settings = settings
        self._cache: LayeredCache[HeldList] = LayeredCache(
            layer=_ListsLayer(database=database, settings=settings, verify=self._verify),
            what="status list",
            retry_seconds=settings.upstream_retry_seconds,
            wait_seconds=settings.http_total_timeout_seconds,
        )

    def bounded(self, max_age: timedelta) -> StatusResolver:
        """A resolver over the same cache that revalidates any list fetched more than ``max_age`` ago (for pages a
        person opens; the VC-API keeps the issuer's TTL)."""
        return _Bounded(self, max_age)

    def resolve(self, reference: StatusReference, *, max_age: timedelta | None = None) -> StatusSnapshot:
        """The :class:`vc.StatusResolver` contract: the verified list, when it was fetched, whether it is stale;
        with ``max_age``, a held list older than that is revalidated first (cheap with its ETag)."""
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
        kind = "bitstring" if isinstance(reference, BitstringStatusEntry) else "token"
        cached = self._cache.get(
            uri,
            fetch=lambda previous, at: self._fetch(uri, kind=kind, previous=previous, now=at),
            now=now,
            max_age=max_age,
        )
        stale = now >= fresh_until_for(cached, max_age)  # a copy kept because the revalidation failed
        return StatusSnapshot(data=cached.value.data, fetched_at=cached.fetched_at, stale=stale)

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

    def _fetch(self, uri: str, *, kind: str, previous: Entry[HeldList] | None, now: datetime) -> Entry[HeldList]:
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
            if previous.value.data.expires_at is not None and previous.value.data.expires_at <= now:
                raise StatusError(
                    "the status list is not modified but has expired", code="status.list_expired", found=uri
                )
            fresh_until = self._lifetime(previous.value.data, fetched.max_age_seconds, now)
            return replace(previous, fetched_at=now, fresh_until=fresh_until, etag=fetched.etag, retry_at=None)
        try:
            token = fetched.body.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise FetchError("the status list is not a compact JWT", code="status.list_malformed", found=uri) from exc
        data = self._verify(token, uri, now)
        log.info("fetched status list %s (%s)", uri, "revalidated" if previous is not None else "new")
        return Entry(
            HeldList(data, token), _digest(token), fetched.etag, now, self._lifetime(data, fetched.max_age_seconds, now)
        )


@dataclass(frozen=True)
class _Bounded:
    """:meth:`StatusLists.resolve` with a ``max_age``, as a :class:`vc.StatusResolver`."""

    lists: StatusLists
    max_age: timedelta

    def resolve(self, reference: StatusReference) -> StatusSnapshot:
        return self.lists.resolve(reference, max_age=self.max_age)
