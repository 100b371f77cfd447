"""Whether the current verification may block on I/O (database, network) or must answer from memory.

The event loop verifies from memory first (no thread hop); anything that would need I/O raises
:class:`~verifier.errors.NeedsIOError` and the verification is done again in the thread pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from verifier.errors import NeedsIOError

_MEMORY_ONLY: ContextVar[bool] = ContextVar("tawtiq_verifier_memory_only", default=False)


@contextmanager
def memory_only() -> Iterator[None]:
    """Within the block, :func:`require_io` raises instead of letting I/O happen."""
    token = _MEMORY_ONLY.set(True)
    try:
        yield
    finally:
        _MEMORY_ONLY.reset(token)


def require_io(what: str) -> None:
    """Call before blocking I/O. Raises :class:`NeedsIOError` inside :func:`memory_only`."""
    if _MEMORY_ONLY.get():
        raise NeedsIOError(what)
