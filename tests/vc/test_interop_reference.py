"""Interoperability, both ways, with the OpenWallet Foundation's ``sd-jwt`` reference implementation (0.10.4).

(a) The reference verifies what we issue and present, and finds the same claims we do.
(b) We verify what the reference issues and presents, through :func:`vc.sdjwt.process` with a signature
    check, and through the whole :func:`vc.verify` pipeline.

How the reference behaves, as read from its source and seen in these tests:

* Issuing: ``SDJWTIssuer(user_claims, issuer_key, holder_key=None, sign_alg=None, add_decoy_claims=False,
  serialization_format="compact", extra_header_parameters={})``. Object members are made disclosable by
  wrapping the *key* in ``SDObj`` (``{SDObj("familyName"): ...}``), array elements by wrapping the *value*
  (``[SDObj("MA"), "FR"]``); nesting SDObj keys gives recursive disclosures. Keys are jwcrypto ``JWK``s.
  The result is ``.sd_jwt_issuance``.
* Its header ``typ`` is ``example+sd-jwt`` unless ``extra_header_parameters`` (or the ``SD_JWT_HEADER``
  environment variable) says otherwise; it never sets ``kid`` or ``cty`` by itself.
* Disclosures are ``json.dumps`` output: ``", "`` separators and ``\\uXXXX`` escapes for every non-ASCII
  character (ours are compact UTF-8). Both are valid; digests are over the string as transmitted.
* ``cnf.jwk`` is jwcrypto's ``export_public``, which includes a ``kid`` (jwcrypto derives one).
* With ``add_decoy_claims=True`` every object gets 2 to 5 decoys, chosen with the ``random`` module.
* Presenting: ``SDJWTHolder(issuance).create_presentation(claims_to_disclose, nonce, aud, holder_key)``
  where ``claims_to_disclose`` mirrors the claims (``{"credentialSubject": {"familyName": True}}``,
  lists for arrays). A KB-JWT is made only when nonce, aud and key are all given; its ``iat`` is
  ``time.time()``, which these tests pin by patching ``sd_jwt.holder.time``. The holder does not check
  the issuer's signature.
* Verifying: ``SDJWTVerifier(presentation, cb_get_issuer_key, expected_aud, expected_nonce)``;
  the callback gets the unverified ``iss`` and header and returns a jwcrypto key. The KB-JWT is checked
  only if aud and nonce are expected (then always as ES256); its ``iat`` is never checked, nor are
  ``exp``/``nbf``, nor unreferenced disclosures. ``get_verified_payload()`` gives the processed payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt import holder as reference_holder
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

import schemas
from vc import (
    CheckName,
    ContextRegistry,
    HolderBinding,
    Outcome,
    Policy,
    Profile,
    SigningKey,
    StaticKeyResolver,
    TrustList,
    UnavailableStatusResolver,
    Verdict,
    VerificationReport,
    issue,
    present,
    sdjwt,
    verify,
)
from vc.encoding import b64url_decode, json_object
from vc.errors import DisclosureError
from vc.jose import DEFAULT_ALGORITHMS, parse_compact

ISSUER = "https://bac.example.ma"
VERIFIER = "https://admissions.um5.example.ma"
NONCE = "2f1b7c52-6d0a-4b0b-9d7e-0c8f3b1e5a77"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
CONTEXTS = ContextRegistry(schemas.pinned_contexts())

ISSUER_KEY = SigningKey.generate(kid="bac-2026-1")
HOLDER_KEY = SigningKey.generate()
KEYS = StaticKeyResolver({ISSUER: [ISSUER_KEY.public]})
#: The same keys as jwcrypto objects, for the reference implementation.
REFERENCE_ISSUER_KEY = JWK.from_pyca(ISSUER_KEY.key)
REFERENCE_HOLDER_KEY = JWK.from_pyca(HOLDER_KEY.key)
REFERENCE_ISSUER_PUBLIC = JWK(**ISSUER_KEY.public.jwk)

ASKED = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")
PERSON: dict[str, Any] = {
    "address": {"street": "12 rue Al Massira", "city": "Casablanca", "country": "MA"},
    "nationalities": ["MA", "FR"],
    "degrees": [{"name": "bac", "year": 2024}, {"name": "licence", "year": 2027}],
}


@pytest.fixture
def pinned_reference_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference stamps its KB-JWT with ``time.time()``; pin it to the tests' clock."""
    monkeypatch.setattr(reference_holder, "time", lambda: NOW.timestamp())


