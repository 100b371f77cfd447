"""The issuer's errors, each carrying how it is shown: an HTTP status, a JSON body, a CLI exit code.

They extend the engine's families (:mod:`vc.errors`) so one handler serves both: a
:class:`~vc.errors.CredentialError` is the caller's fault (4xx, exit code 1), a
:class:`~vc.errors.ConfigurationError` is ours (503, exit code 2). Every error has a stable ``code``
and a message saying what was found and what was expected.

JSON error bodies (every endpoint but the OAuth ones)::

    {"error": "<code>", "error_description": "<message>", "found": ..., "expected": ...}

OAuth and OpenID4VCI endpoints answer with the error objects their specifications define
(:class:`OAuthError`): ``{"error": "invalid_grant", "error_description": "..."}``, where ``error`` is one
of the registered codes and ``error_description`` is printable ASCII (RFC 6749 §5.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vc.errors import ConfigurationError, CredentialError, TawtiqError, UpstreamError


class IssuerError(CredentialError):
    """A request the issuer refuses; ``status`` is the HTTP status it maps to."""

    status: int = 400
    default_code = "request.invalid"


class InputError(IssuerError):
    """The input is malformed or inconsistent (HTTP 400/422, exit code 1)."""

    status = 400
    default_code = "request.invalid"


class NotFoundError(IssuerError):
    """The thing named does not exist (HTTP 404)."""

    status = 404
    default_code = "not_found"


class GoneError(IssuerError):
    """The thing named existed but is no longer usable: an expired or redeemed offer (HTTP 410)."""

    status = 410
    default_code = "gone"


class ConflictError(IssuerError):
    """The request conflicts with the current state, e.g. reinstating a revoked diploma (HTTP 409)."""

    status = 409
    default_code = "conflict"


class AuthenticationError(IssuerError):
    """No credentials, or credentials that are not valid (HTTP 401)."""

    status = 401
    default_code = "auth.required"


class ForbiddenError(IssuerError):
    """Valid credentials whose role does not allow the operation (HTTP 403)."""

    status = 403
    default_code = "auth.forbidden"


class PayloadTooLargeError(IssuerError):
    """A request body over the configured bound (HTTP 413)."""

    status = 413
    default_code = "request.too_large"


class StatusAllocationError(ConfigurationError):
    """No status-list index could be allocated: nothing is issued (HTTP 503)."""

    default_code = "status.allocation_failed"


class OAuthError(Exception):
    """An OAuth 2.0 / OpenID4VCI error object (RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI §8.3.1).

    ``error`` is the registered code (``invalid_request``, ``invalid_grant``, ``invalid_proof``...),
    ``description`` a human sentence restricted to printable ASCII, ``status`` the HTTP status and
    ``headers`` extra response headers (``WWW-Authenticate`` for 401).
    """

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = _ascii(description)
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _ascii(text: str) -> str:
    # RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E (no '"' and no '\').
    cleaned = "".join(ch if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\' else "?" for ch in text)
    return cleaned[:500]


def http_status(error: TawtiqError) -> int:
    """The HTTP status of any engine or issuer error."""
    if isinstance(error, IssuerError):
        return error.status
    if isinstance(error, UpstreamError | ConfigurationError):
        return 503
    return 400


def error_body(error: TawtiqError) -> dict[str, Any]:
    """The JSON body of any engine or issuer error (never holds a personal value: messages never do)."""
    body: dict[str, Any] = {"error": error.code, "error_description": error.message}
    if error.found is not None:
        body["found"] = error.found if isinstance(error.found, str | int | float | list | dict) else str(error.found)
    if error.expected is not None:
        expected = error.expected
        body["expected"] = expected if isinstance(expected, str | int | float | list | dict) else str(expected)
    return body
