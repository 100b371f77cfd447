"""The wallet's store: one encrypted, authenticated file in a directory only its owner can read.

Layout of the wallet directory (``0700``; every file ``0600``)::

    wallet.json        the store: an envelope around the encrypted wallet content
    wallet.json.prev   the previous version, kept by every write (a way back if the disk damages the store)
    wallet.lock        the lock that serialises concurrent invocations

The envelope (also the format of backups, with ``"format": "tawtiq-wallet-backup"``)::

    {"format": "tawtiq-wallet", "version": 1,
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<16 random bytes, base64url>"},
     "cipher": "AES-256-GCM",
     "check": "<HMAC-SHA-256(check key, 'tawtiq-wallet passphrase check'), base64url>",
     "nonce": "<12 random bytes, base64url>",
     "ciphertext": "<AES-256-GCM(content key, nonce, JSON content, aad = the header), base64url>"}

scrypt derives 64 bytes from the passphrase and salt: the first 32 are the AES-256-GCM content key, the last
32 the key of the ``check`` value. The header (every member but ``nonce`` and ``ciphertext``) is the
ciphertext's associated data, so changing any byte of the file — header or content — makes it fail to open.
The check value lets the wallet tell a wrong passphrase (check differs) from a damaged or modified file
(check matches, the authentication tag does not). Everything is encrypted: holder keys, credentials (they
carry the CNIE number and birth data), share-link revoke tokens, the verifiers met.

Writes are atomic (a new temporary file, ``fsync``, ``os.replace``, ``fsync`` of the directory) and happen
under an exclusive lock after re-reading the file, so concurrent invocations never lose each other's
changes. A store that does not open is never overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from vc.encoding import b64url_decode, b64url_encode
from vc.errors import FormatError
from wallet_cli.documents import read_object
from wallet_cli.errors import PassphraseError, StoreCorruptError, UsageError
from wallet_cli.model import WalletData

STORE_FORMAT: Final = "tawtiq-wallet"
BACKUP_FORMAT: Final = "tawtiq-wallet-backup"
ENVELOPE_VERSION: Final = 1
CIPHER: Final = "AES-256-GCM"
STORE_FILE: Final = "wallet.json"
PREVIOUS_FILE: Final = "wallet.json.prev"
LOCK_FILE: Final = "wallet.lock"
#: Shortest passphrase a new wallet or backup accepts, in characters.
MIN_PASSPHRASE_CHARS: Final = 8
#: Largest store or backup file read, in bytes (a wallet holds a few diplomas of a few kilobytes each).
MAX_FILE_BYTES: Final = 16 * 1024 * 1024
_CHECK_MESSAGE: Final = b"tawtiq-wallet passphrase check"
_SALT_BYTES: Final = 16
_NONCE_BYTES: Final = 12

T = TypeVar("T")


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost parameters: ``n`` (CPU/memory cost, a power of two), ``r`` (block size), ``p`` (parallelism)."""

    n: int
    r: int
    p: int

    def check(self) -> None:
        """Refuse parameters weaker than :data:`MIN_KDF` or heavier than :data:`MAX_KDF_MEMORY_BYTES` allows."""
        power_of_two = self.n > 1 and self.n & (self.n - 1) == 0
        if not power_of_two or self.n < MIN_KDF.n or self.r < MIN_KDF.r or not 1 <= self.p <= 16:
            raise StoreCorruptError(
                "the file asks for key-derivation parameters this wallet does not accept",
                code="store.kdf_invalid",
                found={"n": self.n, "r": self.r, "p": self.p},
                expected=f"scrypt with n >= {MIN_KDF.n} (a power of two), r >= {MIN_KDF.r}, 1 <= p <= 16",
            )
        if 128 * self.r * self.n * self.p > MAX_KDF_MEMORY_BYTES:
            raise StoreCorruptError(
                "the file asks for a key derivation heavier than this wallet allows",
                code="store.kdf_too_heavy",
                found={"n": self.n, "r": self.r, "p": self.p},
                expected=f"at most {MAX_KDF_MEMORY_BYTES // (1024 * 1024)} MiB of scrypt memory",
            )


