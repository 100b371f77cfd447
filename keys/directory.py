"""The directory a key store keeps its key history in: the lock, ``history.json`` and atomic writes.

Both persistent stores use it: the encrypted file store keeps its key files beside the history, the
PKCS#11 store keeps only the history here (the keys stay on the token). The directory has mode 0700 and
is created if missing. Every write goes to a temporary file in the same directory, is fsynced and then
renamed over its target, so a crash leaves at worst a stray temporary file, removed on the next open.
Changes hold an exclusive ``flock`` on the directory and start from the history on disk, so two
processes do not overwrite each other's changes.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeAlias

from keys.history import KeyHistory
from vc.encoding import json_object
from vc.errors import ConfigurationError, FormatError, KeyResolutionError

HistoryChange: TypeAlias = Callable[[KeyHistory], KeyHistory]

HISTORY_FILE: Final = "history.json"
_LOCK_FILE: Final = ".lock"
_TEMP_SUFFIX: Final = ".tmp"
_HISTORY_VERSION: Final = 1
#: Member of ``history.json`` listing every kid in the order the store added the keys.
_ORDER_MEMBER: Final = "order"


class KeyDirectory:
    """A key store's directory and its ``history.json`` (the history as :meth:`KeyHistory.to_jwks`
    writes it, plus ``"version": 1``).

    Raises :class:`ConfigurationError` with the path concerned: ``key.directory_invalid``,
    ``key.directory_insecure``, ``key.history_missing``, ``key.history_corrupt``,
    ``key.history_unreadable``, ``key.store_write_failed``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._prepare()

    @property
    def history_path(self) -> Path:
        """``history.json`` in the directory."""
        return self.path / HISTORY_FILE

    def open(self, *, before_new_history: Callable[[], None] = lambda: None) -> KeyHistory:
        """Remove what a crashed write left, and return the stored history.

        Where there is none yet, ``before_new_history`` runs (it may refuse, e.g. when key files exist
        without a history) and an empty history is written.
        """
        with self.locked():
            for stray in self.path.glob(f".*{_TEMP_SUFFIX}"):  # under the lock no write is in progress
                stray.unlink(missing_ok=True)
            history = self.read_history()
            if history is None:
                before_new_history()
                history = KeyHistory()
                self.write_history(history)
            return history

    def update(self, change: HistoryChange, *, before_write: Callable[[], None] = lambda: None) -> KeyHistory:
        """Apply ``change`` to the history on disk under the lock; ``before_write`` runs first (it keeps a
        new private key, so the history never names a key that was not saved). Returns the new history."""
        with self.locked():
            current = self.read_history()
            if current is None:
                raise ConfigurationError(
                    "the key history disappeared while the store was open",
                    code="key.history_missing",
                    found=f"{self.history_path}: missing",
                    expected="history.json in the key directory",
                )
            updated = change(current)
            before_write()
            self.write_history(updated)
        return updated

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's exclusive lock."""
        path = self.path / _LOCK_FILE
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigurationError(
                "cannot open the key store lock file",
                code="key.store_write_failed",
                found=f"{path}: {exc.strerror or type(exc).__name__}",
            ) from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def read_history(self) -> KeyHistory | None:
        """The stored history, or ``None`` if there is no history file."""
        path = self.history_path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigurationError(
                "cannot read the key history",
                code="key.history_unreadable",
                found=f"{path}: {exc.strerror or type(exc).__name__}",
            ) from exc
        try:
            document = json_object(data, what="key history")
            version = document.get("version")
            if version != _HISTORY_VERSION:
                raise FormatError(
                    "unsupported key history version", code="key.history_version", found=version, expected=1
                )
            return _in_order(KeyHistory.from_jwks(document), document.get(_ORDER_MEMBER))
        except (FormatError, KeyResolutionError) as exc:
            raise ConfigurationError(
                f"the key history file is damaged ({exc.summary}); restore it from a backup",
                code="key.history_corrupt",
                found=f"{path}: [{exc.code}] {exc.found if exc.found is not None else ''}".rstrip(),
                expected=exc.expected if exc.expected is not None else "the history written by this store",
            ) from exc

    def write_history(self, history: KeyHistory) -> None:
        """Replace ``history.json`` atomically."""
        document: dict[str, Any] = {"version": _HISTORY_VERSION, **history.to_jwks(), _ORDER_MEMBER: list(history.kids)}
        self.write_atomically(self.history_path, json.dumps(document, indent=2).encode("utf-8") + b"\n")

    def write_atomically(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` through a fsynced temporary file and a rename; mode 0600."""
        temporary: Path | None = None
        try:
            descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=self.path)
            temporary = Path(name)
            with os.fdopen(descriptor, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self._replace_file(temporary, path)
            temporary = None
            self._sync_directory()
        except OSError as exc:
            raise ConfigurationError(
                "cannot write to the key store; reopen it to see what was saved",
                code="key.store_write_failed",
                found=f"{path}: {exc.strerror or exc}",
            ) from exc
        finally:
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    def _replace_file(self, source: Path, target: Path) -> None:
        """Rename ``source`` over ``target`` atomically (a separate step so tests can make it fail)."""
        os.replace(source, target)

    def _sync_directory(self) -> None:
        descriptor = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _prepare(self) -> None:
        directory = self.path
        try:
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True)
                directory.chmod(0o700)
            mode = directory.stat().st_mode
        except OSError as exc:
            raise ConfigurationError(
                "cannot create or read the key directory",
                code="key.directory_invalid",
                found=f"{directory}: {exc.strerror or type(exc).__name__}",
                expected="a directory this service owns",
            ) from exc
        if not directory.is_dir():
            raise ConfigurationError(
                "the key directory is not a directory", code="key.directory_invalid", found=str(directory)
            )
        if mode & 0o077:
            raise ConfigurationError(
                "the key directory is open to other users",
                code="key.directory_insecure",
                found=f"{directory}: mode {mode & 0o777:o}",
                expected=f"mode 700 (chmod 700 {directory})",
            )


def _in_order(history: KeyHistory, order: Any) -> KeyHistory:
    """``history`` with its entries in the order the store added them (the published JWK Set lists compromised
    keys apart). A file without the order, or with one that does not name exactly its keys, keeps the set's order.
    """
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(history.kids):
        return history
    position = {kid: index for index, kid in enumerate(order)}
    return KeyHistory(tuple(sorted(history.entries, key=lambda entry: position[entry.kid])))
