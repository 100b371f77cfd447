"""Where an issuer's private keys live: the :class:`KeyStore` interface and two implementations.

A store keeps the key history (public keys and their windows) beside the private keys, and hands a
private key out only as a :class:`vc.jose.Signer`, never as bytes; nothing here logs or prints one.
:class:`InMemoryKeyStore` is the fake for tests; :class:`EncryptedFileKeyStore` keeps encrypted PKCS#8
files on disk; :class:`keys.pkcs11.Pkcs11KeyStore` keeps the keys on a hardware token.
"""

from __future__ import annotations

import base64
import binascii
import re
from abc import ABC, abstractmethod
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from keys.directory import HistoryChange, KeyDirectory
from keys.history import KeyEntry, KeyHistory, KeyState, floor_to_second
from vc.errors import ConfigurationError, FormatError, KeyResolutionError
from vc.jose import Signer, SigningKey

#: The algorithm of a new key when nothing says otherwise (DESIGN §4: diplomas are signed with ES256).
DEFAULT_ALGORITHM: Final = "ES256"


class KeyStore(Protocol):
    """Creates, rotates and retires an issuer's keys, and lends out the one that signs now.

    Every method that changes the store persists the change before it returns. Times are aware
    datetimes and are kept at whole seconds (see :mod:`keys.history`).
    """

    def create(self, *, algorithm: str = DEFAULT_ALGORITHM, not_before: datetime) -> KeyEntry:
        """Generate a key that may sign from ``not_before`` (rounded down to the second) and record it."""
        ...

    def signing_key(self, *, at: datetime) -> Signer:
        """The newest key active at ``at``. Raises :class:`ConfigurationError` ``key.no_active_key``."""
        ...

    def history(self) -> KeyHistory:
        """Every key with its window, oldest first: what the issuer publishes."""
        ...

    def retire(self, kid: str, *, at: datetime) -> KeyEntry:
        """Stop ``kid`` signing at ``at``; it keeps verifying what it signed before. Returns its entry."""
        ...

    def compromise(self, kid: str, *, at: datetime) -> KeyEntry:
        """Mark ``kid`` exposed from ``at``: nothing it signed from then on verifies. Returns its entry."""
        ...

    def rotate(self, *, at: datetime) -> KeyEntry:
        """Create a key active from ``at`` and retire the keys active until then, at ``at``."""
        ...


class _HistoryBackedStore(ABC):
    """The key life cycle, shared by the stores; subclasses only keep and persist the two halves."""

    def create(self, *, algorithm: str = DEFAULT_ALGORITHM, not_before: datetime) -> KeyEntry:
        signing = self._new_key(algorithm)
        entry = KeyEntry(key=signing.public, not_before=floor_to_second(not_before, what="not_before"))
        self._commit(lambda history: history.with_entry(entry), new_key=(entry.kid, signing))
        return entry

    def signing_key(self, *, at: datetime) -> Signer:
        return self._private_key(self.history().active_signing_kid(at))

    def retire(self, kid: str, *, at: datetime) -> KeyEntry:
        return self._commit(lambda history: history.retire(kid, at)).entry(kid)

    def compromise(self, kid: str, *, at: datetime) -> KeyEntry:
        return self._commit(lambda history: history.compromise(kid, at)).entry(kid)

    def rotate(self, *, at: datetime) -> KeyEntry:
        # Every key active until now is retired, not only the one that signs: after a rotation exactly
        # one key may sign, and a key that was never used does not stay open for new signatures.
        current = self.history()
        active = [entry for entry in current.entries if entry.status(at) is KeyState.ACTIVE]
        algorithm = current.entry(current.active_signing_kid(at)).algorithm if active else DEFAULT_ALGORITHM
        signing = self._new_key(algorithm)
        entry = KeyEntry(key=signing.public, not_before=floor_to_second(at, what="at"))

        def change(history: KeyHistory) -> KeyHistory:
            updated = history.with_entry(entry)
            for old in history.entries:
                if old.status(at) is KeyState.ACTIVE:
                    updated = updated.retire(old.kid, at)
            return updated

        self._commit(change, new_key=(entry.kid, signing))
        return entry

    @abstractmethod
    def history(self) -> KeyHistory: ...

    def _new_key(self, algorithm: str) -> Signer:
        """A fresh key for ``algorithm``; :meth:`_commit` keeps it. Software keys unless a store says otherwise."""
        return SigningKey.generate(algorithm)

    @abstractmethod
    def _private_key(self, kid: str) -> Signer: ...

    @abstractmethod
    def _commit(self, change: HistoryChange, *, new_key: tuple[str, Signer] | None = None) -> KeyHistory:
        """Apply ``change`` to the stored history, keep ``new_key`` first, persist; return the new history."""


