"""The trust list: which issuers this verifier trusts, for which credential types, and from which origins it may
fetch anything at all.

The document is the engine's versioned trust list (:meth:`vc.TrustList.from_document`)::

    {"version": "2026-11-28.1",
     "issuers": [{"id": "https://bac.men.gov.ma",
                  "name": {"ar": "وزارة التربية الوطنية", "fr": "Ministère de l'Éducation nationale", "en": "…"},
                  "credential_types": ["BaccalaureateDiplomaCredential", "urn:ma:men:credential:baccalaureate:1"]}]}

It comes from a file (re-read when it changes) or an https URL (fetched again every
``trust_list_refresh_seconds``; the last good copy is kept in the database so that a restart while the URL is
down still starts with it). The origins of the trusted issuer identifiers are the only places the verifier
ever sends a request to: issuer metadata, keys and status lists outside them are refused before any request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy.exc import SQLAlchemyError

from common.fetch import check_fetchable, origin_of
from common.issuer_keys import did_web_document_url
from vc import ConfigurationError, TawtiqError, TrustList
from vc.encoding import check_depth, json_loads
from vc.errors import FormatError
from verifier.clock import Clock
from verifier.db import Database
from verifier.fetch import Fetcher
from verifier.io_context import require_io
from verifier.models import TrustListRow

log = logging.getLogger(__name__)

_FILE_POLL_SECONDS: Final = 2.0
_MAX_TRUST_LIST_BYTES: Final = 1024 * 1024


def issuer_origin(identifier: str) -> str | None:
    """The origin an issuer identifier lives at: its own for an http(s) URL, the web host for ``did:web``."""
    document = did_web_document_url(identifier)
    return origin_of(document if document is not None else identifier)


@dataclass(frozen=True)
class TrustedIssuers:
    """A loaded trust list with what the service derives from it."""

    trust: TrustList
    document: Mapping[str, Any]
    origins: frozenset[str]

    @classmethod
    def from_document(cls, document: Any) -> TrustedIssuers:
        """Parse and check a trust-list document. Raises :class:`ConfigurationError` naming what is wrong."""
        try:
            trust = TrustList.from_document(document)
        except TawtiqError as exc:
            raise ConfigurationError(f"the trust list is not usable: {exc}", code="trust_list.invalid") from exc
        origins: set[str] = set()
        for identifier in trust.issuers:
            origin = issuer_origin(identifier)
            try:
                if origin is None:
                    raise ConfigurationError("unsupported identifier", code="trust_list.issuer_unsupported")
                check_fetchable(f"{origin}/")
            except TawtiqError as exc:
                raise ConfigurationError(
                    "a trusted issuer's keys could never be fetched",
                    code="trust_list.issuer_unsupported",
                    found=identifier,
                    expected="an https URL, an http URL on a loopback host, or a did:web DID",
                ) from exc
            origins.add(origin)
        return cls(trust=trust, document=document, origins=frozenset(origins))

    @property
    def version(self) -> str:
        return self.trust.version

    def is_trusted(self, issuer: str | None) -> bool:
        return issuer is not None and issuer in self.trust.issuers

    def url_is_trusted(self, url: str) -> bool:
        """Whether ``url`` is on the origin of a trusted issuer (the only places we fetch from)."""
        origin = origin_of(url)
        return origin is not None and origin in self.origins

    def name(self, issuer: str | None, locale: str) -> str | None:
        """The issuer's display name in ``locale`` (then French, English, Arabic), or None."""
        names = self.trust.names.get(issuer or "", {})
        for candidate in (locale, "fr", "en", "ar"):
            if names.get(candidate):
                return names[candidate]
        return None


