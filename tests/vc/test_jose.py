"""JWK import and export, RFC 7638 thumbprints, compact JWS signing and verification, header rules, base64url."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_conformance
from vc.encoding import b64url_decode, b64url_encode, json_dumps
from vc.errors import ConfigurationError, CredentialError, FormatError, KeyResolutionError, SignatureError
from vc.jose import (
    DEFAULT_ALGORITHMS,
    SUPPORTED_ALGORITHMS,
    PublicKey,
    SigningKey,
    StaticKeyResolver,
    check_header,
    parse_compact,
    sign_compact,
    thumbprint,
)

ALGORITHMS = ["ES256", "ES384", "ES512", "EdDSA"]
CURVES = {"ES256": ("P-256", 32), "ES384": ("P-384", 48), "ES512": ("P-521", 66)}
KEYS = {algorithm: SigningKey.generate(algorithm) for algorithm in ALGORITHMS}
RFC9901_KEYS = load_conformance("rfc9901/keys.json")

#: RFC 7638 §3.1: the example RSA key and its thumbprint.
RFC7638_KEY = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB"
        "ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8"
        "KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
        "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


# ---------------------------------------------------------------------------------------------- JWK


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_public_jwk_round_trip(algorithm: str) -> None:
    key = KEYS[algorithm]
    jwk = dict(key.public.jwk)
    if algorithm == "EdDSA":
        assert {name: jwk[name] for name in ("kty", "crv")} == {"kty": "OKP", "crv": "Ed25519"}
        assert len(b64url_decode(jwk["x"])) == 32
    else:
        crv, size = CURVES[algorithm]
        assert (jwk["kty"], jwk["crv"]) == ("EC", crv)
        assert len(b64url_decode(jwk["x"])) == len(b64url_decode(jwk["y"])) == size
    imported = PublicKey.from_jwk(jwk)
    assert imported.algorithm == algorithm
    assert imported.kid == key.kid
    assert imported.jwk == jwk
    assert PublicKey.from_key(imported.key).jwk == {k: v for k, v in jwk.items() if k != "kid"}
    assert imported.thumbprint() == key.public.thumbprint() == key.kid


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_private_jwk_import_keeps_the_key(algorithm: str) -> None:
    key = KEYS[algorithm]
    if isinstance(key.key, ec.EllipticCurvePrivateKey):
        size = CURVES[algorithm][1]
        d = key.key.private_numbers().private_value.to_bytes(size, "big")
    else:
        assert isinstance(key.key, ed25519.Ed25519PrivateKey)
        d = key.key.private_bytes_raw()
    private_jwk = {**key.public.jwk, "d": b64url_encode(d)}
    imported = SigningKey.from_jwk(private_jwk)
    assert imported.public.jwk == key.public.jwk
    assert imported.kid == key.kid
    token = sign_compact(header={}, payload=b"{}", key=imported)
    jws = parse_compact(token)
    key.public.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)


def test_rfc9901_private_keys_match_their_public_keys() -> None:
    for name in ("issuer", "holder", "issuer_key_2"):
        entry = RFC9901_KEYS[name]
        imported = SigningKey.from_jwk(entry["private_jwk"])
        assert {k: imported.public.jwk[k] for k in ("kty", "crv", "x", "y")} == entry["public_jwk"]


def test_a_private_jwk_needs_its_private_part() -> None:
    with pytest.raises(FormatError) as caught:
        SigningKey.from_jwk(KEYS["ES256"].public.jwk)
    assert caught.value.code == "key.jwk_invalid"


def test_rsa_public_keys_of_2048_bits_import_as_rs256() -> None:
    private = rsa_key(2048)
    jwk = PublicKey.from_key(private.public_key()).jwk
    assert set(jwk) == {"kty", "n", "e"}
    imported = PublicKey.from_jwk(jwk)
    assert imported.algorithm == "RS256"
    message = b"header.payload"
    signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    imported.verify(algorithm="RS256", message=message, signature=signature)
    with pytest.raises(SignatureError):
        imported.verify(algorithm="RS256", message=b"other", signature=signature)


def test_rsa_keys_shorter_than_2048_bits_are_refused() -> None:
    jwk = {
        "kty": "RSA",
        "n": b64url_encode(rsa_key(1024).public_key().public_numbers().n.to_bytes(128, "big")),
        "e": "AQAB",
    }
    with pytest.raises(CredentialError) as caught:
        PublicKey.from_jwk(jwk)
    assert caught.value.code == "key.unsupported"
    assert isinstance(caught.value, KeyResolutionError)


def test_rfc7638_thumbprint_known_answer() -> None:
    assert thumbprint(RFC7638_KEY) == RFC7638_THUMBPRINT
    assert PublicKey.from_jwk(RFC7638_KEY).thumbprint() == RFC7638_THUMBPRINT
    reordered = dict(reversed(list(RFC7638_KEY.items())))
    assert thumbprint({**reordered, "use": "sig"}) == RFC7638_THUMBPRINT


def test_thumbprint_needs_the_required_members() -> None:
    with pytest.raises(FormatError) as caught:
        thumbprint({"kty": "EC", "crv": "P-256", "x": "AA"})
    assert caught.value.code == "key.jwk_invalid"


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
def test_a_public_jwk_with_private_members_is_refused(member: str) -> None:
    with pytest.raises(FormatError) as caught:
        PublicKey.from_jwk({**KEYS["ES256"].public.jwk, member: "AAAA"})
    assert caught.value.code == "key.jwk_private"


@pytest.mark.parametrize(
    ("jwk", "code"),
    [
        ({"kty": "oct", "k": "c2VjcmV0"}, "key.jwk_private"),
        ({"kty": "oct"}, "key.unsupported"),
        ({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "key.jwk_invalid"),
        ({"kty": "EC", "crv": "secp256k1", "x": "AAAA", "y": "AAAA"}, "key.jwk_invalid"),
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, "key.jwk_invalid"),
        ({**KEYS["ES256"].public.jwk, "alg": "ES384"}, "key.jwk_invalid"),
    ],
)
def test_unusable_jwks_are_refused(jwk: dict[str, Any], code: str) -> None:
    with pytest.raises(CredentialError) as caught:
        PublicKey.from_jwk(jwk)
    assert caught.value.code == code


def test_generating_keys_for_an_unsupported_algorithm_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        SigningKey.generate("RS256")
    assert caught.value.code == "key.unsupported"


# ---------------------------------------------------------------------------------------------- JWS


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_sign_and_verify_round_trip(algorithm: str) -> None:
    key = KEYS[algorithm]
    token = sign_compact(header={"typ": "vc+jwt"}, payload=json_dumps({"iss": "https://bac.example.ma"}), key=key)
    jws = parse_compact(token)
    assert jws.header == {"alg": algorithm, "kid": key.kid, "typ": "vc+jwt"}
    assert (jws.algorithm, jws.kid, jws.typ) == (algorithm, key.kid, "vc+jwt")
    assert check_header(jws.header, allowed=DEFAULT_ALGORITHMS) == algorithm
    key.public.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)
    expected_length = 2 * CURVES[algorithm][1] if algorithm in CURVES else 64
    assert len(jws.signature) == expected_length
    with pytest.raises(SignatureError) as caught:
        key.public.verify(algorithm=algorithm, message=jws.signing_input + b"x", signature=jws.signature)
    assert caught.value.code == "signature.invalid"


def test_ecdsa_signatures_of_the_wrong_length_are_refused() -> None:
    key = KEYS["ES256"]
    message = b"header.payload"
    raw = key.sign(message)
    key.public.verify(algorithm="ES256", message=message, signature=raw)
    # The same signature DER-encoded, as cryptography produces it: JWS wants raw r||s (RFC 7518 §3.4).
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    for signature in (raw[:-1], raw + b"\x00", b"\x00" + raw, der, b""):
        with pytest.raises(SignatureError) as caught:
            key.public.verify(algorithm="ES256", message=message, signature=signature)
        assert caught.value.code == "signature.invalid"


@pytest.mark.parametrize(
    ("signer", "verifier"), [("ES256", "ES384"), ("ES384", "ES256"), ("ES512", "EdDSA"), ("EdDSA", "ES256")]
)
def test_a_key_verifies_only_its_own_algorithm(signer: str, verifier: str) -> None:
    token = sign_compact(header={}, payload=b"{}", key=KEYS[signer])
    jws = parse_compact(token)
    with pytest.raises(SignatureError) as caught:
        KEYS[verifier].public.verify(algorithm=jws.algorithm, message=jws.signing_input, signature=jws.signature)
    assert caught.value.code == "signature.key_mismatch"


def test_a_signature_by_another_key_of_the_same_curve_is_refused() -> None:
    other = SigningKey.generate("ES256")
    jws = parse_compact(sign_compact(header={}, payload=b"{}", key=other))
    with pytest.raises(SignatureError) as caught:
        KEYS["ES256"].public.verify(algorithm="ES256", message=jws.signing_input, signature=jws.signature)
    assert caught.value.code == "signature.invalid"


def test_sign_compact_refuses_a_header_alg_that_is_not_the_keys() -> None:
    with pytest.raises(ConfigurationError) as caught:
        sign_compact(header={"alg": "ES384"}, payload=b"{}", key=KEYS["ES256"])
    assert caught.value.code == "key.alg_mismatch"


def test_a_key_without_kid_signs_without_kid() -> None:
    key = KEYS["ES256"]
    anonymous = SigningKey(key=key.key, algorithm="ES256", kid=None, public=key.public)
    assert "kid" not in parse_compact(sign_compact(header={}, payload=b"{}", key=anonymous)).header


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("a.b", "format.jws"),
        ("a.b.c.d", "format.jws"),
        (f"{b64url_encode(b'[1]')}.e30.c2ln", "format.json"),
        (f"{b64url_encode(b'not json')}.e30.c2ln", "format.json"),
        ("eyJhbGciOiJFUzI1NiJ9.e30=.c2ln", "format.base64url"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.c2ln+", "format.base64url"),
    ],
)
def test_parse_compact_refuses_malformed_tokens(token: str, code: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_compact(token)
    assert caught.value.code == code


# ---------------------------------------------------------------------------------------------- header rules


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({}, "jws.alg_missing"),
        ({"alg": ""}, "jws.alg_missing"),
        ({"alg": 7}, "jws.alg_missing"),
        ({"alg": "none"}, "jws.alg_refused"),
        ({"alg": "HS256"}, "jws.alg_refused"),
        ({"alg": "HS384"}, "jws.alg_refused"),
        ({"alg": "HS512"}, "jws.alg_refused"),
        ({"alg": "HS1"}, "jws.alg_refused"),
        ({"alg": "ES256K"}, "jws.alg_unknown"),
        ({"alg": "PS256"}, "jws.alg_unknown"),
        ({"alg": "RS256"}, "jws.alg_not_allowed"),
        ({"alg": "ES256", "crit": ["b64"], "b64": False}, "jws.crit_unsupported"),
        ({"alg": "ES256", "jwk": {"kty": "EC"}}, "jws.embedded_key"),
        ({"alg": "ES256", "jku": "https://attacker.example/jwks"}, "jws.embedded_key"),
        ({"alg": "ES256", "x5u": "https://attacker.example/cert"}, "jws.embedded_key"),
        ({"alg": "ES256", "x5c": ["MIIB"]}, "jws.embedded_key"),
    ],
)
def test_check_header_refusals(header: dict[str, Any], code: str) -> None:
    with pytest.raises(SignatureError) as caught:
        check_header(header, allowed=DEFAULT_ALGORITHMS)
    assert caught.value.code == code


def test_check_header_refuses_none_and_hmac_even_if_a_policy_lists_them() -> None:
    for alg in ("none", "HS256"):
        with pytest.raises(SignatureError) as caught:
            check_header({"alg": alg}, allowed=frozenset({alg, "ES256"}))
        assert caught.value.code == "jws.alg_refused"


def test_check_header_accepts_allowed_algorithms() -> None:
    assert check_header({"alg": "RS256", "kid": "k", "typ": "vc+jwt"}, allowed=SUPPORTED_ALGORITHMS) == "RS256"
    with pytest.raises(SignatureError) as caught:
        check_header({"alg": "ES512"}, allowed=frozenset({"ES256"}))
    assert caught.value.code == "jws.alg_not_allowed"


# ---------------------------------------------------------------------------------------------- key resolution


def test_static_key_resolver() -> None:
    es256, es384 = KEYS["ES256"].public, KEYS["ES384"].public
    resolver = StaticKeyResolver({"https://bac.example.ma": [es256, es384]})
    issuer = "https://bac.example.ma"
    assert resolver.resolve(issuer=issuer, kid=es384.kid, algorithm="ES384", signed_at=None) is es384
    assert resolver.resolve(issuer=issuer, kid=None, algorithm="ES256", signed_at=None) is es256
    cases = [
        ({"issuer": "https://other.example", "kid": None, "algorithm": "ES256"}, "key.unknown_issuer"),
        ({"issuer": issuer, "kid": "missing", "algorithm": "ES256"}, "key.unknown_kid"),
        ({"issuer": issuer, "kid": None, "algorithm": "EdDSA"}, "key.unknown_kid"),
    ]
    for arguments, code in cases:
        with pytest.raises(KeyResolutionError) as caught:
            resolver.resolve(signed_at=None, **arguments)
        assert caught.value.code == code
    ambiguous = StaticKeyResolver({issuer: [es256, SigningKey.generate().public]})
    with pytest.raises(KeyResolutionError):
        ambiguous.resolve(issuer=issuer, kid=None, algorithm="ES256", signed_at=None)


# ---------------------------------------------------------------------------------------------- base64url


@pytest.mark.parametrize(
    "text",
    ["YQ==", "YQ=", "YWI+", "YWI/", "YW I", "YWI\n", " YWI", "YWI\t", "YQ%3D", "Y", "YWJjZ", "é", "YR", "YWJ"],
)
def test_b64url_decode_is_strict(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        b64url_decode(text)
    assert caught.value.code == "format.base64url"


def test_b64url_decode_accepts_only_the_canonical_spelling() -> None:
    assert b64url_decode("YQ") == b"a"
    assert b64url_decode("YWI") == b"ab"
    # "YR".."Yf" and "YWJ".."YWL" decode to the same bytes in lenient decoders; one value, one string.
    for alias in ("YR", "YS", "Yf", "YWJ", "YWK", "YWL"):
        with pytest.raises(FormatError):
            b64url_decode(alias)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_b64url_round_trip_without_padding(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert b64url_decode(encoded) == data
    assert b64url_decode(encoded.encode("ascii")) == data


def test_sign_compact_can_leave_the_kid_out() -> None:
    key = SigningKey.generate(kid="k1")
    named = parse_compact(sign_compact(header={"typ": "x"}, payload=b"{}", key=key))
    anonymous = parse_compact(sign_compact(header={"typ": "x"}, payload=b"{}", key=key, with_kid=False))
    assert named.header["kid"] == "k1"
    assert "kid" not in anonymous.header
    key.public.verify(algorithm="ES256", message=anonymous.signing_input, signature=anonymous.signature)
