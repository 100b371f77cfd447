"""The issuer's errors: the common request errors (:mod:`common.service.problems`) under the names the issuer uses.

They extend the engine's families (:mod:`vc.errors`) so one handler serves both: a
:class:`~vc.errors.CredentialError` is the caller's fault (4xx, exit code 1), a
:class:`~vc.errors.ConfigurationError` is ours (503, exit code 2). Every error has a stable ``code``
and a message saying what was found and what was expected; the application answers it as an RFC 9457
problem detail, except on the OAuth and OpenID4VCI endpoints (token, nonce, credential), which answer with
the error objects their specifications define (:class:`OAuthError`).
"""

from __future__ import annotations

from common.service.problems import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    OAuthError,
    PayloadTooLargeError,
    RequestError,
)
from vc.errors import ConfigurationError

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "InputError",
    "IssuerError",
    "NotFoundError",
    "OAuthError",
    "PayloadTooLargeError",
    "StatusAllocationError",
]

#: A request the issuer refuses; ``status_code`` is the HTTP status it maps to.
IssuerError = RequestError
#: The input is malformed or inconsistent (HTTP 400, exit code 1).
InputError = RequestError


class StatusAllocationError(ConfigurationError):
    """No status-list index could be allocated: nothing is issued (HTTP 503)."""

    default_code = "status.allocation_failed"