class TrustListSource:
    """Holds the current trust list and refreshes it from its file or URL."""

    def __init__(
        self, *, location: str, fetcher: Fetcher, database: Database, clock: Clock, refresh_seconds: int
    ) -> None:
        self._location = location
        self._is_url = location.startswith(("https://", "http://"))
        self._fetcher = fetcher
        self._database = database
        self._clock = clock
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._current: TrustedIssuers | None = None
        self._loaded_at: datetime | None = None
        self._file_stamp: tuple[int, int] | None = None
        self._next_poll = 0.0

    @property
    def location(self) -> str:
        return self._location

    def load(self) -> TrustedIssuers:
        """Load at start-up. Raises :class:`ConfigurationError` when no usable trust list can be had."""
        with self._lock:
            self._current = self._read_url_at_start() if self._is_url else self._read_file()
            self._loaded_at = self._clock.now()
            return self._current

    def current(self) -> TrustedIssuers:
        """The trust list in force, refreshed first when its file changed or its URL is due (never raises)."""
        current = self._current
        if current is None:
            require_io("the trust list", load=self.current)
            return self.load()
        if self._is_url:
            assert self._loaded_at is not None
            if (self._clock.now() - self._loaded_at).total_seconds() >= self._refresh_seconds:
                require_io("the trust list", load=self.current)
                self._refresh_url()
        elif time.monotonic() >= self._next_poll:
            require_io("the trust list", load=self.current)
            self._refresh_file()
        assert self._current is not None
        return self._current

    def _file_state(self) -> tuple[int, int]:
        stat = Path(self._location).stat()
        return stat.st_mtime_ns, stat.st_size

    def _read_file(self) -> TrustedIssuers:
        path = Path(self._location)
        try:
            self._file_stamp = self._file_state()
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the trust list file {path}: {exc}", code="trust_list.unreadable"
            ) from exc
        self._next_poll = time.monotonic() + _FILE_POLL_SECONDS
        return TrustedIssuers.from_document(_json(raw, where=str(path)))

    def _refresh_file(self) -> None:
        with self._lock:
            if time.monotonic() < self._next_poll:
                return
            self._next_poll = time.monotonic() + _FILE_POLL_SECONDS
            try:
                if self._file_state() == self._file_stamp:
                    return
                fresh = self._read_file()
            except ConfigurationError as exc:
                log.error("trust list file changed but is not usable; keeping version %s: %s", self._version(), exc)
                return
            log.info("trust list reloaded: version %s -> %s", self._version(), fresh.version)
            self._current = fresh
            self._loaded_at = self._clock.now()

    def _fetch_url(self) -> TrustedIssuers:
        fetched = self._fetcher.get(self._location, accept="application/json", max_bytes=_MAX_TRUST_LIST_BYTES)
        return TrustedIssuers.from_document(_json(fetched.body, where=self._location))

    def _read_url_at_start(self) -> TrustedIssuers:
        now = self._clock.now()
        try:
            fresh = self._fetch_url()
        except TawtiqError as exc:
            with self._database.session() as session:
                row = session.get(TrustListRow, self._location)
            if row is None:
                raise ConfigurationError(
                    f"the trust list {self._location} cannot be fetched and no earlier copy is stored: {exc}",
                    code="trust_list.unavailable",
                ) from exc
            log.warning("trust list URL unreachable at start-up; using the copy fetched at %s", row.fetched_at)
            return TrustedIssuers.from_document(_json(row.document.encode("utf-8"), where="stored copy"))
        self._store(fresh, now)
        return fresh

    def _refresh_url(self) -> None:
        with self._lock:
            now = self._clock.now()
            if self._loaded_at is not None and (now - self._loaded_at).total_seconds() < self._refresh_seconds:
                return
            self._loaded_at = now  # one attempt per interval, whatever happens
            try:
                fresh = self._fetch_url()
            except TawtiqError as exc:
                log.warning("trust list refresh failed; keeping version %s: %s", self._version(), exc)
                return
            if self._current is None or fresh.version != self._current.version:
                log.info("trust list updated: version %s -> %s", self._version(), fresh.version)
            self._current = fresh
            self._store(fresh, now)

    def _store(self, fresh: TrustedIssuers, now: datetime) -> None:
        text = json.dumps(fresh.document, ensure_ascii=False)
        try:
            self._database.upsert(TrustListRow(source=self._location, document=text, fetched_at=now), key=("source",))
        except SQLAlchemyError as exc:
            log.error("could not keep a copy of the trust list: %s", type(exc).__name__)

    def _version(self) -> str:
        return self._current.version if self._current is not None else "(none)"


def _json(raw: bytes, *, where: str) -> Any:
    try:
        value = json_loads(raw, what=f"the trust list {where}")
        check_depth(value, what=f"the trust list {where}")
    except FormatError as exc:
        raise ConfigurationError(
            f"{exc.summary}: {exc.found}", code="trust_list.invalid", found=exc.found, expected=exc.expected
        ) from exc
    return value
