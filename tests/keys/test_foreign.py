"""Another issuer's JWK Set read as RFC 7517 defines it: only ``kty`` required, ``alg`` derived, any ``kid``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from keys import KeyHistory, KeyHistoryResolver, foreign_key_history
from tests.keys.tokens import ISSUER, sign_token, verify_token
from vc.errors import FormatError, KeyResolutionError
from vc.jose import PublicKey, SigningKey

SIGNED = datetime(2026, 7, 1, tzinfo=UTC)


def plain(key: SigningKey, **members: Any) -> dict[str, Any]:
    """The key as a standard issuer publishes it: key members only, plus ``members``."""
    jwk = {name: value for name, value in key.public.jwk.items() if name in ("kty", "crv", "x", "y")}
    return {**jwk, **members}


@pytest.mark.parametrize(("algorithm", "curve"), [("ES256", "P-256"), ("ES384", "P-384"), ("ES512", "P-521")])
def test_a_plain_key_set_verifies_with_the_algorithm_derived_from_the_key(algorithm: str, curve: str) -> None:
    signer = SigningKey.generate(algorithm, kid="issuer-key-2026")
    history = foreign_key_history({"keys": [plain(signer, kid="issuer-key-2026")]})
    assert plain(signer)["crv"] == curve
    key = history.key_for(kid="issuer-key-2026", algorithm=algorithm, signed_at=SIGNED)
    assert (key.kid, key.algorithm) == ("issuer-key-2026", algorithm)
    token = sign_token(signer, signed_at=SIGNED)
    assert verify_token(token, KeyHistoryResolver({ISSUER: history}))["iss"] == ISSUER


def test_an_ed25519_key_is_eddsa_and_a_key_without_kid_is_found_without_one() -> None:
    signer = SigningKey.generate("EdDSA")
    jwk = {name: value for name, value in signer.public.jwk.items() if name in ("kty", "crv", "x")}
    history = foreign_key_history({"keys": [jwk]})
    assert history.key_for(kid=None, algorithm="EdDSA", signed_at=None).algorithm == "EdDSA"
    assert history.kids == (signer.public.thumbprint(),)


def test_no_nbf_means_no_lower_bound_and_published_windows_are_honoured() -> None:
    old = SigningKey.generate(kid="old")
    history = foreign_key_history(
        {"keys": [plain(old, kid="old", use="sig", nbf=1_700_000_000, tawtiq_retired_at=1_780_000_000)]}
    )
    with pytest.raises(KeyResolutionError) as caught:
        history.key_for(kid="old", algorithm="ES256", signed_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert caught.value.code == "key.not_yet_valid"
    assert history.key_for(kid="old", algorithm="ES256", signed_at=datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(KeyResolutionError) as caught:
        history.key_for(kid="old", algorithm="ES256", signed_at=datetime(2027, 1, 1, tzinfo=UTC))
    assert caught.value.code == "key.retired"
    unbounded = foreign_key_history({"keys": [plain(old, kid="old")]})
    assert unbounded.key_for(kid="old", algorithm="ES256", signed_at=datetime(1971, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("member", ["keys", "tawtiq_compromised_keys"])
def test_a_revoked_key_fails_whatever_signing_time_the_token_claims(member: str) -> None:
    old = SigningKey.generate(kid="old")
    revoked = plain(old, kid="old", use="sig", nbf=1_700_000_000, revoked={"revoked_at": 1_780_000_000})
    history = foreign_key_history({"keys": [], member: [revoked]} if member != "keys" else {"keys": [revoked]})
    for claimed in (datetime(2020, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), None):
        with pytest.raises(KeyResolutionError) as caught:
            history.key_for(kid="old", algorithm="ES256", signed_at=claimed)
        assert caught.value.code == "key.compromised"
        assert "declared this key compromised on 2026-05-28" in caught.value.message


def test_a_key_listed_as_compromised_without_a_revocation_is_refused() -> None:
    old = SigningKey.generate(kid="old")
    with pytest.raises(FormatError) as caught:
        foreign_key_history({"keys": [], "tawtiq_compromised_keys": [plain(old, kid="old")]})
    assert caught.value.code == "key.jwk_invalid"
    with pytest.raises(FormatError) as caught:
        foreign_key_history({"keys": [], "tawtiq_compromised_keys": {"kid": "old"}})
    assert caught.value.code == "key.jwks_invalid"


def test_our_own_publication_reads_the_same_as_strictly(rotated_history: KeyHistory) -> None:
    published = rotated_history.to_jwks()
    assert foreign_key_history(published).to_jwks() == KeyHistory.from_jwks(published).to_jwks() == published


@pytest.fixture
def rotated_history() -> KeyHistory:
    first, second = SigningKey.generate(), SigningKey.generate()
    history = KeyHistory.from_jwks(
        {
            "keys": [
                {**first.public.jwk, "alg": "ES256", "use": "sig", "nbf": 1_700_000_000},
                {**second.public.jwk, "alg": "ES256", "use": "sig", "nbf": 1_750_000_000},
            ]
        }
    )
    return history.retire(first.kid or "", datetime(2025, 6, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"use": "enc"}, "'use' is 'enc'"),
        ({"key_ops": ["encrypt"]}, "'key_ops'"),
        ({"alg": "ES384"}, "does not match its key"),
        ({"kty": "oct-like", "alg": "ES256"}, "key type"),
    ],
)
def test_keys_that_may_not_verify_are_left_out_and_a_token_naming_one_is_told_why(
    members: dict[str, Any], reason: str
) -> None:
    signer, other = SigningKey.generate(kid="wrong"), SigningKey.generate(kid="fine")
    history = foreign_key_history({"keys": [plain(signer, kid="wrong", **members), plain(other, kid="fine")]})
    assert history.kids == ("fine",)
    with pytest.raises(KeyResolutionError) as caught:
        history.key_for(kid="wrong", algorithm="ES256", signed_at=SIGNED)
    assert caught.value.code == "key.unusable"
    assert reason in str(caught.value.found)


def test_an_rsa_key_without_alg_is_rs256_left_to_the_policy() -> None:
    public = PublicKey.from_key(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    jwk = {"kty": "RSA", "n": public.jwk["n"], "e": public.jwk["e"], "kid": "rsa-1"}
    assert foreign_key_history({"keys": [jwk]}).key_for(kid="rsa-1", algorithm="RS256", signed_at=None).algorithm == (
        "RS256"
    )


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ({"keys": {}}, "key.jwks_invalid"),
        ([], "key.jwks_invalid"),
        ({"keys": ["not a key"]}, "key.jwk_invalid"),
        ({"keys": [{"kty": "EC", "kid": 7}]}, "key.jwk_invalid"),
        ({"keys": [{"kty": "EC", "d": "secret"}]}, "key.jwk_private"),
        ({"keys": [{"kty": "EC", "nbf": "yesterday"}]}, "key.jwk_time_invalid"),
        ({"keys": [{"kty": "EC", "exp": 1}]}, "key.jwk_exp_unsupported"),
    ],
)
def test_a_key_set_that_is_wrong_as_a_whole_is_refused(document: Any, code: str) -> None:
    with pytest.raises(FormatError) as caught:
        foreign_key_history(document)
    assert caught.value.code == code


def test_two_keys_with_one_kid_are_refused() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    with pytest.raises(FormatError) as caught:
        foreign_key_history({"keys": [plain(first, kid="k"), plain(second, kid="k", use="enc")]})
    assert caught.value.code == "key.duplicate_kid"