#: What new stores and backups use: 128 MiB and about half a second per opening (OWASP's scrypt minimum).
STRONG_KDF: Final = KdfParams(n=2**17, r=8, p=1)
#: The weakest parameters a file may name; anything below is refused as tampering.
MIN_KDF: Final = KdfParams(n=2**14, r=8, p=1)
MAX_KDF_MEMORY_BYTES: Final = 1024 * 1024 * 1024


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _damaged(f"'{what}' is missing")
    try:
        return b64url_decode(text, what=what)
    except FormatError:
        raise _damaged(f"'{what}' is not base64url") from None


def _damaged(detail: str, *, what: str = "wallet file") -> StoreCorruptError:
    return StoreCorruptError(f"the {what} is damaged: {detail}", code="store.corrupt")


@dataclass(frozen=True)
class DerivedKeys:
    """Keys derived from one passphrase and one salt."""

    kdf: KdfParams
    salt: bytes
    content: bytes
    check: bytes

    @classmethod
    def derive(cls, passphrase: bytes, *, kdf: KdfParams, salt: bytes) -> DerivedKeys:
        material = Scrypt(salt=salt, length=64, n=kdf.n, r=kdf.r, p=kdf.p).derive(passphrase)
        return cls(kdf=kdf, salt=salt, content=material[:32], check=material[32:])

    def check_value(self) -> bytes:
        return hmac.new(self.check, _CHECK_MESSAGE, hashlib.sha256).digest()


def _header(file_format: str, keys: DerivedKeys) -> dict[str, Any]:
    return {
        "format": file_format,
        "version": ENVELOPE_VERSION,
        "kdf": {"name": "scrypt", "n": keys.kdf.n, "r": keys.kdf.r, "p": keys.kdf.p, "salt": b64url_encode(keys.salt)},
        "cipher": CIPHER,
        "check": b64url_encode(keys.check_value()),
    }


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def seal(data: WalletData, keys: DerivedKeys, *, file_format: str) -> bytes:
    """The envelope of ``data`` encrypted under ``keys`` with a fresh nonce."""
    header = _header(file_format, keys)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plaintext = json.dumps(data.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ciphertext = AESGCM(keys.content).encrypt(nonce, plaintext, _aad(header))
    envelope = {**header, "nonce": b64url_encode(nonce), "ciphertext": b64url_encode(ciphertext)}
    return (json.dumps(envelope, indent=1) + "\n").encode("ascii")


@dataclass(frozen=True)
class _Envelope:
    header: dict[str, Any]
    kdf: KdfParams
    salt: bytes
    check: bytes
    nonce: bytes
    ciphertext: bytes


def _parse_envelope(raw: bytes, *, file_format: str, what: str) -> _Envelope:
    try:
        document = read_object(raw, what="it")
    except FormatError as exc:
        if exc.code == "format.too_deep":
            raise _damaged(f"{exc.summary} ({exc.found})", what=what) from None
        raise _damaged("it is not a complete JSON object (truncated or overwritten?)", what=what) from None
    if document.get("format") != file_format:
        raise StoreCorruptError(
            f"the {what} is not a {file_format} file",
            code="store.format_unknown",
            found=document.get("format"),
            expected=file_format,
        )
    if document.get("version") != ENVELOPE_VERSION or document.get("cipher") != CIPHER:
        raise StoreCorruptError(
            f"the {what} uses a version or cipher this wallet does not know",
            code="store.version_unknown",
            found={"version": document.get("version"), "cipher": document.get("cipher")},
            expected={"version": ENVELOPE_VERSION, "cipher": CIPHER},
        )
    kdf_document = document.get("kdf")
    if not isinstance(kdf_document, dict) or kdf_document.get("name") != "scrypt":
        raise _damaged("its key-derivation parameters are missing", what=what)
    numbers = [kdf_document.get(name) for name in ("n", "r", "p")]
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in numbers):
        raise _damaged("its key-derivation parameters are not numbers", what=what)
    kdf = KdfParams(n=int(numbers[0] or 0), r=int(numbers[1] or 0), p=int(numbers[2] or 0))
    kdf.check()
    salt = _unb64(kdf_document.get("salt"), "kdf.salt")
    if len(salt) < _SALT_BYTES:
        raise _damaged("its salt is too short", what=what)
    header: dict[str, Any] = {
        name: document[name] for name in ("format", "version", "kdf", "cipher", "check") if name in document
    }
    if set(document) != {*header, "nonce", "ciphertext"}:
        raise _damaged("it has missing or unexpected members", what=what)
    nonce = _unb64(document.get("nonce"), "nonce")
    if len(nonce) != _NONCE_BYTES:
        raise _damaged("its nonce has the wrong length", what=what)
    return _Envelope(
        header=header,
        kdf=kdf,
        salt=salt,
        check=_unb64(document.get("check"), "check"),
        nonce=nonce,
        ciphertext=_unb64(document.get("ciphertext"), "ciphertext"),
    )


