"""RFC 9901 (SD-JWT) examples, processed by the engine exactly as a verifier and a holder would.

Every issued SD-JWT is checked with the A.5 issuer key and processed; every presentation must give the
Processed SD-JWT Payload the RFC prints; every KB-JWT is verified at the examples' pinned time. The
disclosure vectors of §4.2 and §6 check digests over the transmitted strings, and the §8 JWS JSON
serialization vectors are checked through their equivalent compact form (the only one the engine speaks).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import load_conformance
from vc import sdjwt
from vc.encoding import json_object
from vc.errors import DisclosureError, HolderBindingError, SignatureError
from vc.jose import DEFAULT_ALGORITHMS, PublicKey, check_header, parse_compact

KEYS = load_conformance("rfc9901/keys.json")
KB_PARAMETERS = KEYS["key_binding_parameters_used_in_examples"]
#: The KB-JWTs of the examples were all issued at this instant.
KB_TIME = datetime.fromtimestamp(KB_PARAMETERS["iat"], UTC)
ISSUER_KEY = PublicKey.from_jwk(KEYS["issuer"]["public_jwk"])
ISSUER_KEY_2 = PublicKey.from_jwk(KEYS["issuer_key_2"]["public_jwk"])
HOLDER_JWK = KEYS["holder"]["public_jwk"]

SECTION5 = load_conformance("rfc9901/section5-main-example.json")
A1 = load_conformance("rfc9901/appendix-a1-simple-structured.json")
A2 = load_conformance("rfc9901/appendix-a2-complex-structured.json")
A3 = load_conformance("rfc9901/appendix-a3-sd-jwt-vc.json")
A4 = load_conformance("rfc9901/appendix-a4-w3c-vcdm.json")
SECTION8 = load_conformance("rfc9901/section8-json-serialization.json")
DISCLOSURES = load_conformance("rfc9901/disclosure-vectors.json")

EXAMPLES = {"section5": SECTION5, "A.1": A1, "A.2": A2, "A.3": A3, "A.4": A4}
WITH_KEY_BINDING = {"section5": SECTION5, "A.3": A3, "A.4": A4}


def issued_string(vector: Mapping[str, Any]) -> str:
    """The complete issued SD-JWT; A.1 and A.2 print none, so it is the JWT with every printed disclosure."""
    if "issued_sd_jwt" in vector:
        return str(vector["issued_sd_jwt"])
    return sdjwt.serialize(vector["issuer_signed_jwt"], [d["disclosure"] for d in vector["disclosures"]])


def presentation_string(vector: Mapping[str, Any]) -> str:
    presentation = vector["presentation"]
    return str(presentation.get("sd_jwt_kb") or presentation["sd_jwt"])


def verified_payload(sd_jwt: sdjwt.SdJwt, key: PublicKey = ISSUER_KEY) -> dict[str, Any]:
    """RFC 9901 §7.1 step 2: the issuer-signed JWT's header rules and signature, then its payload."""
    jws = parse_compact(sd_jwt.issuer_jwt, what="issuer-signed JWT")
    algorithm = check_header(jws.header, allowed=DEFAULT_ALGORITHMS)
    key.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)
    return json_object(jws.payload, what="issuer-signed JWT payload")


def kb_expectations(*, audience: str | None = KB_PARAMETERS["aud"]) -> sdjwt.KeyBindingExpectations:
    return sdjwt.KeyBindingExpectations(
        audience=audience,
        nonce=KB_PARAMETERS["nonce"],
        max_age=timedelta(minutes=5),
        clock_skew=timedelta(seconds=60),
        algorithms=DEFAULT_ALGORITHMS,
    )


def all_claims(vector: Mapping[str, Any]) -> dict[str, Any]:
    """What processing every disclosure must give: the issuer's input claims, plus the claims it added."""
    added = {k: v for k, v in vector["issuer_signed_jwt_payload"].items() if k not in ("_sd", "_sd_alg")}
    return {**added, **vector["input_claims"]}


# ----------------------------------------------------------------------------------------- issued SD-JWTs


