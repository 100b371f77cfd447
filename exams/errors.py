"""The exam year's errors: the common request errors (:mod:`common.service.problems`), as the issuer names them.

Every error has a stable ``code`` and says what was found and what was expected. A refused input (a bad row, a
state change that is not allowed) is a :class:`~vc.errors.CredentialError` (4xx, exit code 1); a broken rules file
or an unmigrated database is a :class:`~vc.errors.ConfigurationError` (exit code 2).
"""

from __future__ import annotations

from common.service.problems import ConflictError, ForbiddenError, NotFoundError, RequestError
from vc.errors import ConfigurationError

__all__ = ["ConfigurationError", "ConflictError", "ForbiddenError", "InputError", "NotFoundError"]

#: The input is malformed or inconsistent (HTTP 400, exit code 1).
InputError = RequestError