def reference_verify(text: str, *, audience: str | None = None, nonce: str | None = None) -> dict[str, Any]:
    headers: list[Mapping[str, Any]] = []

    def issuer_key(issuer: str, header: Mapping[str, Any]) -> JWK:
        assert issuer == ISSUER
        headers.append(header)
        return REFERENCE_ISSUER_PUBLIC

    verifier = SDJWTVerifier(text, issuer_key, expected_aud=audience, expected_nonce=nonce)
    assert len(headers) == 1
    payload: dict[str, Any] = verifier.get_verified_payload()
    return payload


def engine_process(text: str) -> tuple[sdjwt.SdJwt, dict[str, Any]]:
    """RFC 9901 §7.1 with the engine: signature by the issuer's key, then the disclosures."""
    parsed = sdjwt.parse(text)
    jws = parse_compact(parsed.issuer_jwt)
    ISSUER_KEY.public.verify(algorithm=jws.algorithm, message=jws.signing_input, signature=jws.signature)
    payload = json_object(jws.payload, what="payload")
    return parsed, sdjwt.process(payload, parsed.disclosures).payload


def kb_expectations() -> sdjwt.KeyBindingExpectations:
    return sdjwt.KeyBindingExpectations(
        audience=VERIFIER,
        nonce=NONCE,
        max_age=timedelta(minutes=5),
        clock_skew=timedelta(seconds=60),
        algorithms=DEFAULT_ALGORITHMS,
    )


def policy(trust_type: str, **changes: Any) -> Policy:
    values: dict[str, Any] = {
        "trust": TrustList(version="1", issuers={ISSUER: frozenset({trust_type})}),
        "contexts": CONTEXTS,
        "holder_binding": HolderBinding(required=True, audience=VERIFIER, nonce=NONCE),
    }
    return Policy(**{**values, **changes})


def pipeline(text: str, trust_type: str, **changes: Any) -> VerificationReport:
    return verify(text, keys=KEYS, status=UnavailableStatusResolver(), policy=policy(trust_type, **changes), now=NOW)


def outcomes(report: VerificationReport) -> dict[str, tuple[str, str]]:
    return {str(check.name): (str(check.outcome), check.code) for check in report.checks}


def diploma_document() -> dict[str, Any]:
    return {
        "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL, schemas.DIPLOMA_CONTEXT_URL],
        "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
        "issuer": ISSUER,
        "validFrom": "2024-07-01T00:00:00Z",
        "credentialSubject": schemas.sample_subject(),
    }


def w3c_diploma() -> str:
    return issue(
        diploma_document(),
        key=ISSUER_KEY,
        issued_at=NOW - timedelta(days=1),
        profile=Profile.VC_SD_JWT,
        contexts=CONTEXTS,
        disclosable=[f"credentialSubject.{name}" for name in schemas.SUBJECT_CLAIMS],
        holder=HOLDER_KEY.public,
    )


def sd_jwt_vc_diploma() -> str:
    subject = schemas.sample_subject()
    del subject["type"]
    return issue(
        {"iss": ISSUER, "vct": schemas.DIPLOMA_VCT, **subject, **PERSON},
        key=ISSUER_KEY,
        issued_at=NOW - timedelta(days=1),
        profile=Profile.DC_SD_JWT,
        disclosable=[
            *schemas.SUBJECT_CLAIMS,
            "address",
            "address.city",
            "address.street",
            "nationalities[*]",
            "degrees[*]",
            "degrees[*].year",
        ],
        holder=HOLDER_KEY.public,
    )


# ---------------------------------------------------------------------------------------------- (a) ours → reference


