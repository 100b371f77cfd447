"""VCDM 2.0 rules as VC-JOSE-COSE applies them: contexts, types, issuer, JWT claims, dates, terms, envelopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest

import schemas
from vc.errors import FormatError
from vc.urls import is_absolute_url
from vc.vcdm import (
    CREDENTIALS_V2,
    ContextRegistry,
    Envelope,
    as_list,
    node_id,
    parse_date_time_stamp,
    parse_envelope,
    types_of,
    validate_credential,
    validate_presentation,
)

REGISTRY = ContextRegistry(schemas.pinned_contexts())
EXAMPLES_V2 = schemas.CREDENTIALS_EXAMPLES_V2_CONTEXT_URL
ISSUER = "https://bac.example.ma"
TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2JhYy5leGFtcGxlLm1hIn0.c2ln~"
_DELETE = object()


def credential(**changes: Any) -> dict[str, Any]:
    """A valid diploma credential with members replaced (``context`` for ``@context``) or deleted."""
    document: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, schemas.DIPLOMA_CONTEXT_URL],
        "id": "urn:uuid:3f1a6c1e-8d5e-4c3e-9a55-2f0c1d9e7b10",
        "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
        "issuer": ISSUER,
        "validFrom": "2024-07-01T00:00:00Z",
        "credentialSubject": schemas.sample_subject(),
        "credentialStatus": {
            "id": f"{ISSUER}/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": f"{ISSUER}/status/1",
        },
        "credentialSchema": {"id": schemas.DIPLOMA_SCHEMA_URL, "type": "JsonSchema"},
    }
    for name, value in changes.items():
        key = "@context" if name == "context" else name
        if value is _DELETE:
            document.pop(key, None)
        else:
            document[key] = value
    return document


def refusal(document: dict[str, Any]) -> str:
    with pytest.raises(FormatError) as caught:
        validate_credential(document, REGISTRY)
    return caught.value.code


# ---------------------------------------------------------------------------------------------- credentials


def test_a_valid_diploma_credential() -> None:
    facts = validate_credential(credential(), REGISTRY)
    assert facts.issuer == ISSUER
    assert facts.types == (schemas.DIPLOMA_CREDENTIAL_TYPE,)
    assert facts.valid_from == datetime(2024, 7, 1, tzinfo=UTC)
    assert facts.valid_until is None


def test_minimal_credential_with_a_single_context_and_type() -> None:
    minimal = {
        "@context": CREDENTIALS_V2,
        "type": "VerifiableCredential",
        "issuer": {"id": "did:example:ministry", "name": "Ministère"},
        "credentialSubject": {"id": "did:example:graduate"},
    }
    facts = validate_credential(minimal, REGISTRY)
    assert (facts.issuer, facts.types, facts.valid_from) == ("did:example:ministry", (), None)


@pytest.mark.parametrize(
    "context",
    [
        [schemas.DIPLOMA_CONTEXT_URL, CREDENTIALS_V2],
        ["https://www.w3.org/2018/credentials/v1"],
        [],
        _DELETE,
        "https://www.w3.org/ns/credentials/v2/",
    ],
)
def test_the_vc_2_0_context_must_come_first(context: Any) -> None:
    assert refusal(credential(context=context)) == "vcdm.context_missing"


def test_context_entries_must_be_urls_or_objects() -> None:
    assert refusal(credential(context=[CREDENTIALS_V2, 42])) == "vcdm.context_invalid"


def test_an_unknown_context_url_is_refused() -> None:
    document = credential(context=[CREDENTIALS_V2, "https://evil.example/context"])
    assert refusal(document) == "vcdm.context_unknown"


@pytest.mark.parametrize(
    "types",
    [["BaccalaureateDiplomaCredential"], "BaccalaureateDiplomaCredential", [], _DELETE, ["VerifiableCredential", 7]],
)
def test_type_must_include_verifiable_credential(types: Any) -> None:
    assert refusal(credential(type=types)) == "vcdm.type_missing"


@pytest.mark.parametrize(
    "issuer", ["bac.example.ma", "", 42, {"name": "no id"}, {"id": "not a url"}, "https://bac example.ma", _DELETE]
)
def test_issuer_must_be_a_url_or_an_object_with_a_url_id(issuer: Any) -> None:
    assert refusal(credential(issuer=issuer)) == "vcdm.issuer_invalid"


@pytest.mark.parametrize("issuer", [ISSUER, {"id": ISSUER, "name": {"fr": "Ministère"}}, "did:web:bac.example.ma"])
def test_issuer_forms_accepted(issuer: Any) -> None:
    assert validate_credential(credential(issuer=issuer), REGISTRY).issuer == node_id(issuer)


def test_iss_must_name_the_issuer() -> None:
    assert validate_credential(credential(iss=ISSUER), REGISTRY).issuer == ISSUER
    assert refusal(credential(iss="https://other.example")) == "vcdm.iss_mismatch"
    issuer_object = {"id": ISSUER}
    assert validate_credential(credential(issuer=issuer_object, iss=ISSUER), REGISTRY).issuer == ISSUER


def test_id_must_be_a_url_and_agree_with_jti() -> None:
    identifier = credential()["id"]
    validate_credential(credential(jti=identifier), REGISTRY)
    validate_credential(credential(id=_DELETE, jti="anything"), REGISTRY)
    assert refusal(credential(jti="urn:uuid:00000000-0000-0000-0000-000000000000")) == "vcdm.jti_mismatch"
    assert refusal(credential(id="not a url")) == "vcdm.id_invalid"


def test_sub_must_agree_with_the_subject_id() -> None:
    subject = {**schemas.sample_subject(), "id": "did:example:graduate"}
    validate_credential(credential(credentialSubject=subject, sub="did:example:graduate"), REGISTRY)
    validate_credential(credential(sub="did:example:graduate"), REGISTRY)  # a subject without id says nothing
    assert refusal(credential(credentialSubject=subject, sub="did:example:other")) == "vcdm.sub_mismatch"
    two = [subject, {**subject, "id": "did:example:sibling"}]
    assert refusal(credential(credentialSubject=two, sub="did:example:graduate")) == "vcdm.sub_mismatch"


@pytest.mark.parametrize("subject", [_DELETE, None, [], "did:example:graduate", [{"a": 1}, "b"]])
def test_a_credential_subject_object_is_required(subject: Any) -> None:
    assert refusal(credential(credentialSubject=subject)) == "vcdm.subject_missing"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-01T00:00:00Z", datetime(2024, 7, 1, tzinfo=UTC)),
        ("2024-07-01T02:00:00+02:00", datetime(2024, 7, 1, tzinfo=UTC)),
        ("2024-06-30T23:00:00.250-01:00", datetime(2024, 7, 1, 0, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_date_time_stamps_with_a_time_zone(value: str, expected: datetime) -> None:
    parsed = parse_date_time_stamp(value, name="validFrom")
    assert parsed == expected
    assert parsed.utcoffset() is not None
    assert validate_credential(credential(validFrom=value), REGISTRY).valid_from == expected


@pytest.mark.parametrize(
    "value",
    [
        "2024-07-01T00:00:00",
        "2024-07-01",
        "2024-07-01 00:00:00Z",
        "2024-07-01T00:00:00z",
        "2024-13-01T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "2024-07-01T00:00:00+0200",
        "",
        1719792000,
        None,
    ],
)
def test_date_times_without_a_time_zone_or_malformed_are_refused(value: Any) -> None:
    with pytest.raises(FormatError) as caught:
        parse_date_time_stamp(value, name="validFrom")
    assert caught.value.code == "vcdm.date_invalid"
    assert refusal(credential(validFrom=value)) == "vcdm.date_invalid"


def test_valid_until_must_not_precede_valid_from() -> None:
    facts = validate_credential(credential(validUntil="2030-07-01T00:00:00+01:00"), REGISTRY)
    assert facts.valid_until == datetime(2030, 7, 1, tzinfo=timezone(timedelta(hours=1)))
    assert refusal(credential(validUntil="2024-06-30T23:59:59Z")) == "vcdm.date_invalid"
    assert refusal(credential(validUntil="2030-07-01T00:00:00")) == "vcdm.date_invalid"


@pytest.mark.parametrize("claim", ["vc", "vp"])
def test_vc_and_vp_claims_are_refused(claim: str) -> None:
    assert refusal(credential(**{claim: {"credentialSubject": {}}})) == "vcdm.vc_vp_claim"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("credentialStatus", "https://bac.example.ma/status/1"),
        ("credentialStatus", [{"id": "https://bac.example.ma/status/1"}]),
        ("credentialSchema", {"id": schemas.DIPLOMA_SCHEMA_URL}),
        ("credentialSchema", [{"id": schemas.DIPLOMA_SCHEMA_URL, "type": 7}]),
    ],
)
def test_status_and_schema_entries_need_a_type(name: str, value: Any) -> None:
    assert refusal(credential(**{name: value})) == "vcdm.property_invalid"


# ---------------------------------------------------------------------------------------------- terms


def test_undefined_top_level_terms_are_refused() -> None:
    with pytest.raises(FormatError) as caught:
        validate_credential(credential(graduationParty="yes", averageGrade=15), REGISTRY)
    assert caught.value.code == "vcdm.term_undefined"
    assert caught.value.found == ["averageGrade", "graduationParty"]


def test_terms_of_a_vocab_context_are_not_defined_terms() -> None:
    document = credential(context=[CREDENTIALS_V2, schemas.DIPLOMA_CONTEXT_URL, EXAMPLES_V2], anything="x")
    assert refusal(document) == "vcdm.term_undefined"


def test_terms_scoped_to_the_credentials_own_type_are_accepted() -> None:
    # validFrom, credentialSchema, credentialStatus and credentialSubject are defined only inside the
    # VerifiableCredential type-scoped context of the VC 2.0 context, and name/description at its top.
    document = credential(name="Baccalauréat", description="Diplôme du baccalauréat", validUntil=_DELETE)
    validate_credential(document, REGISTRY)
    terms = REGISTRY.defined_terms([CREDENTIALS_V2], ["VerifiableCredential"])
    assert {"validFrom", "credentialSchema", "credentialStatus", "credentialSubject", "issuer"} <= terms
    assert "holder" not in terms


def test_terms_scoped_to_another_type_are_refused() -> None:
    # 'holder' is defined only for VerifiablePresentation.
    assert refusal(credential(holder="did:example:graduate")) == "vcdm.term_undefined"
    assert "holder" in REGISTRY.defined_terms([CREDENTIALS_V2], ["VerifiablePresentation"])


def test_jwt_registered_claims_are_always_allowed() -> None:
    validate_credential(credential(iss=ISSUER, iat=1719792000, nbf=1719792000, exp=1919792000, cnf={}), REGISTRY)


def test_an_inline_context_defines_its_terms() -> None:
    inline = {"graduationParty": "https://tawtiq.ma/ns/example#graduationParty"}
    validate_credential(
        credential(context=[CREDENTIALS_V2, schemas.DIPLOMA_CONTEXT_URL, inline], graduationParty=1), REGISTRY
    )
    scoped = {"@context": {"honours": "https://tawtiq.ma/ns/example#honours"}}
    assert "honours" in REGISTRY.defined_terms([CREDENTIALS_V2, scoped], [])


# ---------------------------------------------------------------------------------------------- presentations


def presentation(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:graduate",
        "verifiableCredential": [
            {
                "@context": CREDENTIALS_V2,
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+sd-jwt,{TOKEN}",
            }
        ],
    }
    document.update(changes)
    return document


def test_a_valid_presentation() -> None:
    facts = validate_presentation(presentation(), REGISTRY)
    assert facts.holder == "did:example:graduate"
    assert facts.envelopes == (Envelope(media_type="application/vc+sd-jwt", content=TOKEN),)
    assert validate_presentation(presentation(verifiableCredential=[]), REGISTRY).envelopes == ()
    single = presentation(verifiableCredential=presentation()["verifiableCredential"][0], holder={"id": "did:x:y"})
    assert len(validate_presentation(single, REGISTRY).envelopes) == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"type": ["VerifiableCredential"]}, "vcdm.type_missing"),
        ({"holder": "not a url"}, "vcdm.holder_invalid"),
        ({"iss": "did:example:other"}, "vcdm.iss_mismatch"),
        ({"vp": {}}, "vcdm.vc_vp_claim"),
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "vcdm.context_missing"),
        (
            {"verifiableCredential": [{"type": "VerifiableCredential", "id": "data:application/vc+jwt,x"}]},
            "vcdm.envelope_invalid",
        ),
        ({"issuerName": "x"}, "vcdm.term_undefined"),
    ],
)
def test_presentation_refusals(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(FormatError) as caught:
        validate_presentation(presentation(**changes), REGISTRY)
    assert caught.value.code == code


# ---------------------------------------------------------------------------------------------- envelopes


def envelope(url: Any) -> dict[str, Any]:
    return {"@context": CREDENTIALS_V2, "type": ["EnvelopedVerifiableCredential"], "id": url}


@pytest.mark.parametrize("media_type", ["application/vc+jwt", "application/vc+sd-jwt", "application/dc+sd-jwt"])
def test_enveloped_credential_data_urls(media_type: str) -> None:
    assert parse_envelope(envelope(f"data:{media_type},{TOKEN}")) == Envelope(media_type, TOKEN)


def test_enveloped_credential_percent_encoding_and_parameters() -> None:
    assert parse_envelope(envelope(f"data:application/vc+sd-jwt,{quote(TOKEN, safe='')}")).content == TOKEN
    assert parse_envelope(envelope(f"data:application/vc+sd-jwt;charset=utf-8,{TOKEN}")).content == TOKEN
    cose = parse_envelope(envelope("data:application/vc+cose;base64,0oRDoQEmoFhE"))
    assert cose == Envelope("application/vc+cose", "0oRDoQEmoFhE")


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("data:application/vc+jwt,x", "vcdm.envelope_invalid"),
        ({"type": "VerifiableCredential", "id": f"data:application/vc+jwt,{TOKEN}"}, "vcdm.envelope_invalid"),
        (envelope(f"https://bac.example.ma/credentials/1#{TOKEN}"), "vcdm.envelope_invalid"),
        (envelope("data:application/vc+jwt"), "vcdm.envelope_invalid"),
        (envelope("data:application/vc+jwt,"), "vcdm.envelope_invalid"),
        (envelope(None), "vcdm.envelope_invalid"),
        (envelope("data:application/vc%2Bjwt%C3%28,x"), "vcdm.envelope_media_type"),
        (envelope("data:application/vc+jwt,%C3%28"), "vcdm.envelope_invalid"),
        (envelope(f"data:application/json,{TOKEN}"), "vcdm.envelope_media_type"),
        (envelope(f"data:text/plain,{TOKEN}"), "vcdm.envelope_media_type"),
    ],
)
def test_envelope_refusals(entry: Any, code: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_envelope(entry)
    assert caught.value.code == code


# ---------------------------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://bac.example.ma", True),
        ("did:web:bac.example.ma", True),
        ("urn:uuid:3f1a6c1e-8d5e-4c3e-9a55-2f0c1d9e7b10", True),
        ("bac.example.ma", False),
        ("https://", False),
        ("https://bac.example.ma/a b", False),
        ("", False),
        (None, False),
        (["https://bac.example.ma"], False),
    ],
)
def test_is_url(value: Any, expected: bool) -> None:
    assert is_absolute_url(value) is expected


def test_small_helpers() -> None:
    assert as_list("a") == ["a"]
    assert as_list(["a"]) == ["a"]
    assert types_of({"type": "VerifiableCredential"}) == ("VerifiableCredential",)
    assert types_of({"type": ["VerifiableCredential", 3, "X"]}) == ("VerifiableCredential", "X")
    assert types_of({}) == ()
    assert node_id({"id": ISSUER}) == ISSUER
    assert node_id({"name": "x"}) is None
    assert node_id(7) is None


def test_a_base64_data_url_carries_the_token_base64_encoded() -> None:
    import base64

    encoded = base64.b64encode(TOKEN.encode("ascii")).decode("ascii")
    assert parse_envelope(envelope(f"data:application/vc+sd-jwt;base64,{encoded}")) == Envelope(
        media_type="application/vc+sd-jwt", content=TOKEN
    )


def test_a_base64_data_url_that_does_not_decode_is_refused() -> None:
    with pytest.raises(FormatError) as caught:
        parse_envelope(envelope("data:application/vc+jwt;base64,not*base64"))
    assert caught.value.code == "vcdm.envelope_invalid"
