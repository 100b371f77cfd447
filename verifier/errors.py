"""Errors of the verifier service, on top of the engine's three families (:mod:`vc.errors`).

Each error carries a stable ``code`` and the HTTP status it maps to. Routes never build error responses
themselves: they raise one of these (or the engine's) and the application's handlers turn it into an RFC 9457
problem detail (``application/problem+json``) once, at the boundary.
"""

from __future__ import annotations

from typing import Any, Final

from vc.errors import CredentialError, TawtiqError, UpstreamError

#: Base of the ``type`` URIs of our own problem details.
PROBLEM_BASE: Final = "https://tawtiq.ma/ns/problems#"


class RequestError(CredentialError):
    """The request is malformed or not acceptable (4xx)."""

    default_code = "request.invalid"
    status_code: int = 400
    #: The problem ``type`` URI when a specification defines one (else ours, from the code).
    problem_type: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, code=code, **kwargs)
        if status_code is not None:
            self.status_code = status_code
        #: Extra response headers (``WWW-Authenticate`` for a 401, ``Retry-After`` for a 429).
        self.headers = dict(headers or {})


class NotFoundError(RequestError):
    default_code = "request.not_found"
    status_code = 404


class GoneError(RequestError):
    """The thing existed and is no more: an expired or withdrawn share link, a finished transaction."""

    default_code = "request.gone"
    status_code = 410


class ForbiddenError(RequestError):
    default_code = "request.forbidden"
    status_code = 403


class RateLimitedError(RequestError):
    default_code = "request.rate_limited"
    status_code = 429

    def __init__(self, message: str, *, retry_after_seconds: int, **kwargs: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)}, **kwargs)
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailableError(UpstreamError):
    """Something this request depends on cannot answer now (503); trying again later may work."""

    default_code = "upstream.unavailable"
    status_code: int = 503


def http_status_of(error: TawtiqError) -> int:
    """The HTTP status an error maps to: its own, else 400 for input faults and 503 for upstream faults."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return status
    return 503 if isinstance(error, UpstreamError) else 400


def problem(
    *, status: int, code: str, title: str, detail: str, problem_type: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem detail object with our stable ``code``."""
    kind = problem_type or PROBLEM_BASE + code
    return {"type": kind, "title": title, "status": status, "detail": detail, "code": code, **extra}


class NeedsIOError(Exception):
    """Raised inside a memory-only verification when an answer needs the database or the network.

    Deliberately not a :class:`~vc.TawtiqError`: the engine must not turn it into a check result; the caller
    catches it and verifies again where blocking I/O is allowed (see :meth:`verifier.verification.Verifier.verify`).
    """
