"""The key passphrase: from the environment or a secret file, and every way it is refused."""

from __future__ import annotations

import base64
import random
import secrets
from pathlib import Path

import pytest

from keys import load_passphrase
from vc.errors import ConfigurationError

GOOD = "vO3-nq7Lk2x!pR9w"
VARIABLE = "TAWTIQ_KEY_PASSPHRASE"
FILE_VARIABLE = "TAWTIQ_KEY_PASSPHRASE_FILE"


def refused(environ: dict[str, str], **names: str) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        load_passphrase(environ, **names)
    return caught.value


def test_from_the_environment_variable() -> None:
    assert load_passphrase({VARIABLE: GOOD, "HOME": "/root"}) == GOOD.encode()


def test_from_a_secret_file_with_one_trailing_newline_stripped(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    for content, expected in [
        (f"{GOOD}\n", GOOD),
        (f"{GOOD}\r\n", GOOD),
        (f"{GOOD}\n\n", f"{GOOD}\n"),
        (f" {GOOD} ", f" {GOOD} "),
        (GOOD, GOOD),
    ]:
        secret.write_text(content, encoding="utf-8", newline="")
        assert load_passphrase({FILE_VARIABLE: str(secret)}) == expected.encode()


def test_a_binary_secret_file_is_judged_by_its_length(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_bytes(bytes(range(128, 160)))
    assert load_passphrase({FILE_VARIABLE: str(secret)}) == bytes(range(128, 160))
    secret.write_bytes(bytes(range(128, 138)))
    assert refused({FILE_VARIABLE: str(secret)}).code == "key.passphrase_weak"


def test_other_variable_names(tmp_path: Path) -> None:
    names = {"variable": "ISSUER_KEY_SECRET", "file_variable": "ISSUER_KEY_SECRET_FILE"}
    assert load_passphrase({"ISSUER_KEY_SECRET": GOOD}, **names) == GOOD.encode()
    error = refused({VARIABLE: GOOD}, **names)
    assert error.code == "key.passphrase_missing"
    assert "ISSUER_KEY_SECRET" in error.message
    assert "ISSUER_KEY_SECRET_FILE" in error.message


def test_missing() -> None:
    error = refused({"HOME": "/root"})
    assert error.code == "key.passphrase_missing"
    assert VARIABLE in error.message
    assert FILE_VARIABLE in error.message


def test_both_set_is_ambiguous(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(GOOD, encoding="utf-8")
    for environ in ({VARIABLE: GOOD, FILE_VARIABLE: str(secret)}, {VARIABLE: "", FILE_VARIABLE: str(secret)}):
        error = refused(environ)
        assert error.code == "key.passphrase_ambiguous"
        assert VARIABLE in error.message
        assert FILE_VARIABLE in error.message


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_empty(value: str) -> None:
    error = refused({VARIABLE: value})
    assert error.code == "key.passphrase_empty"
    assert VARIABLE in error.message


def test_empty_file(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("\n", encoding="utf-8")
    error = refused({FILE_VARIABLE: str(secret)})
    assert error.code == "key.passphrase_empty"
    assert FILE_VARIABLE in error.message


@pytest.mark.parametrize("path", ["missing", "a-directory", ""])
def test_unreadable_file(tmp_path: Path, path: str) -> None:
    (tmp_path / "a-directory").mkdir()
    named = str(tmp_path / path) if path else ""
    error = refused({FILE_VARIABLE: named})
    assert error.code == "key.passphrase_file_unreadable"
    assert FILE_VARIABLE in error.message
    assert named in error.message


@pytest.mark.parametrize("value", ["short", "elevenchars", "Xy7!Xy7!Xy7"])
def test_too_short(value: str) -> None:
    error = refused({VARIABLE: value})
    assert error.code == "key.passphrase_weak"
    assert "12" in error.message
    assert value not in str(error.found)
    assert repr(value) not in error.message


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "password",
        "secret",
        "tawtiq",
        "default",
        "123456789012",
        "CHANGEME",
        "change-me-change-me",
        "passwordpassword",
        "Password123456",
        "tawtiq2024!",
        "secret-secret-secret",
        "aaaaaaaaaaaaaaaa",
        "000000000000",
        "passphrase",
    ],
)
def test_well_known_defaults(value: str) -> None:
    error = refused({VARIABLE: value})
    assert error.code == "key.passphrase_default"
    assert VARIABLE in error.message
    assert value not in str(error.found)
    assert repr(value) not in error.message


def test_default_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("changeme\n", encoding="utf-8")
    assert refused({FILE_VARIABLE: str(secret)}).code == "key.passphrase_default"


@pytest.mark.parametrize("value", ["correct horse battery staple", "my-secret-is-long-and-mine"])
def test_reasonable_passphrases_pass(value: str) -> None:
    assert load_passphrase({VARIABLE: value}) == value.encode()


@pytest.mark.parametrize(
    "value",
    [
        "motdepasse123",  # French "password": not in zxcvbn's English dictionaries, given as a user input
        "Maroc2025!Maroc",
        "123456789013x",
        "baccalaureat-maroc-2025",
        "Tawtiq-Ministere-Bac",
        "azertyuiop123456",
    ],
)
def test_easily_guessed_passphrases_are_refused_with_the_estimate(value: str) -> None:
    error = refused({VARIABLE: value})
    assert error.code == "key.passphrase_weak"
    assert VARIABLE in error.message
    assert "too easy to guess" in error.message
    assert "crackable in" in str(error.found)
    assert "10^14 guesses" in str(error.expected)
    assert "openssl rand -base64 32" in str(error.expected)
    assert value not in error.message


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Maroc2025!", "key.passphrase_weak"),  # too short before anything else
        ("aaaaaaaaaaaaaaaaaaaaaaaa", "key.passphrase_default"),
        ("Password1234567890", "key.passphrase_default"),
    ],
)
def test_other_weak_passphrases_are_refused(value: str, code: str) -> None:
    error = refused({VARIABLE: value})
    assert error.code == code
    assert "openssl rand -base64 32" in str(error.expected)


def test_the_pattern_zxcvbn_saw_is_named() -> None:
    assert "Repeats" in str(refused({VARIABLE: "ab1!ab1!ab1!ab1!ab1!"}).found)


@pytest.mark.parametrize("seed", range(20))
def test_random_base64_of_32_bytes_passes(seed: int) -> None:
    value = base64.b64encode(random.Random(seed).randbytes(32)).decode("ascii")
    assert load_passphrase({VARIABLE: value}) == value.encode()


def test_openssl_output_in_a_file_passes(tmp_path: Path) -> None:
    """What the README tells an operator to run: `openssl rand -base64 32 > FILE` (with its newline)."""
    secret = tmp_path / "passphrase"
    secret.write_text(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n", encoding="ascii")
    assert len(load_passphrase({FILE_VARIABLE: str(secret)})) == 44


def test_a_long_passphrase_is_judged_by_its_beginning() -> None:
    """zxcvbn judges at most 72 characters; a weak beginning is enough to refuse."""
    assert refused({VARIABLE: "a" * 72 + secrets.token_urlsafe(32)}).code == "key.passphrase_weak"
    value = secrets.token_urlsafe(96)
    assert load_passphrase({VARIABLE: value}) == value.encode()