def test_reference_verifies_our_w3c_diploma_presentation_with_key_binding() -> None:
    credential = w3c_diploma()
    assert credential.count("~") == 16  # 15 disclosures and the trailing separator
    presentation = present(
        credential,
        disclose=[f"credentialSubject.{name}" for name in ASKED],
        key=HOLDER_KEY,
        audience=VERIFIER,
        nonce=NONCE,
        now=NOW,
    )
    theirs = reference_verify(presentation, audience=VERIFIER, nonce=NONCE)
    ours = pipeline(presentation, schemas.DIPLOMA_CREDENTIAL_TYPE)
    assert ours.verdict is Verdict.VALID
    assert theirs == ours.claims
    sample = schemas.sample_subject()
    assert theirs["credentialSubject"] == {"type": sample["type"], **{name: sample[name] for name in ASKED}}


def test_reference_verifies_our_full_w3c_issuance() -> None:
    credential = w3c_diploma()
    theirs = reference_verify(credential)
    assert theirs["credentialSubject"] == schemas.sample_subject()
    assert theirs == engine_process(credential)[1]


def test_reference_refuses_our_presentation_for_another_verifier() -> None:
    presentation = present(
        w3c_diploma(), disclose=["credentialSubject.mention"], key=HOLDER_KEY, audience=VERIFIER, nonce=NONCE, now=NOW
    )
    with pytest.raises(ValueError, match="audience"):
        reference_verify(presentation, audience="https://other.example", nonce=NONCE)
    with pytest.raises(ValueError, match="nonce"):
        reference_verify(presentation, audience=VERIFIER, nonce="replayed")


def test_reference_verifies_our_sd_jwt_vc_with_nested_and_array_disclosures() -> None:
    credential = sd_jwt_vc_diploma()
    disclose = ["familyName", "mention", "address.city", "nationalities[1]", "degrees[*].year"]
    presentation = present(credential, disclose=disclose, key=HOLDER_KEY, audience=VERIFIER, nonce=NONCE, now=NOW)
    theirs = reference_verify(presentation, audience=VERIFIER, nonce=NONCE)
    ours = pipeline(presentation, schemas.DIPLOMA_VCT)
    assert ours.verdict is Verdict.VALID, ours.problems
    assert theirs == ours.claims
    sample = schemas.sample_subject()
    assert {k: v for k, v in theirs.items() if k not in ("iss", "vct", "iat", "cnf")} == {
        "familyName": sample["familyName"],
        "mention": sample["mention"],
        "address": {"city": "Casablanca", "country": "MA"},  # country is clear inside the address disclosure
        "nationalities": ["FR"],
        "degrees": [{"name": "bac", "year": 2024}, {"name": "licence", "year": 2027}],
    }
    full = reference_verify(credential)
    assert {name: full[name] for name in schemas.SUBJECT_CLAIMS} == {
        name: sample[name] for name in schemas.SUBJECT_CLAIMS
    }
    assert {name: full[name] for name in PERSON} == PERSON


def test_reference_holder_presents_our_credential(pinned_reference_clock: None) -> None:
    holder = SDJWTHolder(w3c_diploma())
    holder.create_presentation(
        {"credentialSubject": dict.fromkeys(ASKED, True)},
        nonce=NONCE,
        aud=VERIFIER,
        holder_key=REFERENCE_HOLDER_KEY,
    )
    report = pipeline(holder.sd_jwt_presentation, schemas.DIPLOMA_CREDENTIAL_TYPE)
    assert report.verdict is Verdict.VALID, report.problems
    assert report.check(CheckName.HOLDER_BINDING).code == "holder_binding.ok"
    assert report.claims is not None
    assert set(report.claims["credentialSubject"]) == {"type", *ASKED}


# ---------------------------------------------------------------------------------------------- (b) reference → ours


def reference_claims() -> dict[Any, Any]:
    """SD-JWT VC claims marked for the reference issuer: flat, nested, recursive and array disclosures."""
    subject = schemas.sample_subject()
    del subject["type"]
    return {
        "iss": ISSUER,
        "vct": schemas.DIPLOMA_VCT,
        "iat": int((NOW - timedelta(days=1)).timestamp()),
        **{SDObj(name): value for name, value in subject.items()},
        SDObj("address"): {SDObj("street"): "12 rue Al Massira", SDObj("city"): "Casablanca", "country": "MA"},
        "nationalities": [SDObj("MA"), SDObj("FR")],
        "degrees": [SDObj({"name": "bac", SDObj("year"): 2024}), {"name": "licence", "year": 2027}],
    }


