"""Files that hold personal data, written so that only their owner can read them and never seen half-written.

A :class:`PrivateFile` streams text to a temporary file beside its target (mode 0600 from the moment it
exists), then flushes it to disk and renames it over the target (``os.replace``), so a reader sees the old
file or the new one, never a partial one; a discarded or failed write leaves nothing behind. Directories
the write has to create are created with mode 0700; directories that already exist are left as they are.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Final

#: Mode of a file holding personal data: read and write for its owner only.
PRIVATE_FILE_MODE: Final = 0o600
#: Mode of a directory created to hold such files.
PRIVATE_DIRECTORY_MODE: Final = 0o700
_TEMPORARY_SUFFIX: Final = ".partial"


def make_private_directories(directory: Path) -> None:
    """Create ``directory`` and its missing parents with mode 0700; existing directories keep their mode.

    Raises :class:`OSError` when a directory cannot be created.
    """
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:  # pragma: no cover - the root always exists
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIRECTORY_MODE)
        except FileExistsError:  # created meanwhile by someone else: theirs, leave it as it is
            continue
        path.chmod(PRIVATE_DIRECTORY_MODE)  # mkdir's mode is filtered by the umask


class PrivateFile:
    """A text file being written: ``handle`` takes the text, :meth:`commit` puts it in place, :meth:`discard` drops it.

    Used as a context manager it commits when the block ends normally and discards when it raises. Raises
    :class:`OSError` when the file (or a missing directory) cannot be created, written or renamed.
    """

    def __init__(self, path: Path, *, encoding: str = "utf-8", newline: str = "") -> None:
        self.path = path
        make_private_directories(path.parent)
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMPORARY_SUFFIX, dir=path.parent)
        self._temporary: Path | None = Path(name)
        try:
            os.fchmod(descriptor, PRIVATE_FILE_MODE)
            self.handle: IO[str] = os.fdopen(descriptor, "w", encoding=encoding, newline=newline)
        except BaseException:
            os.close(descriptor)
            self._temporary.unlink(missing_ok=True)
            raise

    def commit(self) -> Path:
        """Flush the text to disk and rename it over ``path`` (mode 0600); returns ``path``."""
        if self._temporary is None:
            raise ValueError(f"{self.path}: the file was already committed or discarded")
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.replace(self._temporary, self.path)
        except BaseException:
            self.discard()
            raise
        self._temporary = None
        return self.path

    def discard(self) -> None:
        """Drop what was written; the target is left as it was. Does nothing after :meth:`commit`."""
        if not self.handle.closed:
            self.handle.close()
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None

    def __enter__(self) -> PrivateFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