def _open(envelope: _Envelope, keys: DerivedKeys, *, what: str, hint: str) -> WalletData:
    if not hmac.compare_digest(keys.check_value(), envelope.check):
        raise PassphraseError(f"the passphrase does not open this {what}", code="store.passphrase_wrong", hint=hint)
    try:
        plaintext = AESGCM(keys.content).decrypt(envelope.nonce, envelope.ciphertext, _aad(envelope.header))
    except InvalidTag:
        raise StoreCorruptError(
            f"the {what} was modified or damaged: its content does not match its authentication tag",
            code="store.tampered",
        ) from None
    try:
        document = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _damaged("its decrypted content is not JSON", what=what) from None
    return WalletData.from_json(document)


def open_sealed(
    raw: bytes, passphrase: bytes, *, file_format: str, what: str, hint: str
) -> tuple[WalletData, DerivedKeys]:
    """Decrypt an envelope. Raises :class:`PassphraseError` or :class:`StoreCorruptError`."""
    envelope = _parse_envelope(raw, file_format=file_format, what=what)
    keys = DerivedKeys.derive(passphrase, kdf=envelope.kdf, salt=envelope.salt)
    return _open(envelope, keys, what=what, hint=hint), keys


def new_keys(passphrase: bytes, kdf: KdfParams) -> DerivedKeys:
    """Keys for a new store or backup: a fresh salt."""
    return DerivedKeys.derive(passphrase, kdf=kdf, salt=secrets.token_bytes(_SALT_BYTES))


def check_new_passphrase(passphrase: bytes) -> None:
    """Refuse a passphrase too short to protect holder keys and personal data. Raises :class:`UsageError`."""
    text = passphrase.decode("utf-8", "replace")
    if len(text.strip()) < MIN_PASSPHRASE_CHARS:
        raise UsageError(
            f"the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters",
            code="passphrase.weak",
            hint="A few unrelated words make a passphrase that is long and easy to remember.",
        )


# ---------------------------------------------------------------------------------------------- files


