"""The passphrase that encrypts the issuer's private keys, read from the environment or a secret file.

The service must refuse to start without one, with one that ships in examples and tutorials, or with one
that an attacker holding a key file would guess (judged by :mod:`keys.strength`, not by a word list), so
every refusal is a :class:`~vc.errors.ConfigurationError` whose message names the variables to set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from keys.strength import HOW_TO_MAKE, STRETCHED_PASSPHRASE, estimate_weakness
from vc.errors import ConfigurationError

#: Shortest passphrase accepted, in characters (in bytes for a passphrase that is not UTF-8 text).
MIN_PASSPHRASE_LENGTH: Final = 12

#: Words that make up the passphrases found in examples, templates and tutorials. A passphrase made of
#: one of them, repeated, optionally followed by digits ("changeme", "passwordpassword", "tawtiq2024"),
#: is refused whatever its length.
_DEFAULT_WORDS: Final = (
    "changeme",
    "changeit",
    "changethis",
    "password",
    "passw0rd",
    "passphrase",
    "secret",
    "tawtiq",
    "default",
    "example",
    "admin",
    "letmein",
    "qwerty",
    "azerty",
    "test",
)
_DIGIT_RUNS: Final = ("0123456789" * 4, "1234567890" * 4, "9876543210" * 4)


def load_passphrase(
    environ: Mapping[str, str],
    *,
    variable: str = "TAWTIQ_KEY_PASSPHRASE",
    file_variable: str = "TAWTIQ_KEY_PASSPHRASE_FILE",
) -> bytes:
    """Return the key passphrase from ``environ[variable]`` or from the file named by ``environ[file_variable]``.

    A file's content loses one trailing newline (``\\n`` or ``\\r\\n``), nothing else. Exactly one of the
    two variables must be set. Raises :class:`ConfigurationError`:

    * ``key.passphrase_missing`` — neither variable is set;
    * ``key.passphrase_ambiguous`` — both are set;
    * ``key.passphrase_file_unreadable`` — the file cannot be read;
    * ``key.passphrase_empty`` — the passphrase is empty or only white space;
    * ``key.passphrase_default`` — it is a well-known default such as ``changeme``;
    * ``key.passphrase_weak`` — it is shorter than :data:`MIN_PASSPHRASE_LENGTH` characters, or zxcvbn
      estimates it needs fewer than :data:`~keys.strength.STRETCHED_PASSPHRASE` asks.
    """
    either = f"set {variable} to the passphrase, or {file_variable} to the path of a file holding it"
    if variable in environ and file_variable in environ:
        raise ConfigurationError(
            f"both {variable} and {file_variable} are set; it is unclear which passphrase to use",
            code="key.passphrase_ambiguous",
            found=f"{variable} and {file_variable}",
            expected=f"exactly one of them: {either}",
        )
    if variable in environ:
        source = variable
        secret = environ[variable].encode("utf-8", "surrogateescape")
    elif file_variable in environ:
        path = environ[file_variable]
        source = f"the file {path!r} named by {file_variable}"
        secret = _read_secret_file(path, file_variable=file_variable)
    else:
        raise ConfigurationError(
            "no key passphrase is configured",
            code="key.passphrase_missing",
            found=f"neither {variable} nor {file_variable} in the environment",
            expected=either,
        )
    _check_strength(secret, source=source)
    return secret


def _read_secret_file(path: str, *, file_variable: str) -> bytes:
    if not path:
        raise ConfigurationError(
            f"{file_variable} is set but empty",
            code="key.passphrase_file_unreadable",
            expected=f"{file_variable} naming a readable file that holds the passphrase",
        )
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the key passphrase file named by {file_variable}",
            code="key.passphrase_file_unreadable",
            found=f"{path}: {exc.strerror or type(exc).__name__}",
            expected="a readable file holding the passphrase",
        ) from exc
    for newline in (b"\r\n", b"\n"):
        if data.endswith(newline):
            return data[: -len(newline)]
    return data


def _check_strength(secret: bytes, *, source: str) -> None:
    try:
        text: str | None = secret.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # random bytes from a secret file: only the length can be judged
    if not secret or (text is not None and not text.strip()):
        raise ConfigurationError(
            f"the key passphrase from {source} is empty",
            code="key.passphrase_empty",
            expected=HOW_TO_MAKE,
        )
    if text is not None and _is_well_known(text):
        raise ConfigurationError(
            f"the key passphrase from {source} is a well-known default",
            code="key.passphrase_default",
            found="a value published in examples and tutorials",
            expected=f"a secret generated for this deployment: {HOW_TO_MAKE}",
        )
    length = len(text) if text is not None else len(secret)
    if length < MIN_PASSPHRASE_LENGTH:
        raise ConfigurationError(
            f"the key passphrase from {source} is too short",
            code="key.passphrase_weak",
            found=f"{length} characters",
            expected=f"at least {MIN_PASSPHRASE_LENGTH} characters: {HOW_TO_MAKE}",
        )
    if text is None:
        return  # random bytes from a secret file: only the length can be judged
    weakness = estimate_weakness(text, bound=STRETCHED_PASSPHRASE)
    if weakness is not None:
        raise ConfigurationError(
            f"the key passphrase from {source} is too easy to guess",
            code="key.passphrase_weak",
            found=weakness.found(),
            expected=f"{STRETCHED_PASSPHRASE.describe()}: {HOW_TO_MAKE}",
        )


def _is_well_known(text: str) -> bool:
    if len(set(text.strip())) == 1:
        return True
    folded = re.sub(r"[^0-9a-z]", "", text.casefold())
    if not folded:
        return False
    if len(set(folded)) == 1 or any(folded in run for run in _DIGIT_RUNS):
        return True
    return any(re.fullmatch(f"(?:{word})+[0-9]*", folded) for word in _DEFAULT_WORDS)
