"""The portal's own errors, on top of the common request errors (:mod:`common.service.problems`).

Each has a stable ``code``; the pages show it in the reader's language (:data:`portal.messages.ERRORS`) and
never a personal value. Login refusals from the identity port keep the port's codes (``identity.*``).
"""

from __future__ import annotations

from common.service.problems import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RequestError,
    ServiceUnavailableError,
)

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "ConvocationUnprintableError",
    "CsrfError",
    "ForbiddenError",
    "LoginError",
    "NotFoundError",
    "RequestError",
    "SessionError",
    "StaffError",
]


class SessionError(AuthenticationError):
    """No session, or a session cookie that names no live session: expired, logged out, tampered (401)."""

    default_code = "session.required"


class LoginError(AuthenticationError):
    """A login that cannot be finished on the portal's side: no login under way for this browser, or too old (401)."""

    default_code = "login.unknown"


class CsrfError(ForbiddenError):
    """A form sent without this session's CSRF token, or with another one (403)."""

    default_code = "request.csrf"


class StaffError(ForbiddenError):
    """A staff page or action asked for by someone without the role for it (403)."""

    default_code = "staff.forbidden"


class ConvocationUnprintableError(ServiceUnavailableError):
    """The convocation's data cannot be printed (a value too long or wide for its place on the page): not the
    candidate's fault; the ministry must fix the data or the layout (503)."""

    default_code = "convocation.unprintable"
