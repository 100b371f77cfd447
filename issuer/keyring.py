"""The issuer's keys as the running service sees them: a key store that follows changes made elsewhere.

``tawtiq keys rotate`` runs in another process than the server. :class:`Keyring` wraps the
:class:`keys.KeyStore` and, for the encrypted file store, re-opens it when ``history.json`` changes
(checked at most once a second), so a rotation or a compromise reaches the published metadata, the
status lists and new signatures without a restart. Private keys stay inside the store.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Final

from keys import EncryptedFileKeyStore, KeyHistory, KeyStore
from vc import Signer

_CHECK_INTERVAL_SECONDS: Final = 1.0


class Keyring:
    """A key store plus the means to reload it. Thread-safe."""

    def __init__(
        self,
        store: KeyStore,
        *,
        reopen: Callable[[], KeyStore] | None = None,
        watch: Path | None = None,
    ) -> None:
        self._store = store
        self._reopen = reopen
        self._watch = watch
        self._seen = self._fingerprint()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, directory: Path, passphrase: bytes) -> Keyring:
        """Open (or create) the encrypted key store in ``directory``.

        Raises :class:`vc.ConfigurationError` for a wrong passphrase or a damaged store.
        """

        def reopen() -> KeyStore:
            return EncryptedFileKeyStore(directory, passphrase)

        return cls(reopen(), reopen=reopen, watch=directory / "history.json")

    @property
    def store(self) -> KeyStore:
        """The key store, for the key-management commands."""
        self._refresh()
        return self._store

    def history(self) -> KeyHistory:
        """Every key with its window, as currently stored."""
        self._refresh()
        return self._store.history()

    def signing_key(self, *, at: datetime) -> Signer:
        """The key that signs at ``at``. Raises :class:`vc.ConfigurationError` ``key.no_active_key``."""
        self._refresh()
        return self._store.signing_key(at=at)

    def _fingerprint(self) -> tuple[int, int, int] | None:
        if self._watch is None:
            return None
        try:
            stat = os.stat(self._watch)
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _refresh(self) -> None:
        if self._reopen is None or time.monotonic() - self._checked < _CHECK_INTERVAL_SECONDS:
            return
        with self._lock:
            self._checked = time.monotonic()
            current = self._fingerprint()
            if current != self._seen:
                self._store = self._reopen()
                self._seen = current

    def reload(self) -> None:
        """Re-open the store now (after this process changed it through another handle)."""
        if self._reopen is not None:
            with self._lock:
                self._store = self._reopen()
                self._seen = self._fingerprint()
                self._checked = time.monotonic()
