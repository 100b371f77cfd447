"""The issuer's keys as the running service sees them: a key store that follows changes made elsewhere.

``tawtiq keys rotate`` runs in another process than the server. :class:`Keyring` wraps the
:class:`keys.KeyStore` and, for the persistent stores, re-opens it when ``history.json`` changes
(checked at most once a second), so a rotation or a compromise reaches the published metadata, the
status lists and new signatures without a restart. Private keys stay inside the store.
:meth:`Keyring.from_settings` is the one place that picks the store the settings name.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from keys import EncryptedFileKeyStore, KeyHistory, KeyStore
from keys.directory import HISTORY_FILE
from vc import Signer

if TYPE_CHECKING:  # pragma: no cover
    from issuer.settings import Settings

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

        return cls(reopen(), reopen=reopen, watch=directory / HISTORY_FILE)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """Open the key store the settings select (``TAWTIQ_KEY_STORE``).

        ``file``: the encrypted store in the key directory, with the key passphrase. ``pkcs11``: the token
        named by the PKCS#11 settings, with the PIN from its file, and the key history in the key
        directory. Raises :class:`vc.ConfigurationError` for a missing or wrong secret, module or token.
        """
        directory = settings.resolved_key_dir
        if settings.key_store == "file":
            return cls.open(directory, settings.key_passphrase_bytes())
        from keys.pkcs11 import Pkcs11KeyStore, load_pin  # loads PKCS#11 only where it is configured

        pin = load_pin(settings.pkcs11_pin_file)
        module, label = settings.pkcs11_module, settings.pkcs11_token_label
        assert module is not None  # the settings refuse pkcs11 without a module
        assert label is not None  # and without a token label

        def reopen() -> KeyStore:
            return Pkcs11KeyStore(module=module, token_label=label, pin=pin, directory=directory)

        return cls(reopen(), reopen=reopen, watch=directory / HISTORY_FILE)

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
