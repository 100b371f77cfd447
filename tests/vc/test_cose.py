"""Strict CBOR (vc.cbor) and COSE_Sign1 (vc.cose): round trips, the W3C suite's messages as known answers, and one
refusal per kind of bad input."""

from __future__ import annotations

import base64
import json

import cbor2
import pytest

from tests.conftest import CONFORMANCE
from vc.cbor import dumps, loads
from vc.cose import ALG, KID, parse_sign1, sign1
from vc.errors import FormatError, SignatureError
from vc.jose import PublicKey, SigningKey

INPUT = CONFORMANCE / "vc-jose-cose" / "input"


def _suite_message(name: str) -> bytes:
    text = (INPUT / name).read_text().strip()
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _suite_key(name: str) -> PublicKey:
    return PublicKey.from_jwk(json.loads((INPUT / name).read_text())["publicKeyJwk"])


@pytest.mark.parametrize("algorithm", ["ES256", "ES384", "ES512", "EdDSA"])
def test_sign_then_parse_and_verify(algorithm: str) -> None:
    key = SigningKey.generate(algorithm)
    message = parse_sign1(sign1(b"payload", key=key, kid=b"k1", headers={16: "application/x"}))
    assert (message.algorithm, message.kid, message.payload, message.header(16)) == (
        algorithm,
        b"k1",
        b"payload",
        "application/x",
    )
    message.verify(key.public)
    with pytest.raises(SignatureError):
        message.verify(SigningKey.generate(algorithm).public)


@pytest.mark.parametrize(
    ("file", "key"),
    [("credential-cose-minimal.txt", "vm-p256.json"), ("presentation-cose-single.txt", "vm-p384.json")],
)
def test_messages_made_elsewhere_verify(file: str, key: str) -> None:
    message = parse_sign1(_suite_message(file))
    message.verify(_suite_key(key))
    assert json.loads(message.payload)["@context"][0] == "https://www.w3.org/ns/credentials/v2"


def test_a_bad_signature_made_elsewhere_is_refused() -> None:
    message = parse_sign1(_suite_message("credential-cose-bad-signature.txt"))
    with pytest.raises(SignatureError) as caught:
        message.verify(_suite_key("vm-ed25519.json"))
    assert caught.value.code == "signature.invalid"


def _tagged(*items: object) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(18, list(items)))


KEY = SigningKey.generate()
GOOD_PROTECTED = dumps({ALG: -7})
BAD_MESSAGES = {
    "untagged": (cbor2.dumps([GOOD_PROTECTED, {}, b"x", b"s"]), "cose.not_sign1"),
    "three items": (_tagged(GOOD_PROTECTED, {}, b"x"), "cose.not_sign1"),
    "detached payload": (_tagged(GOOD_PROTECTED, {}, None, b"s"), "cose.detached"),
    "unprotected alg": (_tagged(b"", {ALG: -7}, b"x", b"s"), "cose.header_invalid"),
    "label in both buckets": (_tagged(dumps({ALG: -7, KID: b"a"}), {KID: b"b"}, b"x", b"s"), "cose.header_invalid"),
    "crit": (_tagged(dumps({ALG: -7, 2: [99]}), {}, b"x", b"s"), "cose.crit_unsupported"),
    "HMAC algorithm": (_tagged(dumps({ALG: 5}), {}, b"x", b"s"), "cose.algorithm"),
    "text kid": (_tagged(dumps({ALG: -7, KID: "k"}), {}, b"x", b"s"), "cose.header_invalid"),
    "protected not a map": (_tagged(dumps([1]), {}, b"x", b"s"), "cose.header_invalid"),
    "signature as text": (_tagged(GOOD_PROTECTED, {}, b"x", "s"), "cose.not_sign1"),
}


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
def test_malformed_messages_are_refused_with_their_code(name: str) -> None:
    data, code = BAD_MESSAGES[name]
    with pytest.raises(FormatError) as caught:
        parse_sign1(data)
    assert caught.value.code == code


BAD_CBOR = {
    "regular expression tag": ("d823624128", "cbor.tag_refused"),
    "date tag": ("c11a514b67b0", "cbor.tag_refused"),
    "length past the end": ("5bffffffffffffff0001", "cbor.truncated"),
    "huge array count": ("9bffffffffffffffff", "cbor.truncated"),
    "indefinite array": ("9f01ff", "cbor.indefinite"),
    "half float": ("f97e00", "cbor.type_refused"),
    "undefined": ("f7", "cbor.type_refused"),
    "array map key": ("a1810101", "cbor.type_refused"),
    "duplicate key": ("a201020103", "cbor.malformed"),
    "invalid UTF-8": ("62c328", "cbor.malformed"),
    "trailing byte": ("0101", "cbor.trailing_data"),
    "reserved information": ("1c", "cbor.malformed"),
    "cut inside a head": ("19ff", "cbor.truncated"),
}


@pytest.mark.parametrize("name", sorted(BAD_CBOR))
def test_cbor_outside_the_engines_subset_is_refused(name: str) -> None:
    data, code = BAD_CBOR[name]
    with pytest.raises(FormatError) as caught:
        loads(bytes.fromhex(data), what="test data")
    assert caught.value.code == code
    assert "test data" in caught.value.message


def test_cbor_bombs_are_refused_before_anything_is_built() -> None:
    deep = b"\x81" * 40 + b"\x01"  # 40 nested one-item arrays
    with pytest.raises(FormatError) as caught:
        loads(deep, what="x")
    assert caught.value.code == "cbor.too_deep"
    wide = cbor2.dumps([0] * 5000)
    with pytest.raises(FormatError) as caught:
        loads(wide, what="x")
    assert caught.value.code == "cbor.too_many_items"
    with pytest.raises(FormatError) as caught:
        loads(b"\x40" * 10, what="x", max_bytes=4)
    assert caught.value.code == "cbor.too_large"


def test_cbor_round_trip_of_what_credentials_hold() -> None:
    value = {1: "text", -65537: [b"\x00" * 16, 20261, True, None, False], "k": {"idx": 3}}
    assert loads(dumps(value), what="x") == value