class InMemoryKeyStore(_HistoryBackedStore):
    """A :class:`KeyStore` that keeps everything in memory: the fake for tests."""

    def __init__(self) -> None:
        self._history = KeyHistory()
        self._keys: dict[str, Signer] = {}

    def history(self) -> KeyHistory:
        return self._history

    def _private_key(self, kid: str) -> Signer:
        return self._keys[kid]

    def _commit(self, change: HistoryChange, *, new_key: tuple[str, Signer] | None = None) -> KeyHistory:
        updated = change(self._history)
        if new_key is not None:
            kid, signing = new_key
            self._keys[kid] = signing
        self._history = updated
        return updated

    def __repr__(self) -> str:
        return f"InMemoryKeyStore({len(self._history.entries)} keys)"


_PEM_SUFFIX: Final = ".pem"
_KID_FILENAME: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_PEM_BEGIN: Final = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
_PEM_END: Final = b"-----END ENCRYPTED PRIVATE KEY-----"
_OPERATOR_HINT: Final = "check TAWTIQ_KEY_PASSPHRASE or the file named by TAWTIQ_KEY_PASSPHRASE_FILE"


class EncryptedFileKeyStore(_HistoryBackedStore):
    """A :class:`KeyStore` in a directory: one encrypted PKCS#8 PEM file per key and a history file.

    Layout: ``<kid>.pem`` (mode 0600, encrypted with ``passphrase`` by
    ``cryptography``'s ``BestAvailableEncryption``) beside the history of a :class:`keys.directory.KeyDirectory`.
    Every write is atomic, the private key before the history, so a crash leaves at worst an unused
    key file or a stray temporary file, both ignored. Changes hold the directory's lock and start from
    the history on disk; :meth:`history` and :meth:`signing_key` use the history as of the last open or
    change.

    Opening decrypts every key in the history, so a wrong passphrase stops the service at start-up.
    Raises :class:`ConfigurationError` with the path concerned: ``key.passphrase_missing``,
    ``key.passphrase_wrong``, ``key.directory_invalid``, ``key.directory_insecure``,
    ``key.history_missing``, ``key.history_corrupt``, ``key.history_unreadable``, ``key.file_missing``,
    ``key.file_unreadable``, ``key.file_insecure``, ``key.file_unencrypted``, ``key.file_corrupt``,
    ``key.file_mismatch``, ``key.store_write_failed``.
    """

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        if not isinstance(passphrase, bytes) or not passphrase:
            raise ConfigurationError(
                "the key store needs a passphrase",
                code="key.passphrase_missing",
                found="no passphrase" if not passphrase else type(passphrase).__name__,
                expected=f"non-empty bytes; {_OPERATOR_HINT}",
            )
        self._directory = Path(directory)
        self._passphrase = passphrase
        self._files = KeyDirectory(self._directory)

        def refuse_keys_without_history() -> None:
            strays = sorted(path.name for path in self._directory.glob(f"*{_PEM_SUFFIX}"))
            if strays:
                raise ConfigurationError(
                    "the key directory holds private keys but no key history; restore history.json from a "
                    "backup rather than start a new history, or the old keys would stop verifying",
                    code="key.history_missing",
                    found=f"{self._files.history_path}: missing; key files {strays}",
                    expected="history.json beside the key files",
                )

        # Loaded outside the lock: key files are only ever added, so every key of this history is there.
        history = self._files.open(before_new_history=refuse_keys_without_history)
        self._keys: dict[str, SigningKey] = self._load_all(history)
        self._history = history

    @property
    def directory(self) -> Path:
        """The directory holding the key files and the history."""
        return self._directory

    def history(self) -> KeyHistory:
        return self._history

    def __repr__(self) -> str:
        return f"EncryptedFileKeyStore({str(self._directory)!r})"

    def _private_key(self, kid: str) -> SigningKey:
        if kid not in self._keys:  # created by another process since this store was opened
            self._keys[kid] = self._load_private(self._history.entry(kid))
        return self._keys[kid]

    def _commit(self, change: HistoryChange, *, new_key: tuple[str, Signer] | None = None) -> KeyHistory:
        saved: tuple[str, SigningKey] | None = None
        if new_key is not None:
            kid, signing = new_key
            assert isinstance(signing, SigningKey)  # made by _new_key of this store
            saved = (kid, signing)

        def keep_private_key() -> None:
            if saved is not None:
                self._write_private(*saved)

        updated = self._files.update(change, before_write=keep_private_key)
        if saved is not None:
            self._keys[saved[0]] = saved[1]
        self._history = updated
        return updated

    def _pem_path(self, kid: str) -> Path:
        if not _KID_FILENAME.fullmatch(kid):  # a thumbprint; anything else could escape the directory
            raise ConfigurationError(
                "a kid in the key history is not an RFC 7638 thumbprint", code="key.history_corrupt", found=kid
            )
        return self._directory / f"{kid}{_PEM_SUFFIX}"

    # -- The private keys ----------------------------------------------------------------------------

    def _write_private(self, kid: str, signing: SigningKey) -> None:
        pem = signing.key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.BestAvailableEncryption(self._passphrase),
        )
        self._files.write_atomically(self._pem_path(kid), pem)

    def _load_all(self, history: KeyHistory) -> dict[str, SigningKey]:
        loaded: dict[str, SigningKey] = {}
        undecryptable: list[tuple[KeyEntry, ConfigurationError]] = []
        for entry in history.entries:
            try:
                loaded[entry.kid] = self._load_private(entry)
            except ConfigurationError as exc:
                if exc.code != "key.passphrase_wrong":
                    raise
                undecryptable.append((entry, exc))
        if undecryptable and loaded:
            # The passphrase opens the other keys, so this file is damaged rather than the passphrase wrong.
            damaged, cause = undecryptable[0]
            raise ConfigurationError(
                "a private key file does not decrypt although the passphrase opens the others; it is damaged",
                code="key.file_corrupt",
                found=str(self._pem_path(damaged.kid)),
                expected="restore the file from a backup",
            ) from cause
        if undecryptable:
            raise undecryptable[0][1]
        return loaded

    def _load_private(self, entry: KeyEntry) -> SigningKey:
        path = self._pem_path(entry.kid)
        try:
            mode = path.stat().st_mode
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigurationError(
                "the private key file of a key in the history is missing",
                code="key.file_missing",
                found=str(path),
                expected="restore the file from a backup",
            ) from exc
        except OSError as exc:
            raise ConfigurationError(
                "cannot read a private key file",
                code="key.file_unreadable",
                found=f"{path}: {exc.strerror or type(exc).__name__}",
            ) from exc
        if mode & 0o077:
            raise ConfigurationError(
                "a private key file is open to other users",
                code="key.file_insecure",
                found=f"{path}: mode {mode & 0o777:o}",
                expected=f"mode 600 (chmod 600 {path})",
            )
        self._check_pem_structure(path, data)
        try:
            private = serialization.load_pem_private_key(data, password=self._passphrase)
        except ValueError as exc:
            # The armour and base64 are intact (checked above), so the decryption itself failed.
            raise ConfigurationError(
                f"the key passphrase does not decrypt the private key; {_OPERATOR_HINT}",
                code="key.passphrase_wrong",
                found=str(path),
                expected="the passphrase the keys were written with",
            ) from exc
        except (TypeError, UnsupportedAlgorithm) as exc:
            raise ConfigurationError(
                "a private key file cannot be loaded", code="key.file_corrupt", found=f"{path}: {type(exc).__name__}"
            ) from exc
        if not isinstance(private, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            raise ConfigurationError(
                "a private key file holds an unsupported key type",
                code="key.file_corrupt",
                found=f"{path}: {type(private).__name__}",
                expected="an EC or EdDSA key",
            )
        try:
            signing = SigningKey.from_private_key(private)
        except (KeyResolutionError, FormatError) as exc:
            raise ConfigurationError(
                "a private key file holds an unsupported key", code="key.file_corrupt", found=f"{path}: {exc}"
            ) from exc
        if signing.kid != entry.kid or signing.algorithm != entry.algorithm:
            raise ConfigurationError(
                "a private key file does not match its entry in the key history",
                code="key.file_mismatch",
                found=f"{path}: kid {signing.kid}, {signing.algorithm}",
                expected=f"kid {entry.kid}, {entry.algorithm}",
            )
        return signing

    @staticmethod
    def _check_pem_structure(path: Path, data: bytes) -> None:
        text = data.strip()
        if not text.startswith(_PEM_BEGIN):
            unencrypted = text.startswith(b"-----BEGIN") and b"PRIVATE KEY-----" in text.splitlines()[0]
            raise ConfigurationError(
                "a private key file is not encrypted" if unencrypted else "a private key file is not a PEM key",
                code="key.file_unencrypted" if unencrypted else "key.file_corrupt",
                found=str(path),
                expected="an encrypted PKCS#8 PEM file (BEGIN ENCRYPTED PRIVATE KEY)",
            )
        if not text.endswith(_PEM_END):
            raise ConfigurationError(
                "a private key file is truncated",
                code="key.file_corrupt",
                found=str(path),
                expected="a PEM file ending in END ENCRYPTED PRIVATE KEY",
            )
        body = b"".join(text[len(_PEM_BEGIN) : -len(_PEM_END)].split())
        try:
            base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise ConfigurationError(
                "a private key file is damaged", code="key.file_corrupt", found=str(path), expected="valid base64"
            ) from exc
