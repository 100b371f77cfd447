"""Errors of the credential engine, split by who is at fault.

Every error has a stable ``code`` (dotted, e.g. ``sd_jwt.duplicate_digest``) that tests, reports and
clients can rely on, and a message that says what was found and what was expected. Services map the
three families to their own outcomes:

* :class:`CredentialError` — the credential, presentation or input is bad: HTTP 4xx, CLI exit code 1,
  verdict ``invalid``.
* :class:`UpstreamError` — something we depend on (a status list, an issuer's metadata) could not be
  obtained: HTTP 503, verdict ``indeterminate``.
* :class:`ConfigurationError` — our own set-up is wrong (a missing key, an empty policy): fix the
  deployment, not the input.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    """Who has to act for the error to go away."""

    CREDENTIAL = "credential"
    UPSTREAM = "upstream"
    CONFIGURATION = "configuration"


def _shorten(value: Any, limit: int = 120) -> str:
    """At most ``limit`` characters of ``value``, from its beginning (where the first problem of a list is)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TawtiqError(Exception):
    """Base of every error the engine raises on purpose."""

    fault: Fault = Fault.CREDENTIAL
    default_code: str = "tawtiq.error"
    #: How much of ``found`` and ``expected`` the message quotes: inputs can be anything, so they are bounded.
    quote_limit: int = 120

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        found: Any = None,
        expected: Any = None,
    ) -> None:
        self.code = code or self.default_code
        self.found = found
        self.expected = expected
        self.summary = message
        details = message
        if found is not None:
            details += f"; found {_shorten(found, self.quote_limit)}"
        if expected is not None:
            details += f"; expected {_shorten(expected, self.quote_limit)}"
        super().__init__(details)

    @property
    def message(self) -> str:
        """The full human message: what happened, what was found, what was expected."""
        return str(self)

    def diagnostics(self) -> str:
        """A longer, actionable explanation for logs and command-line output."""
        advice = {
            Fault.CREDENTIAL: "The credential or input is not acceptable; it must be corrected or re-issued.",
            Fault.UPSTREAM: "A service this check depends on could not answer; try again later.",
            Fault.CONFIGURATION: "The deployment is misconfigured; an operator must fix it.",
        }[self.fault]
        return f"[{self.code}] {self}\n{advice}"


class CredentialError(TawtiqError):
    """The credential, presentation or input is malformed, forged or not acceptable."""

    fault = Fault.CREDENTIAL
    default_code = "credential.invalid"


class FormatError(CredentialError):
    """The bytes do not have the structure the format requires."""

    default_code = "format.invalid"


class SignatureError(CredentialError):
    """A signature does not verify, or its algorithm or key is not acceptable."""

    default_code = "signature.invalid"


class KeyResolutionError(CredentialError):
    """No acceptable key: unknown ``kid``, untrusted issuer, key outside its validity window."""

    default_code = "key.unknown"


class DisclosureError(CredentialError):
    """An SD-JWT disclosure is malformed, unreferenced, duplicated or conflicts with a claim."""

    default_code = "sd_jwt.disclosure_invalid"


class HolderBindingError(CredentialError):
    """The key-binding JWT is missing, malformed or does not bind this presentation."""

    default_code = "holder_binding.invalid"


class ValidityError(CredentialError):
    """A date rule failed: not yet valid, expired, issued in the future."""

    default_code = "validity.invalid"


class StatusError(CredentialError):
    """A status list is malformed, or an index does not fit it."""

    default_code = "status.invalid"


class UpstreamError(TawtiqError):
    """Something the check depends on is unavailable; the answer is ``indeterminate``."""

    fault = Fault.UPSTREAM
    default_code = "upstream.unavailable"


class UnsupportedStatusError(UpstreamError):
    """A status mechanism this engine does not implement: as with an unreachable list, the status cannot be
    known, so the verdict is ``indeterminate`` (never ``valid``, never "revoked")."""

    default_code = "status.unsupported_type"


class ConfigurationError(TawtiqError):
    """The caller's configuration is wrong (missing key, empty policy, bad settings)."""

    fault = Fault.CONFIGURATION
    default_code = "configuration.invalid"
    #: An operator must act on these: the whole path of a key file or a setting, not its first 120 characters.
    quote_limit = 480