def reference_issue(claims: dict[Any, Any], *, with_holder: bool = True) -> SDJWTIssuer:
    return SDJWTIssuer(
        claims,
        REFERENCE_ISSUER_KEY,
        holder_key=REFERENCE_HOLDER_KEY if with_holder else None,
        add_decoy_claims=True,
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": ISSUER_KEY.kid},
    )


EVERYTHING: dict[str, Any] = {
    **{name: value for name, value in schemas.sample_subject().items() if name != "type"},
    **PERSON,
}


def test_reference_disclosures_hash_the_same_under_our_parser() -> None:
    issuer = reference_issue(reference_claims())
    assert len(issuer.ii_disclosures) == 15 + 3 + 2 + 2
    for disclosure in issuer.ii_disclosures:
        parsed = sdjwt.Disclosure.parse(disclosure.b64)
        assert parsed.digest == disclosure.hash
        assert len(b64url_decode(parsed.salt)) == 16
    # The reference escapes non-ASCII (the Arabic names), puts spaces after separators and adds decoys
    # even inside the values of disclosures.
    family = b64url_decode(next(d for d in issuer.ii_disclosures if d.key == "familyName").b64)
    assert b'", "familyName", {"_sd": ["' in family
    assert b'"ar": "\\u0627\\u0644' in family


def test_we_process_a_reference_issuance_without_key_binding() -> None:
    issuer = reference_issue(reference_claims(), with_holder=False)
    parsed, ours = engine_process(issuer.sd_jwt_issuance)
    assert parsed.key_binding_jwt is None
    assert ours == reference_verify(issuer.sd_jwt_issuance)
    assert {name: ours[name] for name in EVERYTHING} == EVERYTHING
    assert "cnf" not in ours
    # Decoys land in every object the reference builds, including ones with no disclosure at all.
    decoys = issuer.sd_jwt_payload["degrees"][1]["_sd"]
    assert 2 <= len(decoys) <= 5
    assert set(decoys).isdisjoint(d.digest for d in parsed.disclosures)


def test_we_process_a_reference_presentation_with_key_binding(pinned_reference_clock: None) -> None:
    issuer = reference_issue(reference_claims())
    holder = SDJWTHolder(issuer.sd_jwt_issuance)
    holder.create_presentation(
        {"familyName": True, "address": {"city": True}, "nationalities": [False, True], "degrees": [{"year": True}]},
        nonce=NONCE,
        aud=VERIFIER,
        holder_key=REFERENCE_HOLDER_KEY,
    )
    text = holder.sd_jwt_presentation
    parsed, ours = engine_process(text)
    assert parsed.key_binding_jwt is not None
    claims = sdjwt.verify_key_binding(parsed, holder_key=HOLDER_KEY.public, expect=kb_expectations(), now=NOW)
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["sd_hash"] == sdjwt.digest_of(parsed.without_key_binding)
    assert ours == reference_verify(text, audience=VERIFIER, nonce=NONCE)
    assert {k: v for k, v in ours.items() if k not in ("iss", "vct", "iat", "cnf")} == {
        "familyName": EVERYTHING["familyName"],
        "address": {"city": "Casablanca", "country": "MA"},
        "nationalities": ["FR"],
        "degrees": [{"name": "bac", "year": 2024}, {"name": "licence", "year": 2027}],
    }


def test_full_pipeline_on_a_reference_sd_jwt_vc(pinned_reference_clock: None) -> None:
    issuer = reference_issue(reference_claims())
    holder = SDJWTHolder(issuer.sd_jwt_issuance)
    holder.create_presentation(dict.fromkeys(ASKED, True), nonce=NONCE, aud=VERIFIER, holder_key=REFERENCE_HOLDER_KEY)
    report = pipeline(holder.sd_jwt_presentation, schemas.DIPLOMA_VCT)
    assert report.verdict is Verdict.VALID, report.problems
    assert report.profile == "dc+sd-jwt"
    assert report.kid == ISSUER_KEY.kid
    assert outcomes(report) == {
        "format": ("passed", "format.ok"),
        "signature": ("passed", "signature.ok"),
        "issuer_trust": ("passed", "trust.ok"),
        "validity": ("passed", "validity.ok"),
        "status": ("not_checked", "status.none"),
        "holder_binding": ("passed", "holder_binding.ok"),
        "schema": ("not_checked", "schema.none"),
        "policy": ("passed", "policy.ok"),
    }
    assert report.claims is not None
    assert {name for name in report.claims if name in schemas.SUBJECT_CLAIMS} == set(ASKED)
    assert (report.claims["nationalities"], report.claims["degrees"]) == ([], [{"name": "licence", "year": 2027}])
    # The reference's cnf.jwk carries the kid jwcrypto derived; it is the same key.
    assert report.claims["cnf"]["jwk"]["kid"] == REFERENCE_HOLDER_KEY.thumbprint()


