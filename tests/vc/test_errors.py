"""The engine's error messages: what was found and what was expected, bounded, and whole where an operator acts."""

from __future__ import annotations

from vc.errors import ConfigurationError, CredentialError


def test_a_long_found_value_is_quoted_from_its_beginning() -> None:
    value = "eyJhbGciOiJFUzI1NiJ9." + "A" * 300 + ".tail-of-the-token"
    found = CredentialError("a token is not acceptable", found=value).message.split("; found ", 1)[1]
    assert len(found) == 120
    assert found.startswith("eyJhbGciOiJFUzI1NiJ9.")
    assert found.endswith("A…")


def test_an_operator_sees_the_whole_path_of_a_configuration_fault() -> None:
    path = "/var/lib/tawtiq/" + "d" * 150 + "/keys/SEv_i8M-d662aUaTBystrFzxgiB8QNEcliIgBfRTxmQ.pem"
    error = ConfigurationError("the private key file is missing", code="key.file_missing", found=path)
    assert error.message.endswith(f"; found {path}")
    huge = ConfigurationError("a setting is wrong", found="x" * 5000)
    found = huge.message.split("; found ", 1)[1]
    assert len(found) == 480
    assert "…" in found


def test_a_short_value_is_shown_whole_and_a_non_string_as_its_repr() -> None:
    error = CredentialError("bad value", found={"alg": "none"}, expected="ES256")
    assert error.message == "bad value; found {'alg': 'none'}; expected ES256"