def write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` by ``content`` (mode 0600) so that a crash leaves the old or the new file, never half."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_limited(path: Path, *, what: str) -> bytes:
    """The bytes of ``path``, refusing files larger than :data:`MAX_FILE_BYTES`. Raises :class:`UsageError`."""
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"the {what} {path} does not exist", code="file.missing") from None
    except OSError as exc:
        raise UsageError(f"the {what} {path} cannot be read: {exc.strerror}", code="file.unreadable") from exc
    if len(content) > MAX_FILE_BYTES:
        raise StoreCorruptError(
            f"the {what} {path} is larger than any wallet file", code="store.too_large", expected="at most 16 MiB"
        )
    return content


class _FileLock:
    """An advisory lock on a file (``flock`` on POSIX, ``msvcrt.locking`` on Windows), polled until a deadline."""

    def __init__(self, path: Path, *, timeout_seconds: float) -> None:
        self.path = path
        self.timeout_seconds = timeout_seconds
        self._handle: IO[bytes] | None = None

    def acquire(self, *, exclusive: bool) -> None:
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(descriptor, "r+b")
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            try:
                _lock(handle, exclusive=exclusive)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise UsageError(
                        "the wallet is in use by another tawtiq-wallet command",
                        code="store.busy",
                        hint="Wait for it to finish and try again.",
                    ) from None
                time.sleep(0.05)
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            _unlock(self._handle)
            self._handle.close()
            self._handle = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[bytes], *, exclusive: bool) -> None:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError from exc

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes], *, exclusive: bool) -> None:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------- the store

_NOT_OPENED_ADVICE: Final = (
    "Check the passphrase (TAWTIQ_WALLET_PASSPHRASE if set). Nothing was changed. Without the passphrase the "
    "wallet cannot be opened by anyone: restore a backup with `tawtiq-wallet import` into a new wallet."
)


class Store:
    """The encrypted store in ``directory``. Every method that opens it takes the passphrase."""

    def __init__(self, directory: Path, *, kdf: KdfParams = STRONG_KDF, lock_timeout_seconds: float = 30.0) -> None:
        self.directory = directory
        self.kdf = kdf
        self.lock_timeout_seconds = lock_timeout_seconds

    @property
    def path(self) -> Path:
        return self.directory / STORE_FILE

    @property
    def previous_path(self) -> Path:
        return self.directory / PREVIOUS_FILE

    def exists(self) -> bool:
        return self.path.exists()

    def require(self) -> None:
        """Raise :class:`UsageError` ``wallet.missing`` if there is no wallet here."""
        if not self.exists():
            raise UsageError(
                f"there is no wallet in {self.directory}",
                code="wallet.missing",
                hint="Create one with `tawtiq-wallet init` (or choose another with --wallet / TAWTIQ_WALLET_DIR).",
            )

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        lock = _FileLock(self.directory / LOCK_FILE, timeout_seconds=self.lock_timeout_seconds)
        lock.acquire(exclusive=exclusive)
        try:
            yield
        finally:
            lock.release()

    def tighten_permissions(self) -> list[str]:
        """Make the directory 0700 and its files 0600; return what had to be changed (to warn the holder)."""
        changed: list[str] = []
        if sys.platform == "win32":  # pragma: no cover - POSIX modes do not apply
            return changed
        for target, mode in [(self.directory, 0o700)] + [
            (self.directory / name, 0o600) for name in (STORE_FILE, PREVIOUS_FILE, LOCK_FILE)
        ]:
            try:
                current = stat.S_IMODE(target.stat().st_mode)
            except FileNotFoundError:
                continue
            if current & 0o077:
                os.chmod(target, mode)
                changed.append(f"{target} was readable by others (mode {current:o}); now {mode:o}")
        return changed

    def create(self, passphrase: bytes, data: WalletData | None = None) -> None:
        """Create a new store. Raises :class:`UsageError` if one exists or the passphrase is weak."""
        check_new_passphrase(passphrase)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if sys.platform != "win32":
            os.chmod(self.directory, 0o700)
        with self._locked(exclusive=True):
            if self.exists():
                raise UsageError(
                    f"a wallet already exists in {self.directory}",
                    code="wallet.exists",
                    hint="Use it, or choose another directory with --wallet.",
                )
            write_atomically(
                self.path, seal(data or WalletData(), new_keys(passphrase, self.kdf), file_format=STORE_FORMAT)
            )

    def _read(self, passphrase: bytes, keys: DerivedKeys | None) -> tuple[WalletData, DerivedKeys]:
        raw = read_limited(self.path, what="wallet file")
        envelope = _parse_envelope(raw, file_format=STORE_FORMAT, what="wallet file")
        if keys is None or keys.salt != envelope.salt or keys.kdf != envelope.kdf:
            keys = DerivedKeys.derive(passphrase, kdf=envelope.kdf, salt=envelope.salt)
        return _open(envelope, keys, what="wallet file", hint=_NOT_OPENED_ADVICE), keys

    def _explained(self, error: StoreCorruptError) -> StoreCorruptError:
        previous = (
            f" The version before the last change is kept in {self.previous_path}."
            if self.previous_path.exists()
            else ""
        )
        error.hint = (
            f"Nothing was changed and the damaged file {self.path} is left as it is.{previous} Keep a copy of both, "
            "then either move the previous version into place or restore a backup with `tawtiq-wallet import` "
            "into a new wallet."
        )
        return error

    def read(self, passphrase: bytes) -> OpenWallet:
        """Open the store for reading (and later updates with the same passphrase)."""
        self.require()
        with self._locked(exclusive=False):
            try:
                data, keys = self._read(passphrase, None)
            except StoreCorruptError as exc:
                raise self._explained(exc) from None
        return OpenWallet(self, passphrase, keys, data)

    def _write(self, data: WalletData, keys: DerivedKeys, *, previous: bytes | None) -> None:
        if previous is not None:
            write_atomically(self.previous_path, previous)
        write_atomically(self.path, seal(data, keys, file_format=STORE_FORMAT))

    def update(
        self,
        passphrase: bytes,
        change: Callable[[WalletData], tuple[WalletData, T]],
        *,
        keys: DerivedKeys | None = None,
    ) -> tuple[WalletData, T]:
        """Apply ``change`` to the current content under the exclusive lock and write the result atomically.

        ``change`` returns the new content and a value handed back to the caller; it may raise to change
        nothing. The file is re-read inside the lock, so changes made meanwhile by another command are kept.
        """
        self.require()
        with self._locked(exclusive=True):
            previous = read_limited(self.path, what="wallet file")
            try:
                current, keys = self._read(passphrase, keys)
            except StoreCorruptError as exc:
                raise self._explained(exc) from None
            updated, result = change(current)
            if updated != current:
                self._write(updated, keys, previous=previous)
        return updated, result

    def replace_all(self, passphrase: bytes, data: WalletData, *, keys: DerivedKeys | None = None) -> None:
        """Write ``data`` as the whole content (import), keeping the current version as the previous one."""
        self.update(passphrase, lambda _current: (data, None), keys=keys)

    def change_passphrase(self, old: bytes, new: bytes) -> None:
        """Re-encrypt the store under ``new`` (fresh salt). Raises :class:`PassphraseError` for a wrong ``old``."""
        check_new_passphrase(new)
        self.require()
        with self._locked(exclusive=True):
            try:
                data, _keys = self._read(old, None)
            except StoreCorruptError as exc:
                raise self._explained(exc) from None
            # The previous version is encrypted under the old passphrase: replace it too, or the old
            # passphrase would keep opening yesterday's wallet.
            keys = new_keys(new, self.kdf)
            write_atomically(self.previous_path, seal(data, keys, file_format=STORE_FORMAT))
            write_atomically(self.path, seal(data, keys, file_format=STORE_FORMAT))


@dataclass
class OpenWallet:
    """A store opened with a passphrase: its content when read, and the derived keys for later updates."""

    store: Store
    passphrase: bytes
    keys: DerivedKeys
    data: WalletData

    def update(self, change: Callable[[WalletData], tuple[WalletData, T]]) -> T:
        """See :meth:`Store.update`; reuses the derived keys when the file still has the same salt."""
        self.data, result = self.store.update(self.passphrase, change, keys=self.keys)
        return result


def export_backup(data: WalletData, passphrase: bytes, *, kdf: KdfParams = STRONG_KDF) -> bytes:
    """An encrypted, authenticated backup of ``data`` under its own passphrase."""
    check_new_passphrase(passphrase)
    return seal(data, new_keys(passphrase, kdf), file_format=BACKUP_FORMAT)


def read_backup(raw: bytes, passphrase: bytes) -> WalletData:
    """The content of a backup. Raises :class:`PassphraseError` or :class:`StoreCorruptError`."""
    data, _keys = open_sealed(
        raw,
        passphrase,
        file_format=BACKUP_FORMAT,
        what="backup",
        hint="Give the passphrase chosen when the backup was made (TAWTIQ_WALLET_BACKUP_PASSPHRASE for scripts).",
    )
    return data
