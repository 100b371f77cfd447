"""How every service answers an error: RFC 9457 problem details, and OAuth error objects where a spec says so.

One mapping from the engine's error families (:mod:`vc.errors`) to HTTP statuses (:func:`status_of`): an error
that names its own ``status_code`` answers with it; otherwise a :class:`~vc.errors.CredentialError` (the caller's
fault) is 400, and an :class:`~vc.errors.UpstreamError` or :class:`~vc.errors.ConfigurationError` (not the
caller's fault) is 503. A database error is translated once, by :func:`database_unavailable`: a busy or locked
database, a lock or serialization timeout, or one that cannot be reached is a 503 with ``Retry-After``, never a 500.

The body of every error is a problem detail (``application/problem+json``)::

    {"type": "https://tawtiq.ma/ns/problems#<code>", "title": "<summary>", "status": 404,
     "detail": "<summary; found ...; expected ...>", "code": "<code>", "found": ..., "expected": ...}

``code``, ``found`` and ``expected`` are extension members carrying the engine's error model; ``type`` is ours
unless a specification defines one (``problem_type``, e.g. VCALM's). The OAuth 2.0 and OpenID4VC endpoints
answer with the error object their specifications define instead (:class:`OAuthError`, RFC 6749 §5.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import exc as sa

from vc.errors import ConfigurationError, CredentialError, TawtiqError, UpstreamError

PROBLEM_JSON: Final = "application/problem+json"
#: Base of the ``type`` URIs of our own problem details.
PROBLEM_BASE: Final = "https://tawtiq.ma/ns/problems#"


class RequestError(CredentialError):
    """A request a service refuses (4xx); ``status_code`` is its HTTP status, ``headers`` extra response headers."""

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
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, code=code, **kwargs)
        if status_code is not None:
            self.status_code = status_code
        #: Extra response headers (``WWW-Authenticate`` for a 401, ``Retry-After`` for a 429).
        self.headers = dict(headers or {})


class NotFoundError(RequestError):
    """The thing named does not exist (404)."""

    default_code = "request.not_found"
    status_code = 404


class GoneError(RequestError):
    """The thing named existed and is no longer usable: an expired offer, a withdrawn share link (410)."""

    default_code = "request.gone"
    status_code = 410


class ConflictError(RequestError):
    """The request conflicts with the current state, e.g. reinstating a revoked diploma (409)."""

    default_code = "request.conflict"
    status_code = 409


class AuthenticationError(RequestError):
    """No credentials, or credentials that are not valid (401)."""

    default_code = "auth.required"
    status_code = 401


class ForbiddenError(RequestError):
    """Valid credentials, or none needed, but the operation is not allowed (403)."""

    default_code = "auth.forbidden"
    status_code = 403


class PayloadTooLargeError(RequestError):
    """A request body over the configured bound (413)."""

    default_code = "request.too_large"
    status_code = 413


class RateLimitedError(RequestError):
    """Too many requests from one client in a window (429, with ``Retry-After``)."""

    default_code = "request.rate_limited"
    status_code = 429

    def __init__(self, message: str, *, retry_after_seconds: int, **kwargs: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)}, **kwargs)
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailableError(UpstreamError):
    """Something this request depends on cannot answer now (503); trying again later may work."""

    default_code = "upstream.unavailable"
    status_code: int = 503


class DatabaseUnavailableError(ServiceUnavailableError):
    """The database cannot answer now (503, with ``Retry-After``): busy, locked, or unreachable."""

    default_code = "database.unavailable"

    def __init__(self, message: str, *, retry_after_seconds: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_seconds = retry_after_seconds
        self.headers = {"Retry-After": str(retry_after_seconds)}


#: Seconds a client waits before retrying when the database is busy (a lock held by a bulk job, a conflict).
BUSY_RETRY_AFTER_SECONDS: Final = 2
#: Seconds a client waits before retrying when the database cannot be reached or failed otherwise.
UNAVAILABLE_RETRY_AFTER_SECONDS: Final = 5
#: SQLite result codes of a lock held by another connection.
_SQLITE_BUSY: Final = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_TIMEOUT"})
#: PostgreSQL SQLSTATEs of a transaction that lost a race or waited too long: serialization failure, deadlock,
#: lock not available (``lock_timeout``), query cancelled (``statement_timeout``), too many connections.
_POSTGRESQL_BUSY: Final = frozenset({"40001", "40P01", "55P03", "57014", "53300"})


def database_unavailable(error: sa.SQLAlchemyError) -> DatabaseUnavailableError:
    """The 503 a database error answers with; the driver's message is not repeated (it may quote parameters).

    ``database.busy`` (``Retry-After`` :data:`BUSY_RETRY_AFTER_SECONDS`) for a lock held too long by another
    writer, a serialization failure or deadlock, a statement or pool timeout; ``database.unavailable``
    (:data:`UNAVAILABLE_RETRY_AFTER_SECONDS`) for everything else: the database is down or unreachable.
    """
    busy = _busy_reason(error)
    if busy is not None:
        return DatabaseUnavailableError(
            "the database is busy; try again shortly",
            code="database.busy",
            found=busy,
            expected="a database lock free within the busy timeout",
            retry_after_seconds=BUSY_RETRY_AFTER_SECONDS,
        )
    return DatabaseUnavailableError(
        "the database cannot be reached; try again shortly",
        found=type(error).__name__,
        expected="a database that answers",
        retry_after_seconds=UNAVAILABLE_RETRY_AFTER_SECONDS,
    )


def _busy_reason(error: sa.SQLAlchemyError) -> str | None:
    if isinstance(error, sa.TimeoutError):
        return "no pooled connection free within the pool timeout"
    driver_error = getattr(error, "orig", None)
    if driver_error is None:
        return None
    sqlite_name = getattr(driver_error, "sqlite_errorname", None)
    if sqlite_name in _SQLITE_BUSY or str(driver_error).startswith(("database is locked", "database table is locked")):
        return "SQLite: database is locked"
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate in _POSTGRESQL_BUSY:
        return f"PostgreSQL SQLSTATE {sqlstate}"
    return None


class OAuthError(RequestError):
    """An OAuth 2.0 error object (RFC 6749 §5.2, RFC 6750 §3), as OpenID4VCI §8.3.1 and OpenID4VP use it.

    ``error`` is the registered code (``invalid_request``, ``invalid_grant``, ``invalid_proof``...),
    ``description`` a human sentence restricted to the printable ASCII the RFC allows, ``status_code`` the HTTP
    status and ``headers`` extra response headers (``WWW-Authenticate`` for a 401). Its ``code`` is
    ``oauth.<error>`` for logs and pages.
    """

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status_code: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description, code=f"oauth.{error}", status_code=status_code, headers=headers)
        self.error = error
        self.description = _oauth_ascii(description)

    def body(self) -> dict[str, str]:
        """The error object: ``{"error", "error_description"}``."""
        return {"error": self.error, "error_description": self.description}


def _oauth_ascii(text: str) -> str:
    # RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E (no '"' and no '\').
    cleaned = "".join(ch if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\' else "?" for ch in text)
    return cleaned[:500]


def status_of(error: TawtiqError) -> int:
    """The HTTP status of any engine or service error (see the module docstring)."""
    own = getattr(error, "status_code", None)
    if isinstance(own, int):
        return own
    if isinstance(error, UpstreamError | ConfigurationError):
        return 503
    return 400


def problem(
    *, status: int, code: str, title: str, detail: str, problem_type: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem detail object with our stable ``code`` (and any other extension members)."""
    kind = problem_type or PROBLEM_BASE + code
    return {"type": kind, "title": title, "status": status, "detail": detail, "code": code, **extra}


def problem_of(error: TawtiqError) -> dict[str, Any]:
    """The problem detail of an engine or service error, with its ``found`` and ``expected`` when it has them.

    Messages never hold a personal value (the engine's rule), so the body is safe to send and to log.
    """
    extra: dict[str, Any] = {}
    if error.found is not None:
        extra["found"] = _jsonable(error.found)
    if error.expected is not None:
        extra["expected"] = _jsonable(error.expected)
    return problem(
        status=status_of(error),
        code=error.code,
        title=error.summary,
        detail=error.message,
        problem_type=getattr(error, "problem_type", None),
        **extra,
    )


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | list | dict) else str(value)