def test_full_pipeline_on_a_reference_w3c_credential() -> None:
    claims: dict[Any, Any] = {
        **{k: v for k, v in diploma_document().items() if k != "credentialSubject"},
        "credentialSubject": {
            "type": schemas.DIPLOMA_SUBJECT_TYPE,
            **{SDObj(name): value for name, value in schemas.sample_subject().items() if name != "type"},
        },
    }
    issuer = SDJWTIssuer(
        claims, REFERENCE_ISSUER_KEY, extra_header_parameters={"typ": "vc+sd-jwt", "cty": "vc"}, add_decoy_claims=True
    )
    holder = SDJWTHolder(issuer.sd_jwt_issuance)
    holder.create_presentation({"credentialSubject": {"mention": True, "stream": True}})
    report = pipeline(
        holder.sd_jwt_presentation, schemas.DIPLOMA_CREDENTIAL_TYPE, holder_binding=HolderBinding(required=False)
    )
    assert report.verdict is Verdict.VALID, report.problems
    assert report.claims is not None
    assert set(report.claims["credentialSubject"]) == {"type", "mention", "stream"}


def test_we_present_a_reference_issued_credential() -> None:
    issuer = reference_issue(reference_claims())
    presentation = present(
        issuer.sd_jwt_issuance,
        disclose=["givenName", "degrees[0].year", "nationalities[*]"],
        key=HOLDER_KEY,
        audience=VERIFIER,
        nonce=NONCE,
        now=NOW,
    )
    theirs = reference_verify(presentation, audience=VERIFIER, nonce=NONCE)
    report = pipeline(presentation, schemas.DIPLOMA_VCT)
    assert report.verdict is Verdict.VALID, report.problems
    assert theirs == report.claims
    assert theirs["nationalities"] == ["MA", "FR"]
    assert theirs["degrees"] == [{"name": "bac", "year": 2024}, {"name": "licence", "year": 2027}]


# ---------------------------------------------------------------------------------------------- differences


def test_the_reference_default_typ_is_not_a_profile_we_accept() -> None:
    issuer = SDJWTIssuer(reference_claims(), REFERENCE_ISSUER_KEY)
    assert parse_compact(issuer.sd_jwt_issuance.split("~")[0]).typ == "example+sd-jwt"
    report = pipeline(issuer.sd_jwt_issuance, schemas.DIPLOMA_VCT, holder_binding=HolderBinding(required=False))
    assert outcomes(report)["format"] == ("failed", "format.media_type")
    assert engine_process(issuer.sd_jwt_issuance)[1] == reference_verify(issuer.sd_jwt_issuance)


def test_where_the_reference_is_more_lenient_than_rfc_9901() -> None:
    issuer = reference_issue(reference_claims())
    # §7.1 step 3.5: a disclosure no digest refers to must be refused; the reference ignores it.
    stranger = sdjwt.Disclosure.create(salt="c29tZSBzYWx0IHZhbHVl", name="mention", value="tres_bien")
    padded = issuer.sd_jwt_issuance + stranger.encoded + "~"
    assert reference_verify(padded)["mention"] == "bien"
    with pytest.raises(DisclosureError) as caught:
        engine_process(padded)
    assert caught.value.code == "sd_jwt.unreferenced_disclosure"
    # §7.3: without expected aud and nonce the reference does not look at the KB-JWT at all.
    forged = issuer.sd_jwt_issuance + "e30.e30.c2ln"
    assert reference_verify(forged)["iss"] == ISSUER
    report = pipeline(forged, schemas.DIPLOMA_VCT, holder_binding=HolderBinding(required=False))
    assert report.check(CheckName.HOLDER_BINDING).outcome is Outcome.FAILED
