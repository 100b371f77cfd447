"""Errors of the verifier service: the common request errors (:mod:`common.service.problems`) and its own.

Each error carries a stable ``code`` and the HTTP status it maps to. Routes never build error responses
themselves: they raise one of these (or the engine's) and the common handlers turn it into an RFC 9457
problem detail (``application/problem+json``) once, at the boundary; the OpenID4VP endpoints answer
:class:`~common.service.problems.OAuthError` as an OAuth error object. Fetch errors are the common fetcher's
(:mod:`common.fetch`).
"""

from __future__ import annotations

from collections.abc import Callable

from common.service.problems import (
    PROBLEM_BASE,
    ForbiddenError,
    GoneError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    ServiceUnavailableError,
)

__all__ = [
    "PROBLEM_BASE",
    "ForbiddenError",
    "GoneError",
    "NeedsIOError",
    "NotFoundError",
    "RateLimitedError",
    "RequestError",
    "ServiceUnavailableError",
]


class NeedsIOError(Exception):
    """Raised inside a memory-only verification when an answer needs the database or the network.

    Deliberately not a :class:`~vc.TawtiqError`: the engine must not turn it into a check result; the caller
    catches it, runs ``load`` in the fetch pool and verifies from memory again (see
    :meth:`verifier.verification.Verifier.verify_async`).
    """

    def __init__(self, what: str, load: Callable[[], object] | None = None) -> None:
        super().__init__(what)
        #: What is needed (also the key under which concurrent loads of it are joined).
        self.what = what
        #: Does the I/O and fills the caches; None when only a blocking verification can get it.
        self.load = load
