"""Unit tests of vc.sdjwt: issuance (salts, digests, decoys, nesting), parsing, processing, selection, key binding."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vc import sdjwt
from vc.claims import ClaimPath, format_claim_path
from vc.encoding import b64url_decode, b64url_encode, json_dumps, json_object
from vc.errors import ConfigurationError, DisclosureError, FormatError, HolderBindingError
from vc.jose import DEFAULT_ALGORITHMS, PublicKey, SigningKey, parse_compact, sign_compact

ISSUER = SigningKey.generate()
HOLDER = SigningKey.generate()
AUDIENCE = "https://admissions.um5.example.ma"
NONCE = "n-0S6_WzA2Mj"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
HEADER = {"typ": "dc+sd-jwt"}

CLAIMS: dict[str, Any] = {
    "iss": "https://bac.example.ma",
    "givenName": "Salma",
    "familyName": "El Alaoui",
    "address": {"street": "12 rue Al Massira", "city": "Casablanca", "country": "MA"},
    "nationalities": ["MA", "FR", "ES"],
    "degrees": [{"name": "bac", "year": 2024}, {"name": "licence", "year": 2027}],
}


def seeded(seed: int = 0) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


def disclosable(
    paths: list[ClaimPath], *, seed: int = 0, decoys: sdjwt.DecoyPolicy = sdjwt.NO_DECOYS, claims: Any = None
) -> tuple[dict[str, Any], list[sdjwt.Disclosure]]:
    return sdjwt.make_disclosable(
        CLAIMS if claims is None else claims, disclosable=paths, random_bytes=seeded(seed), decoys=decoys
    )


def sd_arrays(node: Any) -> Iterator[list[str]]:
    """Every ``_sd`` array in a payload or disclosure value, however deep."""
    if isinstance(node, dict):
        if "_sd" in node:
            yield node["_sd"]
        for value in node.values():
            yield from sd_arrays(value)
    elif isinstance(node, list):
        for element in node:
            yield from sd_arrays(element)


def issued(paths: list[ClaimPath], *, holder: PublicKey | None = None) -> tuple[sdjwt.SdJwt, dict[str, Any]]:
    text = sdjwt.issue(CLAIMS, key=ISSUER, header=HEADER, disclosable=paths, holder=holder, random_bytes=seeded())
    parsed = sdjwt.parse(text)
    return parsed, json_object(parse_compact(parsed.issuer_jwt).payload, what="payload")


def names(disclosures: tuple[sdjwt.Disclosure, ...] | list[sdjwt.Disclosure]) -> list[str | None]:
    return sorted((d.name for d in disclosures), key=str)


ALL_PATHS: list[ClaimPath] = [
    ("givenName",),
    ("familyName",),
    ("address",),
    ("address", "street"),
    ("address", "city"),
    ("nationalities", None),
    ("degrees", None),
    ("degrees", None, "year"),
]


# ---------------------------------------------------------------------------------------------- issuance


def test_salts_are_128_bits_of_injected_randomness() -> None:
    requested: list[int] = []
    source = seeded()

    def recording(size: int) -> bytes:
        requested.append(size)
        return source(size)

    _, disclosures = sdjwt.make_disclosable(CLAIMS, disclosable=ALL_PATHS, random_bytes=recording)
    assert disclosures
    for disclosure in disclosures:
        assert len(b64url_decode(disclosure.salt)) == 16
    # Every salt is 16 fresh bytes of the injected source (drawn in batches, never reused).
    assert sum(requested) >= sdjwt.SALT_BYTES * len(disclosures)
    assert len({d.salt for d in disclosures}) == len(disclosures)


def test_sd_alg_is_sha_256_and_only_set_when_something_is_disclosable() -> None:
    payload, _ = disclosable([("givenName",)])
    assert payload["_sd_alg"] == "sha-256"
    plain, none = disclosable([])
    assert none == []
    assert plain == CLAIMS


def test_every_sd_array_is_sorted() -> None:
    for seed in range(5):
        payload, disclosures = disclosable(ALL_PATHS, seed=seed, decoys=sdjwt.DEFAULT_DECOYS)
        arrays = list(sd_arrays(payload)) + [a for d in disclosures for a in sd_arrays(d.value)]
        assert len(arrays) >= 3
        for digests in arrays:
            assert digests == sorted(digests)


def test_issuance_is_deterministic_for_seeded_randomness() -> None:
    assert disclosable(ALL_PATHS, seed=7, decoys=sdjwt.DEFAULT_DECOYS) == disclosable(
        ALL_PATHS, seed=7, decoys=sdjwt.DEFAULT_DECOYS
    )
    assert disclosable(ALL_PATHS, seed=7) != disclosable(ALL_PATHS, seed=8)


def test_decoys_are_added_in_the_configured_range() -> None:
    policy = sdjwt.DecoyPolicy(2, 4)
    seen: set[int] = set()
    for seed in range(40):
        payload, disclosures = disclosable([("givenName",), ("familyName",)], seed=seed, decoys=policy)
        real = {d.digest for d in disclosures}
        decoys = [digest for digest in payload["_sd"] if digest not in real]
        assert 2 <= len(decoys) <= 4
        assert len(payload["_sd"]) == len(set(payload["_sd"])) == 2 + len(decoys)
        for decoy in decoys:
            assert len(b64url_decode(decoy)) == 32  # shaped like a real SHA-256 digest
        seen.add(len(decoys))
    assert seen == {2, 3, 4}


def test_no_decoys_policy_adds_none_and_default_adds_one_to_three() -> None:
    payload, disclosures = disclosable([("givenName",), ("address", "city")])
    assert set(payload["_sd"]) == {d.digest for d in disclosures if d.name == "givenName"}
    for seed in range(10):
        payload, disclosures = disclosable([("givenName",)], seed=seed, decoys=sdjwt.DEFAULT_DECOYS)
        assert 1 <= len(payload["_sd"]) - 1 <= 3


def test_array_element_disclosure() -> None:
    payload, disclosures = disclosable([("nationalities", 1)])
    (disclosure,) = disclosures
    assert disclosure.name is None
    assert disclosure.value == "FR"
    assert payload["nationalities"] == ["MA", {"...": disclosure.digest}, "ES"]
    assert "_sd" not in payload  # no object property was made disclosable, so no decoys either
    assert sdjwt.process(payload, disclosures).payload == CLAIMS


def test_every_element_with_the_wildcard() -> None:
    payload, disclosures = disclosable([("nationalities", None)])
    assert [d.value for d in disclosures] == ["MA", "FR", "ES"]
    assert payload["nationalities"] == [{"...": d.digest} for d in disclosures]
    assert sdjwt.process(payload, []).payload["nationalities"] == []


def test_nested_disclosure_keeps_the_parent_in_clear() -> None:
    payload, disclosures = disclosable([("address", "city")])
    (city,) = disclosures
    assert (city.name, city.value) == ("city", "Casablanca")
    assert payload["address"] == {"street": "12 rue Al Massira", "country": "MA", "_sd": [city.digest]}
    assert "_sd" not in payload


def test_recursive_disclosure_hides_the_parent_and_its_children() -> None:
    payload, disclosures = disclosable([("address",), ("address", "city"), ("address", "street")])
    by_name = {d.name: d for d in disclosures}
    assert payload["_sd"] == [by_name["address"].digest]
    inner = by_name["address"].value
    assert inner["country"] == "MA"
    assert sorted(inner["_sd"]) == sorted([by_name["city"].digest, by_name["street"].digest])
    # Children are built before their parent, so the parent's value already holds their digests.
    assert [d.name for d in disclosures].index("address") == len(disclosures) - 1
    assert sdjwt.process(payload, disclosures).payload == CLAIMS


def test_objects_in_array_elements_with_disclosable_members() -> None:
    payload, disclosures = disclosable([("degrees", None), ("degrees", None, "year")])
    elements = [d for d in disclosures if d.name is None]
    years = [d for d in disclosures if d.name == "year"]
    assert len(elements) == len(years) == 2
    assert payload["degrees"] == [{"...": e.digest} for e in elements]
    assert [e.value["name"] for e in elements] == ["bac", "licence"]
    assert sdjwt.process(payload, disclosures).payload == CLAIMS


def test_index_and_wildcard_on_the_same_array_merge() -> None:
    payload, disclosures = disclosable([("degrees", None, "year"), ("degrees", 0, "name")])
    processed = sdjwt.process(payload, disclosures)
    assert processed.payload == CLAIMS
    assert sorted(processed.disclosed_paths) == [
        ("degrees", 0, "name"),
        ("degrees", 0, "year"),
        ("degrees", 1, "year"),
    ]


@pytest.mark.parametrize(
    "path",
    [("nope",), ("address", "zip"), ("nationalities", 5), ("givenName", "first"), ("degrees", None, "grade")],
)
def test_a_path_naming_no_claim_is_refused(path: ClaimPath) -> None:
    with pytest.raises(ConfigurationError) as caught:
        disclosable([("givenName",), path])
    assert caught.value.code == "sd_jwt.path_not_found"
    assert caught.value.found == [format_claim_path(path)]


@pytest.mark.parametrize(
    "claims",
    [
        {"_sd": ["x"], "givenName": "Salma"},
        {"givenName": "Salma", "...": 1},
        {"givenName": "Salma", "address": {"_sd": ["looks like a digest"]}},
        {"givenName": "Salma", "list": [{"...": "looks like a digest"}]},
        {"givenName": "Salma", "deep": [[{"a": {"_sd": []}}]]},
    ],
)
def test_reserved_names_are_refused_anywhere_in_the_claims(claims: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        disclosable([("givenName",)], claims=claims)
    assert caught.value.code == "sd_jwt.reserved_name"


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_a_disclosure_cannot_carry_a_reserved_name(name: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        sdjwt.Disclosure.create(salt="c2FsdA", name=name, value=1)
    assert caught.value.code == "sd_jwt.reserved_name"


def test_cnf_jwk_carries_only_the_public_key() -> None:
    extras = {
        "alg": "ES256",
        "use": "sig",
        "key_ops": ["verify"],
        "ext": True,
        "x-evil": "<script>",
        "x5u": "https://e",
    }
    holder = PublicKey.from_jwk({**HOLDER.public.jwk, **extras})
    _, payload = issued([("givenName",)], holder=holder)
    assert payload["cnf"] == {"jwk": {name: HOLDER.public.jwk[name] for name in ("kty", "crv", "x", "y")}}
    assert PublicKey.from_jwk(payload["cnf"]["jwk"]).thumbprint() == HOLDER.public.thumbprint()


def test_issue_signs_with_the_given_header_and_ends_with_a_tilde() -> None:
    text = sdjwt.issue(CLAIMS, key=ISSUER, header=HEADER, disclosable=ALL_PATHS, random_bytes=seeded())
    assert text.endswith("~")
    parsed = sdjwt.parse(text)
    jws = parse_compact(parsed.issuer_jwt)
    assert jws.header == {"alg": "ES256", "kid": ISSUER.kid, "typ": "dc+sd-jwt"}
    ISSUER.public.verify(algorithm="ES256", message=jws.signing_input, signature=jws.signature)
    assert len(parsed.disclosures) == 2 + 3 + 3 + 4


def test_disclosures_are_compact_utf8_json() -> None:
    disclosure = sdjwt.Disclosure.create(salt="_26bc4LT-ac6q2KI6cBW5es", name="family_name", value="Möbius")
    assert b64url_decode(disclosure.encoded) == '["_26bc4LT-ac6q2KI6cBW5es","family_name","Möbius"]'.encode()
    # RFC 9901 §4.2.1 prints the digest of this exact string (its 'no_whitespace' alternative).
    assert disclosure.digest == "TZjouOTrBKEwUNjNDs9yeMzBoQn8FFLPaJjRRmAtwrM"
    assert sdjwt.Disclosure.parse(disclosure.encoded) == disclosure
    element = sdjwt.Disclosure.create(salt="lklxF5jMYlGTPUovMNIvCA", name=None, value={"a": [1, None]})
    assert sdjwt.Disclosure.parse(element.encoded) == element


# ---------------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "sd_jwt.missing_tilde"),
        ("~", "sd_jwt.malformed"),
        ("a.b.c~~", "sd_jwt.malformed"),
        ("a.b.c~WyJzIiwiYSIsMV0~not-a-jwt", "sd_jwt.missing_tilde"),
    ],
)
def test_parse_refuses_malformed_serialisations(text: str, code: str) -> None:
    with pytest.raises(FormatError) as caught:
        sdjwt.parse(text)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'["salt", "name"', "sd_jwt.disclosure_malformed"),
        (b'{"salt": "s"}', "sd_jwt.disclosure_arity"),
        (b'["salt"]', "sd_jwt.disclosure_arity"),
        (b'["salt", "name", 1, 2]', "sd_jwt.disclosure_arity"),
        (b'[1, "name", 1]', "sd_jwt.disclosure_malformed"),
        (b'["salt", 7, 1]', "sd_jwt.disclosure_malformed"),
        (b'["salt", "_sd", 1]', "sd_jwt.reserved_name"),
        (b'["salt", "...", 1]', "sd_jwt.reserved_name"),
    ],
)
def test_disclosure_parse_refuses_bad_content(content: bytes, code: str) -> None:
    with pytest.raises(DisclosureError) as caught:
        sdjwt.Disclosure.parse(b64url_encode(content))
    assert caught.value.code == code


def test_disclosure_parse_refuses_non_base64url() -> None:
    with pytest.raises(DisclosureError) as caught:
        sdjwt.Disclosure.parse("WyJzIiwiYSIsMV0=")
    assert caught.value.code == "sd_jwt.disclosure_malformed"


# ---------------------------------------------------------------------------------------------- processing


def test_processing_reports_where_each_disclosure_landed() -> None:
    payload, disclosures = disclosable(ALL_PATHS)
    processed = sdjwt.process(payload, disclosures)
    assert processed.payload == CLAIMS
    assert set(processed.disclosed_paths) == {
        ("givenName",),
        ("familyName",),
        ("address",),
        ("address", "street"),
        ("address", "city"),
        ("nationalities", 0),
        ("nationalities", 1),
        ("nationalities", 2),
        ("degrees", 0),
        ("degrees", 1),
        ("degrees", 0, "year"),
        ("degrees", 1, "year"),
    }
    city = next(item for item in processed.revealed if item.path == ("address", "city"))
    address = next(d for d in disclosures if d.name == "address")
    assert city.ancestors == (address.digest,)


def test_processing_with_a_subset_leaves_out_the_rest() -> None:
    payload, disclosures = disclosable(ALL_PATHS)
    chosen = [d for d in disclosures if d.name in ("givenName", "address", "city")]
    result = sdjwt.process(payload, chosen).payload
    assert result == {
        "iss": CLAIMS["iss"],
        "givenName": "Salma",
        "address": {"city": "Casablanca", "country": "MA"},
        "nationalities": [],
        "degrees": [],
    }


def _with(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**payload, **changes}


def test_processing_refuses_each_irregularity() -> None:
    payload, disclosures = disclosable([("givenName",), ("nationalities", 0)])
    given = next(d for d in disclosures if d.name == "givenName")
    element = next(d for d in disclosures if d.name is None)
    cases: list[tuple[dict[str, Any], list[sdjwt.Disclosure], str]] = [
        (payload, [given, given], "sd_jwt.duplicate_disclosure"),
        (_with(payload, _sd=[given.digest, given.digest]), [given], "sd_jwt.duplicate_digest"),
        (_with(payload, other={"_sd": [given.digest]}), [given], "sd_jwt.duplicate_digest"),
        (_with(payload, _sd=[]), [given], "sd_jwt.unreferenced_disclosure"),
        (_with(payload, givenName="Other"), [given], "sd_jwt.claim_conflict"),
        (_with(payload, _sd=[element.digest], nationalities=[]), [element], "sd_jwt.disclosure_arity"),
        (_with(payload, _sd=[], nationalities=[{"...": given.digest}]), [given], "sd_jwt.disclosure_arity"),
        (_with(payload, _sd=[7]), [], "sd_jwt.digest_malformed"),
        (_with(payload, _sd="not an array"), [], "sd_jwt.digest_malformed"),
        (_with(payload, _sd_alg="sha-512"), disclosures, "sd_jwt.hash_unsupported"),
    ]
    for bad_payload, presented, code in cases:
        with pytest.raises((DisclosureError, FormatError)) as caught:
            sdjwt.process(bad_payload, presented)
        assert caught.value.code == code, (code, caught.value)


# ---------------------------------------------------------------------------------------------- holder


def test_select_includes_the_parents_of_a_nested_claim() -> None:
    parsed, payload = issued(ALL_PATHS)
    chosen = sdjwt.select(parsed, payload, [("address", "city")])
    assert names(chosen) == ["address", "city"]


def test_select_includes_everything_beneath_a_selected_object() -> None:
    parsed, payload = issued(ALL_PATHS)
    chosen = sdjwt.select(parsed, payload, [("address",)])
    assert names(chosen) == ["address", "city", "street"]
    degrees = sdjwt.select(parsed, payload, [("degrees", 1)])
    assert {(d.name, d.value if d.name else d.value["name"]) for d in degrees} == {(None, "licence"), ("year", 2027)}


def test_select_wildcard_takes_every_element() -> None:
    parsed, payload = issued(ALL_PATHS)
    assert [d.value for d in sdjwt.select(parsed, payload, [("nationalities", None)])] == ["MA", "FR", "ES"]
    years = sdjwt.select(parsed, payload, [("degrees", None, "year")])
    assert names(years) == [None, None, "year", "year"]


def test_select_keeps_issuance_order_and_ignores_clear_claims() -> None:
    parsed, payload = issued(ALL_PATHS)
    chosen = sdjwt.select(parsed, payload, [("nationalities", 2), ("givenName",), ("iss",)])
    assert list(chosen) == [d for d in parsed.disclosures if d in chosen]
    assert {d.value for d in chosen} == {"Salma", "ES"}
    assert sdjwt.select(parsed, payload, [("iss",)]) == ()


def test_select_includes_the_disclosures_a_clear_claim_sits_in() -> None:
    parsed, payload = issued([("address",), ("address", "city"), ("degrees", None)])
    assert names(sdjwt.select(parsed, payload, [("address", "country")])) == ["address"]
    named = sdjwt.select(parsed, payload, [("degrees", 0, "name")])
    assert [d.value["name"] for d in named] == ["bac"]
    every = sdjwt.select(parsed, payload, [("degrees", None, "name")])
    assert [d.value["name"] for d in every] == ["bac", "licence"]


@pytest.mark.parametrize(
    "path", [("address", "zip"), ("nationalities", 7), ("degrees", None, "grade"), ("nope",), ("iss", "x")]
)
def test_select_refuses_a_path_naming_no_claim(path: ClaimPath) -> None:
    parsed, payload = issued(ALL_PATHS)
    with pytest.raises(DisclosureError) as caught:
        sdjwt.select(parsed, payload, [path])
    assert caught.value.code == "sd_jwt.claim_not_found"


def test_present_without_a_key_is_a_tilde_terminated_sd_jwt() -> None:
    parsed, payload = issued(ALL_PATHS, holder=HOLDER.public)
    text = sdjwt.present(parsed, payload, disclose=[("givenName",), ("address", "city")])
    assert text.endswith("~")
    presented = sdjwt.parse(text)
    assert presented.key_binding_jwt is None
    assert presented.issuer_jwt == parsed.issuer_jwt
    assert names(presented.disclosures) == ["address", "city", "givenName"]
    assert sdjwt.process(payload, presented.disclosures).payload["address"] == {"city": "Casablanca", "country": "MA"}


def test_present_with_a_key_adds_a_kb_jwt_over_exactly_the_presented_string() -> None:
    parsed, payload = issued(ALL_PATHS, holder=HOLDER.public)
    text = sdjwt.present(
        parsed, payload, disclose=[("familyName",)], key=HOLDER, audience=AUDIENCE, nonce=NONCE, issued_at=NOW
    )
    presented_part, _, kb_jwt = text.rpartition("~")
    presented_part += "~"
    kb = parse_compact(kb_jwt)
    assert kb.header == {"alg": "ES256", "kid": HOLDER.kid, "typ": "kb+jwt"}
    assert json_object(kb.payload, what="KB-JWT") == {
        "iat": int(NOW.timestamp()),
        "aud": AUDIENCE,
        "nonce": NONCE,
        "sd_hash": sdjwt.digest_of(presented_part),
    }
    presented = sdjwt.parse(text)
    assert presented.without_key_binding == presented_part
    claims = sdjwt.verify_key_binding(presented, holder_key=HOLDER.public, expect=expectations(), now=NOW)
    assert claims["sd_hash"] == sdjwt.digest_of(presented_part)


def test_present_with_a_key_needs_audience_nonce_and_time() -> None:
    parsed, payload = issued(ALL_PATHS, holder=HOLDER.public)
    with pytest.raises(ConfigurationError) as caught:
        sdjwt.present(parsed, payload, disclose=[("familyName",)], key=HOLDER, audience=AUDIENCE, nonce=NONCE)
    assert caught.value.code == "holder_binding.parameters_missing"


# ---------------------------------------------------------------------------------------------- key binding


def expectations(**changes: Any) -> sdjwt.KeyBindingExpectations:
    values: dict[str, Any] = {
        "audience": AUDIENCE,
        "nonce": NONCE,
        "max_age": timedelta(minutes=5),
        "clock_skew": timedelta(seconds=60),
        "algorithms": DEFAULT_ALGORITHMS,
    }
    return sdjwt.KeyBindingExpectations(**{**values, **changes})


def _presentation(*, typ: str = "kb+jwt", **kb_changes: Any) -> sdjwt.SdJwt:
    """A presentation of familyName whose KB-JWT has ``typ`` and ``kb_changes`` applied to its payload."""
    parsed, payload = issued(ALL_PATHS, holder=HOLDER.public)
    chosen = sdjwt.select(parsed, payload, [("familyName",)])
    presented = sdjwt.serialize(parsed.issuer_jwt, chosen)
    claims = {"iat": int(NOW.timestamp()), "aud": AUDIENCE, "nonce": NONCE, "sd_hash": sdjwt.digest_of(presented)}
    kb_jwt = sign_compact(header={"typ": typ}, payload=json_dumps({**claims, **kb_changes}), key=HOLDER)
    return sdjwt.parse(presented + kb_jwt)


@pytest.mark.parametrize(
    ("changes", "now", "code"),
    [
        ({"aud": "https://other.example"}, NOW, "holder_binding.aud"),
        ({"nonce": "replayed"}, NOW, "holder_binding.nonce"),
        ({}, NOW + timedelta(minutes=7), "holder_binding.iat_too_old"),
        ({}, NOW - timedelta(minutes=5), "holder_binding.iat_future"),
        ({"iat": "now"}, NOW, "holder_binding.iat_missing"),
        ({"iat": True}, NOW, "holder_binding.iat_missing"),
        ({"iat": None}, NOW, "holder_binding.iat_missing"),
        ({"sd_hash": sdjwt.digest_of("something else~")}, NOW, "holder_binding.sd_hash"),
        ({"typ": "jwt"}, NOW, "holder_binding.typ"),
    ],
)
def test_key_binding_refusals(changes: dict[str, Any], now: datetime, code: str) -> None:
    with pytest.raises(HolderBindingError) as caught:
        sdjwt.verify_key_binding(_presentation(**changes), holder_key=HOLDER.public, expect=expectations(), now=now)
    assert caught.value.code == code


def test_key_binding_refuses_another_key_and_a_missing_kb_jwt() -> None:
    presented = _presentation()
    with pytest.raises(HolderBindingError) as caught:
        sdjwt.verify_key_binding(presented, holder_key=ISSUER.public, expect=expectations(), now=NOW)
    assert caught.value.code == "holder_binding.signature_invalid"
    bare = sdjwt.parse(presented.without_key_binding)
    with pytest.raises(HolderBindingError) as missing:
        sdjwt.verify_key_binding(bare, holder_key=HOLDER.public, expect=expectations(), now=NOW)
    assert missing.value.code == "holder_binding.missing"


def test_key_binding_sd_hash_covers_the_disclosures_as_presented() -> None:
    presented = _presentation()
    dropped = sdjwt.SdJwt(presented.issuer_jwt, (), presented.key_binding_jwt)
    with pytest.raises(HolderBindingError) as caught:
        sdjwt.verify_key_binding(dropped, holder_key=HOLDER.public, expect=expectations(), now=NOW)
    assert caught.value.code == "holder_binding.sd_hash"


def test_key_binding_accepts_a_fractional_numeric_date() -> None:
    presented = _presentation(iat=NOW.timestamp() - 0.25)
    claims = sdjwt.verify_key_binding(presented, holder_key=HOLDER.public, expect=expectations(), now=NOW)
    assert claims["iat"] == NOW.timestamp() - 0.25


def test_key_binding_without_audience_or_nonce_expectations_accepts_any() -> None:
    presented = _presentation(aud="https://other.example", nonce="other")
    claims = sdjwt.verify_key_binding(
        presented, holder_key=HOLDER.public, expect=expectations(audience=None, nonce=None), now=NOW
    )
    assert claims["aud"] == "https://other.example"