@pytest.mark.parametrize("name", EXAMPLES)
def test_issued_sd_jwt_verifies_with_the_issuer_key_and_matches_the_printed_payload(name: str) -> None:
    vector = EXAMPLES[name]
    parsed = sdjwt.parse(issued_string(vector))
    payload = verified_payload(parsed)
    assert payload == vector["issuer_signed_jwt_payload"]
    assert parse_compact(parsed.issuer_jwt).header == vector["issuer_signed_jwt_header"]
    assert [d.encoded for d in parsed.disclosures] == [d["disclosure"] for d in vector["disclosures"]]
    assert parsed.key_binding_jwt is None


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_printed_disclosure_has_the_printed_digest_and_content(name: str) -> None:
    for printed in EXAMPLES[name]["disclosures"]:
        disclosure = sdjwt.Disclosure.parse(printed["disclosure"])
        assert disclosure.digest == printed["digest_sha256"]
        assert disclosure.salt == printed["salt"]
        if "array_element_value" in printed:
            assert disclosure.name is None
            assert disclosure.value == printed["array_element_value"]
        else:
            assert disclosure.name == printed["claim_name"]
            assert disclosure.value == printed["claim_value"]


@pytest.mark.parametrize("name", ["section5", "A.3"])
def test_processing_every_disclosure_gives_the_reference_payload(name: str) -> None:
    vector = EXAMPLES[name]
    parsed = sdjwt.parse(issued_string(vector))
    processed = sdjwt.process(verified_payload(parsed), parsed.disclosures)
    assert processed.payload == vector["expected_processed_payload_all_disclosures"]
    assert len(processed.revealed) == len(vector["disclosures"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_processing_every_disclosure_gives_back_the_input_claims(name: str) -> None:
    vector = EXAMPLES[name]
    parsed = sdjwt.parse(issued_string(vector))
    processed = sdjwt.process(verified_payload(parsed), parsed.disclosures)
    assert processed.payload == all_claims(vector)


def test_a1_decoy_digests_are_in_the_payload_and_match_no_disclosure() -> None:
    parsed = sdjwt.parse(issued_string(A1))
    payload = verified_payload(parsed)
    digests = set(payload["_sd"]) | set(payload["address"]["_sd"])
    decoys = set(A1["decoy_digests"])
    assert len(decoys) == 6
    assert decoys <= digests
    assert decoys.isdisjoint(d.digest for d in parsed.disclosures)


# ----------------------------------------------------------------------------------------- presentations


@pytest.mark.parametrize("name", EXAMPLES)
def test_presentation_gives_the_printed_processed_payload(name: str) -> None:
    vector = EXAMPLES[name]
    parsed = sdjwt.parse(presentation_string(vector))
    processed = sdjwt.process(verified_payload(parsed), parsed.disclosures)
    assert processed.payload == vector["expected_processed_payload"]
    assert [d.encoded for d in parsed.disclosures] == [d["disclosure"] for d in vector["presentation"]["disclosed"]]
    assert parsed.serialize() == presentation_string(vector)


@pytest.mark.parametrize("name", WITH_KEY_BINDING)
def test_kb_jwt_verifies_at_the_pinned_time_and_its_sd_hash_matches(name: str) -> None:
    vector = WITH_KEY_BINDING[name]
    presentation = vector["presentation"]
    parsed = sdjwt.parse(presentation["sd_jwt_kb"])
    payload = verified_payload(parsed)
    assert payload["cnf"]["jwk"] == HOLDER_JWK
    claims = sdjwt.verify_key_binding(
        parsed, holder_key=PublicKey.from_jwk(payload["cnf"]["jwk"]), expect=kb_expectations(), now=KB_TIME
    )
    assert claims == presentation["kb_jwt_payload"]
    assert claims["sd_hash"] == presentation["expected_sd_hash"]
    assert sdjwt.digest_of(parsed.without_key_binding) == presentation["expected_sd_hash"]
    assert parse_compact(presentation["kb_jwt"]).header == presentation["kb_jwt_header"]
    assert parsed.key_binding_jwt == presentation["kb_jwt"]


@pytest.mark.parametrize("name", WITH_KEY_BINDING)
def test_kb_jwt_is_refused_for_another_audience_or_later_on(name: str) -> None:
    parsed = sdjwt.parse(WITH_KEY_BINDING[name]["presentation"]["sd_jwt_kb"])
    holder = PublicKey.from_jwk(HOLDER_JWK)
    with pytest.raises(HolderBindingError) as wrong_audience:
        sdjwt.verify_key_binding(
            parsed, holder_key=holder, expect=kb_expectations(audience="https://other.example"), now=KB_TIME
        )
    assert wrong_audience.value.code == "holder_binding.aud"
    with pytest.raises(HolderBindingError) as too_old:
        sdjwt.verify_key_binding(parsed, holder_key=holder, expect=kb_expectations(), now=KB_TIME + timedelta(days=1))
    assert too_old.value.code == "holder_binding.iat_too_old"


def test_section5_holder_selection_reproduces_the_printed_presentation() -> None:
    issued = sdjwt.parse(SECTION5["issued_sd_jwt"])
    payload = verified_payload(issued)
    # §5.2 discloses family_name, address, given_name and the first nationality ("US").
    paths = [("family_name",), ("address",), ("given_name",), ("nationalities", 0)]
    chosen = sdjwt.select(issued, payload, paths)
    printed = {d["disclosure"] for d in SECTION5["presentation"]["disclosed"]}
    assert {d.encoded for d in chosen} == printed
    presented = sdjwt.parse(sdjwt.serialize(issued.issuer_jwt, chosen))
    assert sdjwt.process(payload, presented.disclosures).payload == SECTION5["expected_processed_payload"]


# ----------------------------------------------------------------------------------------- §4.2 and §6


def test_section_4_2_1_disclosure_digest() -> None:
    vector = DISCLOSURES["section_4_2_1_object_property"]
    disclosure = sdjwt.Disclosure.parse(vector["disclosure"])
    assert disclosure.digest == vector["digest_sha256"]
    assert [disclosure.salt, disclosure.name, disclosure.value] == vector["contents"]


def test_section_4_2_1_other_encodings_of_the_same_claim_give_other_digests() -> None:
    vector = DISCLOSURES["section_4_2_1_object_property"]
    alternatives = vector["equivalent_encodings_same_claim_different_digest"]
    assert set(alternatives) == {"unicode_escape", "no_whitespace", "newlines"}
    digests = {vector["digest_sha256"]}
    for alternative in alternatives.values():
        disclosure = sdjwt.Disclosure.parse(alternative["disclosure"])
        # The digest covers the string as transmitted, never re-serialised JSON.
        assert disclosure.digest == alternative["digest_sha256"]
        assert [disclosure.salt, disclosure.name, disclosure.value] == [
            "_26bc4LT-ac6q2KI6cBW5es",
            "family_name",
            "Möbius",
        ]
        digests.add(disclosure.digest)
    assert len(digests) == 4


def test_section_4_2_2_array_element_disclosure() -> None:
    vector = DISCLOSURES["section_4_2_2_array_element"]
    disclosure = sdjwt.Disclosure.parse(vector["disclosure"])
    assert disclosure.digest == vector["digest_sha256"]
    assert disclosure.name is None
    assert [disclosure.salt, disclosure.value] == vector["contents"]
    processed = sdjwt.process({"nationalities": vector["embedded_as"]}, [disclosure])
    assert processed.payload == vector["claims"]
    assert processed.disclosed_paths == (("nationalities", 1),)
    undisclosed = sdjwt.process({"nationalities": vector["embedded_as"]}, [])
    assert undisclosed.payload == {"nationalities": ["DE", "US"]}


def test_section_4_2_6_recursive_element_disclosures() -> None:
    vector = DISCLOSURES["section_4_2_6_recursive"]
    elements = [sdjwt.Disclosure.parse(element["disclosure"]) for element in vector["elements"]]
    for disclosure, element in zip(elements, vector["elements"], strict=True):
        assert disclosure.digest == element["digest_sha256"]
        assert [disclosure.salt, disclosure.value] == element["contents"]
    outer_contents = vector["outer"]["contents_as_printed"]
    assert [item["..."] for item in outer_contents[2]] == [d.digest for d in elements]
    # Element disclosures without the disclosure of their array reach no digest of the payload.
    with pytest.raises(DisclosureError) as caught:
        sdjwt.process(vector["payload"], elements)
    assert caught.value.code == "sd_jwt.unreferenced_disclosure"
    # The printed outer disclosure cannot be reproduced byte for byte; one with the same content can.
    outer = sdjwt.Disclosure.create(salt=outer_contents[0], name=outer_contents[1], value=outer_contents[2])
    payload = {**vector["payload"], "_sd": [outer.digest]}
    processed = sdjwt.process(payload, [outer, *elements])
    assert processed.payload == {"family_name": "Möbius", "nationalities": ["DE", "FR", "UK"]}
    assert sdjwt.process(payload, [outer, elements[1]]).payload["nationalities"] == ["FR"]


@pytest.mark.parametrize("section", ["section_6_1_flat", "section_6_2_structured", "section_6_3_recursive"])
def test_section_6_address_examples(section: str) -> None:
    vector = DISCLOSURES[section]
    disclosures = [sdjwt.Disclosure.parse(printed["disclosure"]) for printed in vector["disclosures"]]
    for disclosure, printed in zip(disclosures, vector["disclosures"], strict=True):
        assert disclosure.digest == printed["digest_sha256"]
        assert [disclosure.salt, disclosure.name, disclosure.value] == printed["contents"]
    processed = sdjwt.process(vector["payload"], disclosures)
    assert processed.payload["address"] == {
        "street_address": "Schulstr. 12",
        "locality": "Schulpforta",
        "region": "Sachsen-Anhalt",
        "country": "DE",
    }
    assert "_sd_alg" not in processed.payload


def test_section_6_2_variant_with_country_in_clear() -> None:
    vector = DISCLOSURES["section_6_2_structured"]
    disclosures = [sdjwt.Disclosure.parse(printed["disclosure"]) for printed in vector["disclosures"]]
    without_country = [d for d in disclosures if d.name != "country"]
    variant = vector["payload_variant_country_in_clear"]
    assert sdjwt.process(variant, without_country).payload["address"]["country"] == "DE"
    # The country disclosure is referenced by no digest of the variant: refused, not ignored.
    with pytest.raises(DisclosureError) as caught:
        sdjwt.process(variant, disclosures)
    assert caught.value.code == "sd_jwt.unreferenced_disclosure"


# ----------------------------------------------------------------------------------------- §8 JWS JSON


def compact_of(protected: str, payload: str, signature: str, disclosures: list[str], kb_jwt: str = "") -> str:
    """The compact SD-JWT equivalent to a JWS JSON serialization (RFC 9901 §8.1)."""
    return sdjwt.serialize(f"{protected}.{payload}.{signature}", disclosures, kb_jwt)


def test_section8_flattened_issued_sd_jwt() -> None:
    flattened = SECTION8["flattened_issued"]
    compact = compact_of(
        flattened["protected"], flattened["payload"], flattened["signature"], flattened["header"]["disclosures"]
    )
    parsed = sdjwt.parse(compact)
    payload = verified_payload(parsed)
    processed = sdjwt.process(payload, parsed.disclosures)
    assert {d.name for d in parsed.disclosures} == {"sub", "given_name", "family_name", "birthdate"}
    assert processed.payload["given_name"] == "John"
    assert processed.payload["cnf"]["jwk"] == HOLDER_JWK


def test_section8_flattened_presentation_with_key_binding() -> None:
    flattened = SECTION8["flattened_presentation_sd_jwt_kb"]
    header = flattened["header"]
    compact = compact_of(
        flattened["protected"], flattened["payload"], flattened["signature"], header["disclosures"], header["kb_jwt"]
    )
    parsed = sdjwt.parse(compact)
    payload = verified_payload(parsed)
    processed = sdjwt.process(payload, parsed.disclosures)
    assert processed.payload == SECTION8["expected_processed_payload_flattened_and_general_presentation"]
    claims = sdjwt.verify_key_binding(
        parsed, holder_key=PublicKey.from_jwk(HOLDER_JWK), expect=kb_expectations(), now=KB_TIME
    )
    # sd_hash covers protected.payload.signature~D1~D2~, the compact form of the flattened JWS.
    assert claims["sd_hash"] == sdjwt.digest_of(parsed.without_key_binding)
    assert claims["sd_hash"].startswith("VjtPsgZp")


def test_section8_general_presentation_with_two_issuer_signatures() -> None:
    general = SECTION8["general_presentation_sd_jwt_kb"]
    first, second = general["signatures"]
    assert first["header"]["kid"] == "issuer-key-1"
    assert second["header"]["kid"] == "issuer-key-2"
    compact = compact_of(
        first["protected"],
        general["payload"],
        first["signature"],
        first["header"]["disclosures"],
        first["header"]["kb_jwt"],
    )
    parsed = sdjwt.parse(compact)
    payload = verified_payload(parsed, ISSUER_KEY)
    # The second signature is over the same protected header and payload, by issuer-key-2.
    verified_payload(
        sdjwt.parse(compact_of(second["protected"], general["payload"], second["signature"], [])), ISSUER_KEY_2
    )
    processed = sdjwt.process(payload, parsed.disclosures)
    assert processed.payload == SECTION8["expected_processed_payload_flattened_and_general_presentation"]
    claims = sdjwt.verify_key_binding(
        parsed, holder_key=PublicKey.from_jwk(HOLDER_JWK), expect=kb_expectations(), now=KB_TIME
    )
    assert claims["sd_hash"] == sdjwt.digest_of(parsed.without_key_binding)
    assert claims["sd_hash"].startswith("qbyIWP3p")


def test_section8_signatures_are_not_interchangeable_between_keys() -> None:
    general = SECTION8["general_presentation_sd_jwt_kb"]
    second = general["signatures"][1]
    parsed = sdjwt.parse(compact_of(second["protected"], general["payload"], second["signature"], []))
    with pytest.raises(SignatureError) as caught:
        verified_payload(parsed, ISSUER_KEY)
    assert caught.value.code == "signature.invalid"
