"""Whether the current verification may block on I/O (database, network) or must answer from memory.

The event loop verifies from memory first (no thread hop); anything that would need I/O raises
:class:`~verifier.errors.NeedsIOError`, naming what it needs and how to load it, and the caller loads that in the
fetch pool (:mod:`verifier.fetch_pool`) and verifies from memory again. A load that failed, or did not finish
within the fetch bound, is answered from then on with its error, as a blocking fetch would have raised it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from vc import TawtiqError
from verifier.errors import NeedsIOError

#: None: I/O allowed; else memory only, with the errors of the loads that failed for this verification.
_MEMORY_ONLY: ContextVar[Mapping[str, TawtiqError] | None] = ContextVar("tawtiq_verifier_memory_only", default=None)


@contextmanager
def memory_only(failed: Mapping[str, TawtiqError] | None = None) -> Iterator[None]:
    """Within the block, :func:`require_io` raises instead of letting I/O happen: ``failed[what]`` for a load that
    failed, else :class:`NeedsIOError`."""
    token = _MEMORY_ONLY.set(MappingProxyType(dict(failed or {})))
    try:
        yield
    finally:
        _MEMORY_ONLY.reset(token)


def require_io(what: str, *, load: Callable[[], object] | None = None) -> None:
    """Call before blocking I/O for ``what``; ``load`` does that I/O (filling the caches) when called elsewhere.

    Raises, inside :func:`memory_only`, the error its load for ``what`` failed with, else :class:`NeedsIOError`.
    """
    failed = _MEMORY_ONLY.get()
    if failed is None:
        return
    if what in failed:
        raise failed[what]
    raise NeedsIOError(what, load)
