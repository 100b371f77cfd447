"""The wallet's errors, split by who has to act, each with a stable code and the exit code it maps to.

The command-line shell turns every one of them into one message on stderr and an exit code:

* :class:`RefusedError` (exit 1) — something did not pass a check: a credential that does not verify, a
  wrong passphrase, a tampered store or backup, an offer or request the other party refused.
* :class:`UsageError` (exit 2) — the command cannot run as given: a bad argument, a missing wallet, a
  file that cannot be read.
* :class:`NetworkError` (exit 2) — an issuer or verifier could not be reached or answered nonsense; try
  again later.

They derive from the engine's :class:`vc.TawtiqError`, so the engine's own errors (a
:class:`vc.CredentialError` is a refusal, a :class:`vc.UpstreamError` an unreachable service) are handled by
the same shell.
"""

from __future__ import annotations

from typing import Any, Final

from vc.errors import Fault, TawtiqError

EXIT_OK: Final = 0
EXIT_REFUSED: Final = 1
EXIT_ERROR: Final = 2


class WalletError(TawtiqError):
    """Base of the wallet's errors. ``hint`` says what the holder can do about it."""

    exit_code: int = EXIT_ERROR
    default_code = "wallet.error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        found: Any = None,
        expected: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, code=code, found=found, expected=expected)
        self.hint = hint


class RefusedError(WalletError):
    """A check failed: the input, credential, request, store or backup is not acceptable."""

    fault = Fault.CREDENTIAL
    exit_code = EXIT_REFUSED
    default_code = "wallet.refused"


class PassphraseError(RefusedError):
    """The passphrase does not open the store or the backup."""

    default_code = "store.passphrase_wrong"


class StoreCorruptError(RefusedError):
    """A store or backup file is damaged or was modified by someone without the passphrase."""

    default_code = "store.corrupt"


class UsageError(WalletError):
    """The command cannot run as given (arguments, files, a missing or busy wallet)."""

    fault = Fault.CONFIGURATION
    exit_code = EXIT_ERROR
    default_code = "usage.invalid"


class NetworkError(WalletError):
    """An issuer or verifier could not be reached, or its answer could not be used."""

    fault = Fault.UPSTREAM
    exit_code = EXIT_ERROR
    default_code = "network.unavailable"


def exit_code_of(error: TawtiqError) -> int:
    """The exit code for any of our or the engine's errors."""
    if isinstance(error, WalletError):
        return error.exit_code
    return EXIT_REFUSED if error.fault is Fault.CREDENTIAL else EXIT_ERROR
