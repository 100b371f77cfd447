"""The verification pipeline on good input: every profile verifies with every check passed, and reports are sound.

The diploma is issued with holder binding and status entries; status lists are issued, verified with
:func:`vc.verify_status_list_token` and served from memory. Policy-level refusals (schemas, required
disclosures, trust lists) are checked here too, because they are decisions about good credentials.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import schemas
from vc import (
    BitOrder,
    CheckName,
    ContextRegistry,
    HolderBinding,
    Outcome,
    Policy,
    Profile,
    SigningKey,
    StaticKeyResolver,
    StaticStatusResolver,
    StatusList,
    StatusSnapshot,
    TrustList,
    Verdict,
    VerificationReport,
    issue,
    issue_bitstring_status_list,
    issue_token_status_list,
    present,
    verify,
    verify_status_list_token,
)
from vc.errors import FormatError
from vc.jose import DEFAULT_ALGORITHMS
from vc.policy import UnsafePolicyWarning
from vc.statuslist import STATUS_INVALID, STATUS_SUSPENDED

ISSUER = "https://bac.example.ma"
VERIFIER = "https://admissions.um5.example.ma"
NONCE = "b3c1f0b2-5d5e-4bd4-a7d7-3f2f1d9e8c11"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
ISSUED_AT = NOW - timedelta(days=2)
CONTEXTS = ContextRegistry(schemas.pinned_contexts())

ISSUER_KEY = SigningKey.generate(kid="bac-2026-1")
HOLDER_KEY = SigningKey.generate()
KEYS = StaticKeyResolver({ISSUER: [ISSUER_KEY.public]})

LIST_SIZE = 131_072
REVOCATION_LIST = f"{ISSUER}/status/bitstring/r1"
SUSPENSION_LIST = f"{ISSUER}/status/bitstring/s1"
TOKEN_LIST = f"{ISSUER}/status/tsl/1"
OUR_INDEX = 94_567

DISCLOSABLE = [f"credentialSubject.{name}" for name in schemas.SUBJECT_CLAIMS]
ASKED = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")
TRUST = TrustList(
    version="2026-07-01.1",
    issuers={
        ISSUER: frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT, "BitstringStatusListCredential"})
    },
)


def _status_resolver() -> StaticStatusResolver:
    """Lists where other diplomas are revoked and suspended, never ours; each verified before it is served."""
    others = [(7, 1), (OUR_INDEX + 1, 1)]
    published = {
        purpose: issue_bitstring_status_list(
            uri=uri,
            issuer=ISSUER,
            purpose=purpose,
            status_list=StatusList.from_entries(size=LIST_SIZE, bits=1, order=BitOrder.MSB_FIRST, entries=others),
            key=ISSUER_KEY,
            issued_at=NOW - timedelta(hours=1),
            contexts=CONTEXTS,
            ttl=timedelta(minutes=5),
        )
        for purpose, uri in (("revocation", REVOCATION_LIST), ("suspension", SUSPENSION_LIST))
    }
    token = issue_token_status_list(
        uri=TOKEN_LIST,
        issuer=ISSUER,
        status_list=StatusList.from_entries(
            size=LIST_SIZE,
            bits=2,
            order=BitOrder.LSB_FIRST,
            entries=[(7, STATUS_INVALID), (OUR_INDEX + 1, STATUS_SUSPENDED)],
        ),
        key=ISSUER_KEY,
        issued_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=1),
        ttl=timedelta(minutes=5),
    )
    tokens = {REVOCATION_LIST: published["revocation"], SUSPENSION_LIST: published["suspension"], TOKEN_LIST: token}
    snapshots = {
        uri: StatusSnapshot(
            verify_status_list_token(text, uri=uri, keys=KEYS, algorithms=DEFAULT_ALGORITHMS, now=NOW),
            fetched_at=NOW - timedelta(seconds=30),
        )
        for uri, text in tokens.items()
    }
    return StaticStatusResolver(snapshots)


STATUS = _status_resolver()


def status_entry(purpose: str, uri: str) -> dict[str, Any]:
    return {
        "id": f"{uri}#{OUR_INDEX}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(OUR_INDEX),
        "statusListCredential": uri,
    }


def diploma_document() -> dict[str, Any]:
    return {
        "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL, schemas.DIPLOMA_CONTEXT_URL],
        "id": "urn:uuid:3f1a6c1e-8d5e-4c3e-9a55-2f0c1d9e7b10",
        "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
        "issuer": ISSUER,
        "validFrom": "2024-07-01T00:00:00Z",
        "credentialSubject": schemas.sample_subject(),
        "credentialStatus": [
            status_entry("revocation", REVOCATION_LIST),
            status_entry("suspension", SUSPENSION_LIST),
        ],
        "credentialSchema": {"id": schemas.DIPLOMA_SCHEMA_URL, "type": "JsonSchema"},
    }


def sd_jwt_vc_claims() -> dict[str, Any]:
    subject = schemas.sample_subject()
    del subject["type"]
    return {
        "iss": ISSUER,
        "vct": schemas.DIPLOMA_VCT,
        "status": {"status_list": {"idx": OUR_INDEX, "uri": TOKEN_LIST}},
        **subject,
    }


def schema_problems(claims: Mapping[str, Any]) -> Sequence[str]:
    return [problem.message for problem in schemas.validate_credential(claims)]


def policy(**changes: Any) -> Policy:
    values: dict[str, Any] = {
        "trust": TRUST,
        "contexts": CONTEXTS,
        "holder_binding": HolderBinding(required=True, audience=VERIFIER, nonce=NONCE),
        "schemas": {schemas.DIPLOMA_CREDENTIAL_TYPE: schema_problems},
    }
    return Policy(**{**values, **changes})


def w3c_diploma() -> str:
    return issue(
        diploma_document(),
        key=ISSUER_KEY,
        issued_at=ISSUED_AT,
        profile=Profile.VC_SD_JWT,
        contexts=CONTEXTS,
        disclosable=DISCLOSABLE,
        holder=HOLDER_KEY.public,
    )


def sd_jwt_vc_diploma() -> str:
    return issue(
        sd_jwt_vc_claims(),
        key=ISSUER_KEY,
        issued_at=ISSUED_AT,
        profile=Profile.DC_SD_JWT,
        disclosable=list(schemas.SUBJECT_CLAIMS),
        holder=HOLDER_KEY.public,
    )


def presented(credential: str, disclose: Sequence[str]) -> str:
    return present(credential, disclose=disclose, key=HOLDER_KEY, audience=VERIFIER, nonce=NONCE, now=NOW)


def outcomes(report: VerificationReport) -> dict[str, tuple[str, str]]:
    return {str(check.name): (str(check.outcome), check.code) for check in report.checks}


def assert_all_passed(report: VerificationReport) -> None:
    failed = [check for check in report.checks if check.outcome is not Outcome.PASSED]
    assert not failed, failed
    assert report.verdict is Verdict.VALID
    assert report.valid


W3C_PRESENTATION = presented(w3c_diploma(), [f"credentialSubject.{name}" for name in ASKED])
SD_JWT_VC_PRESENTATION = presented(sd_jwt_vc_diploma(), ASKED)


# ---------------------------------------------------------------------------------------------- profiles


def test_w3c_sd_jwt_diploma_with_holder_binding_and_status_is_valid() -> None:
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(), now=NOW)
    assert_all_passed(report)
    assert report.profile == "vc+sd-jwt"
    assert report.issuer == ISSUER
    assert report.kid == "bac-2026-1"
    assert report.credential_types == (schemas.DIPLOMA_CREDENTIAL_TYPE,)
    assert report.trust_list_version == "2026-07-01.1"
    assert report.claims is not None
    subject = report.claims["credentialSubject"]
    sample = schemas.sample_subject()
    assert subject == {"type": sample["type"], **{name: sample[name] for name in ASKED}}
    assert sorted(report.disclosed) == sorted(f"credentialSubject.{name}" for name in ASKED)
    assert report.claims["cnf"]["jwk"] == {k: HOLDER_KEY.public.jwk[k] for k in ("kty", "crv", "x", "y")}
    assert [(info.purpose, info.index, info.list_uri, info.value) for info in report.status] == [
        ("revocation", OUR_INDEX, REVOCATION_LIST, 0),
        ("suspension", OUR_INDEX, SUSPENSION_LIST, 0),
    ]
    assert all(info.age_seconds == 30 and not info.stale for info in report.status)


def test_the_full_diploma_verifies_with_every_claim_disclosed() -> None:
    everything = presented(w3c_diploma(), DISCLOSABLE)
    report = verify(everything, keys=KEYS, status=STATUS, policy=policy(), now=NOW)
    assert_all_passed(report)
    assert report.claims is not None
    assert report.claims["credentialSubject"] == schemas.sample_subject()
    assert len(report.disclosed) == 15


def test_sd_jwt_vc_diploma_with_holder_binding_and_status_is_valid() -> None:
    report = verify(SD_JWT_VC_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(schemas={}), now=NOW)
    assert outcomes(report)["schema"] == ("not_checked", "schema.none")
    checks = {check.name: check for check in report.checks if check.name is not CheckName.SCHEMA}
    assert all(check.outcome is Outcome.PASSED for check in checks.values()), checks
    assert report.verdict is Verdict.VALID
    assert report.profile == "dc+sd-jwt"
    assert report.credential_types == (schemas.DIPLOMA_VCT,)
    assert report.claims is not None
    sample = schemas.sample_subject()
    disclosed = {name: report.claims[name] for name in report.claims if name in schemas.SUBJECT_CLAIMS}
    assert disclosed == {name: sample[name] for name in ASKED}
    assert set(report.claims) == {"iss", "vct", "iat", "status", "cnf", *ASKED}
    assert [(info.purpose, info.index, info.list_uri, info.value) for info in report.status] == [
        ("revocation", OUR_INDEX, TOKEN_LIST, 0)
    ]


def test_sd_jwt_vc_with_a_schema_for_its_vct() -> None:
    def subject_problems(claims: Mapping[str, Any]) -> Sequence[str]:
        subject = {name: claims[name] for name in schemas.SUBJECT_CLAIMS if name in claims}
        return [problem.message for problem in schemas.validate_subject(subject, complete=False)]

    report = verify(
        SD_JWT_VC_PRESENTATION,
        keys=KEYS,
        status=STATUS,
        policy=policy(schemas={schemas.DIPLOMA_VCT: subject_problems}),
        now=NOW,
    )
    assert_all_passed(report)


def test_plain_w3c_jwt_credential_is_valid() -> None:
    token = issue(diploma_document(), key=ISSUER_KEY, issued_at=ISSUED_AT, profile=Profile.VC_JWT, contexts=CONTEXTS)
    assert "~" not in token
    report = verify(
        token, keys=KEYS, status=STATUS, policy=policy(holder_binding=HolderBinding(required=False)), now=NOW
    )
    assert report.verdict is Verdict.VALID
    assert outcomes(report)["holder_binding"] == ("not_checked", "holder_binding.not_required")
    assert all(check.outcome is Outcome.PASSED for check in report.checks if check.name is not CheckName.HOLDER_BINDING)
    assert report.profile == "vc+jwt"
    assert report.disclosed == ()
    assert report.claims is not None
    assert report.claims["credentialSubject"] == schemas.sample_subject()


def test_an_enveloped_data_url_verifies_like_the_token_it_carries() -> None:
    report = verify(
        f"data:application/vc+sd-jwt,{W3C_PRESENTATION}", keys=KEYS, status=STATUS, policy=policy(), now=NOW
    )
    assert_all_passed(report)


def test_bytes_input_and_surrounding_whitespace_are_accepted() -> None:
    report = verify(f"\n {W3C_PRESENTATION}\n".encode(), keys=KEYS, status=STATUS, policy=policy(), now=NOW)
    assert_all_passed(report)


def test_holder_binding_not_required_still_checks_a_presented_kb_jwt() -> None:
    relaxed = policy(holder_binding=HolderBinding(required=False))
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=relaxed, now=NOW)
    assert_all_passed(report)
    assert "not checked by policy" in report.check(CheckName.HOLDER_BINDING).message
    bare = present(w3c_diploma(), disclose=["credentialSubject.familyName"])
    report = verify(bare, keys=KEYS, status=STATUS, policy=relaxed, now=NOW)
    assert report.verdict is Verdict.VALID
    assert outcomes(report)["holder_binding"] == ("not_checked", "holder_binding.not_presented")


# ---------------------------------------------------------------------------------------------- reports


def test_checks_are_always_reported_in_order_and_complete() -> None:
    reports = [
        verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(), now=NOW),
        verify(SD_JWT_VC_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(), now=NOW),
        verify("not a token", keys=KEYS, status=STATUS, policy=policy(), now=NOW),
        verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=TrustList("0", {})), now=NOW),
        verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(), now=NOW + timedelta(hours=1)),
    ]
    for report in reports:
        assert [check.name for check in report.checks] == list(CheckName)
        assert [report.check(name) for name in CheckName] == list(report.checks)
    assert reports[2].verdict is Verdict.INVALID
    assert reports[2].claims is None
    assert outcomes(reports[4])["holder_binding"] == ("failed", "holder_binding.iat_too_old")


def test_report_to_dict_is_json() -> None:
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(), now=NOW)
    document = report.to_dict()
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document
    assert document["verdict"] == "valid"
    assert [check["check"] for check in document["checks"]] == [str(name) for name in CheckName]
    assert {check["outcome"] for check in document["checks"]} == {"passed"}
    assert document["verified_at"] == NOW.isoformat()
    assert document["status"][0] == {
        "purpose": "revocation",
        "index": OUR_INDEX,
        "list": REVOCATION_LIST,
        "value": 0,
        "fetched_at": (NOW - timedelta(seconds=30)).isoformat(),
        "age_seconds": 30.0,
        "stale": False,
        "list_issued_at": (NOW - timedelta(hours=1)).isoformat(),
    }
    assert document["claims"]["credentialSubject"]["familyName"] == schemas.sample_subject()["familyName"]
    failed = verify("~", keys=KEYS, status=STATUS, policy=policy(), now=NOW).to_dict()
    assert json.loads(json.dumps(failed)) == failed


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(), now=NOW.replace(tzinfo=None))


# ---------------------------------------------------------------------------------------------- policy


def test_schema_validators_from_the_policy_are_applied() -> None:
    seen: list[Mapping[str, Any]] = []

    def strict(claims: Mapping[str, Any]) -> Sequence[str]:
        seen.append(claims)
        return ["credentialSubject.cnie is required by this university"]

    report = verify(
        W3C_PRESENTATION,
        keys=KEYS,
        status=STATUS,
        policy=policy(schemas={schemas.DIPLOMA_CREDENTIAL_TYPE: strict}),
        now=NOW,
    )
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["schema"] == ("failed", "schema.invalid")
    assert "cnie is required" in report.check(CheckName.SCHEMA).message
    assert seen == [report.claims]
    assert [check.name for check in report.problems] == [CheckName.SCHEMA]


def test_the_shipped_schema_refuses_an_inconsistent_diploma() -> None:
    document = diploma_document()
    document["credentialSubject"]["mention"] = "tres_bien"  # the average 15.42 earns "bien"
    token = issue(
        document,
        key=ISSUER_KEY,
        issued_at=ISSUED_AT,
        contexts=CONTEXTS,
        disclosable=DISCLOSABLE,
        holder=HOLDER_KEY.public,
    )
    report = verify(
        presented(token, ["credentialSubject.generalAverage", "credentialSubject.mention"]),
        keys=KEYS,
        status=STATUS,
        policy=policy(),
        now=NOW,
    )
    assert outcomes(report)["schema"] == ("failed", "schema.invalid")
    assert report.verdict is Verdict.INVALID


def test_required_disclosures_missing() -> None:
    required = (("credentialSubject", "familyName"), "credentialSubject.cnie", "credentialSubject.birthDate")
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(required_disclosures=required), now=NOW)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["policy"] == ("failed", "policy.disclosure_missing")
    message = report.check(CheckName.POLICY).message
    assert "credentialSubject.cnie" in message
    assert "credentialSubject.birthDate" in message
    assert "familyName" not in message
    satisfied = policy(required_disclosures=[f"credentialSubject.{name}" for name in ASKED])
    assert_all_passed(verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=satisfied, now=NOW))


def _without_status_reference(profile: Profile) -> str:
    if profile is Profile.DC_SD_JWT:
        claims = sd_jwt_vc_claims()
        del claims["status"]
        credential = issue(
            claims,
            key=ISSUER_KEY,
            issued_at=ISSUED_AT,
            profile=profile,
            disclosable=list(schemas.SUBJECT_CLAIMS),
            holder=HOLDER_KEY.public,
        )
        return presented(credential, ASKED)
    document = diploma_document()
    del document["credentialStatus"]
    credential = issue(
        document,
        key=ISSUER_KEY,
        issued_at=ISSUED_AT,
        profile=profile,
        contexts=CONTEXTS,
        disclosable=DISCLOSABLE,
        holder=HOLDER_KEY.public,
    )
    return presented(credential, [f"credentialSubject.{name}" for name in ASKED])


@pytest.mark.parametrize("profile", [Profile.VC_SD_JWT, Profile.DC_SD_JWT])
def test_a_policy_requiring_status_refuses_a_credential_without_a_status_reference(profile: Profile) -> None:
    token = _without_status_reference(profile)
    lenient = verify(token, keys=KEYS, status=STATUS, policy=policy(schemas={}), now=NOW)
    assert outcomes(lenient)["status"] == ("not_checked", "status.none")
    assert outcomes(lenient)["policy"] == ("passed", "policy.ok")
    report = verify(token, keys=KEYS, status=STATUS, policy=policy(schemas={}, require_status=True), now=NOW)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["policy"] == ("failed", "policy.status_required")
    assert outcomes(report)["signature"] == ("passed", "signature.ok")
    assert "no status reference" in report.check(CheckName.POLICY).message


def test_a_policy_requiring_status_accepts_a_credential_with_one() -> None:
    assert_all_passed(verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(require_status=True), now=NOW))


def test_an_empty_trust_list_trusts_no_one() -> None:
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=TrustList("1", {})), now=NOW)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["issuer_trust"] == ("failed", "trust.list_empty")
    assert outcomes(report)["signature"] == ("not_checked", "signature.not_fetched")
    assert report.claims is None


def test_trust_is_per_issuer_and_type() -> None:
    other_issuer = TrustList("1", {"https://other.example": frozenset({"*"})})
    other_type = TrustList("1", {ISSUER: frozenset({"SomeOtherCredential"})})
    any_type = TrustList("1", {ISSUER: frozenset({"*"})})
    assert outcomes(verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=other_issuer), now=NOW))[
        "issuer_trust"
    ] == ("failed", "trust.issuer_untrusted")
    assert outcomes(verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=other_type), now=NOW))[
        "issuer_trust"
    ] == ("failed", "trust.type_not_allowed")
    assert_all_passed(verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=any_type), now=NOW))


GOOD_TRUST_DOCUMENT: dict[str, Any] = {
    "version": "2026-11-28.1",
    "issuers": [
        {
            "id": ISSUER,
            "name": {"ar": "وزارة التربية الوطنية", "fr": "Ministère de l'Éducation nationale", "en": "Ministry"},
            "credential_types": [schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT],
        },
        {"id": "did:web:univ.example.ma", "credential_types": ["*"]},
    ],
}


def test_trust_list_from_a_good_document() -> None:
    trust = TrustList.from_document(GOOD_TRUST_DOCUMENT)
    assert trust.version == "2026-11-28.1"
    assert trust.issuers[ISSUER] == frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT})
    assert trust.names[ISSUER]["fr"] == "Ministère de l'Éducation nationale"
    assert trust.names["did:web:univ.example.ma"] == {}
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=trust), now=NOW)
    assert_all_passed(report)
    assert report.trust_list_version == "2026-11-28.1"
    assert TrustList.from_document({"version": "0", "issuers": []}).issuers == {}


def _trust_variant(**changes: Any) -> dict[str, Any]:
    entry = {**GOOD_TRUST_DOCUMENT["issuers"][0], **changes}
    return {**GOOD_TRUST_DOCUMENT, "issuers": [entry]}


@pytest.mark.parametrize(
    "document",
    [
        [],
        "trust",
        {"issuers": []},
        {"version": "", "issuers": []},
        {"version": 3, "issuers": []},
        {"version": "1"},
        {"version": "1", "issuers": {}},
        {"version": "1", "issuers": ["https://bac.example.ma"]},
        _trust_variant(id="bac.example.ma"),
        _trust_variant(id=None),
        _trust_variant(credential_types=[]),
        _trust_variant(credential_types="BaccalaureateDiplomaCredential"),
        _trust_variant(credential_types=["", "X"]),
        _trust_variant(credential_types=[7]),
        _trust_variant(name="Ministère"),
        _trust_variant(name={"fr": 7}),
        {**GOOD_TRUST_DOCUMENT, "issuers": [GOOD_TRUST_DOCUMENT["issuers"][0]] * 2},
    ],
)
def test_trust_list_refuses_malformed_documents(document: Any) -> None:
    with pytest.raises(FormatError) as caught:
        TrustList.from_document(document)
    assert caught.value.code == "trust_list.invalid"


def test_trusting_everyone_is_unsafe_and_says_so() -> None:
    with pytest.warns(UnsafePolicyWarning):
        everyone = TrustList.unsafe_trust_everything()
    report = verify(W3C_PRESENTATION, keys=KEYS, status=STATUS, policy=policy(trust=everyone), now=NOW)
    assert_all_passed(report)
    assert outcomes(report)["issuer_trust"] == ("passed", "trust.unsafe_any")
    assert "UNSAFE" in report.check(CheckName.ISSUER_TRUST).message


def test_safe_policies_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        policy()
        TrustList.from_document(GOOD_TRUST_DOCUMENT)


def test_an_issuer_trusted_for_any_type_is_trusted_for_an_untyped_credential() -> None:
    assert TrustList("1", {ISSUER: frozenset({"*"})}).decide(ISSUER, ()).trusted
    refused = TrustList("1", {ISSUER: frozenset({"DiplomaCredential"})}).decide(ISSUER, ())
    assert (refused.trusted, refused.code) == (False, "trust.type_missing")


# ---------------------------------------------------------------------------------------------- presentations

HOLDER = "did:example:graduate-4242"


def holder_signed_presentation(*, signer: SigningKey, nonce: str = NONCE) -> str:
    """A vp+jwt whose holder signs a challenge, enveloping the holder-bound diploma."""
    document = {
        "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "aud": VERIFIER,
        "nonce": nonce,
        "verifiableCredential": [
            {
                "@context": schemas.CREDENTIALS_V2_CONTEXT_URL,
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+sd-jwt,{w3c_diploma()}",
            }
        ],
    }
    return issue(document, key=signer, issued_at=NOW, profile=Profile.VP_JWT, contexts=CONTEXTS)


def presentation_keys(signer: SigningKey) -> StaticKeyResolver:
    return StaticKeyResolver({ISSUER: [ISSUER_KEY.public], HOLDER: [signer.public]})


def test_a_presentation_signed_by_the_credentials_holder_with_the_challenge_is_valid() -> None:
    report = verify(
        holder_signed_presentation(signer=HOLDER_KEY),
        keys=presentation_keys(HOLDER_KEY),
        status=STATUS,
        policy=policy(schemas={}),
        now=NOW,
    )
    assert report.verdict is Verdict.VALID, report.problems
    assert report.check("holder_binding").code == "holder_binding.ok"
    assert [nested.verdict for nested in report.credentials] == [Verdict.VALID]


def test_a_presentation_signed_by_another_key_cannot_carry_someone_elses_bound_credential() -> None:
    thief = SigningKey.generate()
    report = verify(
        holder_signed_presentation(signer=thief),
        keys=presentation_keys(thief),
        status=STATUS,
        policy=policy(schemas={}, holder_binding=HolderBinding(required=False)),
        now=NOW,
    )
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["holder_binding"] == ("failed", "holder_binding.presenter_mismatch")


def test_a_presentation_with_another_challenge_is_refused() -> None:
    report = verify(
        holder_signed_presentation(signer=HOLDER_KEY, nonce="an-old-nonce"),
        keys=presentation_keys(HOLDER_KEY),
        status=STATUS,
        policy=policy(schemas={}),
        now=NOW,
    )
    assert outcomes(report)["holder_binding"] == ("failed", "holder_binding.nonce")
