"""W3C VCALM endpoints: ``POST /credentials/verify`` and ``POST /presentations/verify`` against a live issuer."""

from __future__ import annotations

import json
from typing import Any

from tests.verifier.fake_issuer import FakeIssuer, MovableClock
from vc import SigningKey, present
from vc.encoding import b64url_decode, b64url_encode


def _checks(answer: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["outcome"], c["code"]) for c in answer["report"]["checks"]}


def test_a_valid_w3c_diploma_is_valid_with_issuer_name_and_trust_list_version(client, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    response = client.post("/credentials/verify", json={"verifiableCredential": diploma.token})
    assert response.status_code == 200
    answer = response.json()
    assert answer["verified"] is True
    assert answer["verdict"] == "valid"
    assert answer["problemDetails"] == []
    report = answer["report"]
    assert report["trust_list_version"] == "2026-07-01.1"
    assert report["issuer"] == issuer.identifier
    assert report["issuer_name"]["fr"].startswith("Ministère")
    assert {s["purpose"] for s in report["status"]} == {"revocation", "suspension"}
    assert all(s["age_seconds"] == 0 and not s["stale"] for s in report["status"])
    assert _checks(answer)["signature"] == ("passed", "signature.ok")


def test_a_valid_sd_jwt_vc_diploma_is_valid(client, issuer, holder):
    diploma = issuer.issue_sd_jwt_vc(holder)
    answer = client.post("/credentials/verify", json={"verifiableCredential": diploma.token}).json()
    assert answer["verdict"] == "valid", answer["problemDetails"]
    assert answer["report"]["profile"] == "dc+sd-jwt"
    assert answer["report"]["status"][0]["list"] == issuer.lists["token"]


def test_enveloped_credentials_are_accepted(client, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+sd-jwt,{diploma.token}",
    }
    answer = client.post(
        "/credentials/verify", json={"verifiableCredential": envelope, "options": {"returnCredential": True}}
    ).json()
    assert answer["verdict"] == "valid"
    assert answer["verifiableCredential"] == envelope
    data_url = client.post(
        "/credentials/verify", json={"verifiableCredential": f"data:application/vc+sd-jwt,{diploma.token}"}
    ).json()
    assert data_url["verdict"] == "valid"


def test_a_tampered_credential_is_invalid_with_a_cryptographic_problem(client, issuer, holder):
    diploma = issuer.issue_sd_jwt_vc(holder)
    header, payload, signature = diploma.token.split("~", 1)[0].split(".")
    claims = json.loads(b64url_decode(payload))
    claims["iss"] = issuer.identifier  # unchanged issuer, changed content below
    claims["vct"] = claims["vct"]
    claims["_sd"] = claims["_sd"][1:]
    forged = ".".join((header, b64url_encode(json.dumps(claims).encode()), signature))
    token = forged + "~" + diploma.token.split("~", 1)[1]
    answer = client.post("/credentials/verify", json={"verifiableCredential": token}).json()
    assert answer["verified"] is False
    assert answer["verdict"] == "invalid"
    kinds = {p["title"] for p in answer["problemDetails"]}
    assert "CRYPTOGRAPHIC_SECURITY_ERROR" in kinds
    problem = next(p for p in answer["problemDetails"] if p["title"] == "CRYPTOGRAPHIC_SECURITY_ERROR")
    assert problem["type"] == "https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR"
    assert problem["code"] == -65
    assert problem["checkCode"] == "signature.invalid"


def test_an_untrusted_issuer_is_invalid_and_its_keys_are_never_fetched(client, clock, tls, holder):
    stranger = FakeIssuer(clock=clock, tls=tls)
    try:
        diploma = stranger.issue_w3c(holder)
        answer = client.post("/credentials/verify", json={"verifiableCredential": diploma.token}).json()
        assert answer["verdict"] == "invalid"
        assert _checks(answer)["issuer_trust"] == ("failed", "trust.issuer_untrusted")
        assert answer["problemDetails"][0]["title"] == "UNTRUSTED_ISSUER"
        assert stranger.count() == 0
    finally:
        stranger.stop()


def test_an_unsecured_json_credential_proves_nothing(client):
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
    answer = client.post("/credentials/verify", json={"verifiableCredential": credential}).json()
    assert answer["verdict"] == "invalid"
    assert answer["problemDetails"][0]["title"] == "PARSING_ERROR"
    assert answer["problemDetails"][0]["checkCode"] == "format.unsecured"


def test_presentation_with_challenge_and_domain(client, issuer, holder, clock: MovableClock):
    diploma = issuer.issue_sd_jwt_vc(holder)
    presentation = present(
        diploma.token,
        disclose=["familyName", "givenName", "mention"],
        key=holder,
        audience="https://admissions.example.ma",
        nonce="challenge-123",
        now=clock.now(),
    )
    options = {"challenge": "challenge-123", "domain": "https://admissions.example.ma"}
    answer = client.post("/presentations/verify", json={"verifiablePresentation": presentation, "options": options})
    assert answer.status_code == 200
    body = answer.json()
    assert body["verdict"] == "valid", body["problemDetails"]
    assert _checks(body)["holder_binding"] == ("passed", "holder_binding.ok")
    assert set(body["report"]["disclosed"]) == {"familyName", "givenName", "mention"}
    assert "warnings" not in body

    replay = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": presentation, "options": {**options, "challenge": "another"}},
    ).json()
    assert replay["verdict"] == "invalid"
    assert _checks(replay)["holder_binding"] == ("failed", "holder_binding.nonce")


def test_presentation_without_key_binding_is_refused(client, issuer, holder: SigningKey):
    diploma = issuer.issue_w3c(holder)
    answer = client.post("/presentations/verify", json={"verifiablePresentation": diploma.token}).json()
    assert answer["verdict"] == "invalid"
    assert _checks(answer)["holder_binding"] == ("failed", "holder_binding.missing")
    assert answer["warnings"][0]["title"] == "NO_CHALLENGE"


def test_unknown_options_and_wrong_envelopes_are_400_problems(client, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    unknown = client.post("/credentials/verify", json={"verifiableCredential": diploma.token, "options": {"x": 1}})
    assert unknown.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["type"] == "https://www.w3.org/TR/vcalm#UNKNOWN_OPTION_PROVIDED"
    wrong = client.post(
        "/credentials/verify",
        json={"verifiableCredential": {"type": "EnvelopedVerifiablePresentation", "id": "data:application/vp+jwt,x"}},
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "vcalm.envelope_kind"
    bad_challenge = client.post(
        "/presentations/verify", json={"verifiablePresentation": "x", "options": {"challenge": 5}}
    )
    assert bad_challenge.status_code == 400


def test_malformed_bodies_are_400_problems_naming_where(client):
    """The VC-API routes read their bodies themselves: every malformed body is still a 400 ``request.invalid``."""
    cases = [
        ("/credentials/verify", b"", "application/json", ["body"]),
        ("/credentials/verify", b'{"verifiableCredential": ', "application/json", ["body", "25"]),
        ("/credentials/verify", b"[]", "application/json", ["body"]),
        ("/credentials/verify", b'{"verifiableCredential": "\xff"}', "application/json", ["body", "26"]),
        ("/credentials/verify", b'{"options": {}}', "application/json", ["body", "verifiableCredential"]),
        ("/credentials/verify", b'{"verifiableCredential": 5}', "application/json", ["body", "verifiableCredential"]),
        ("/credentials/verify", b'{"verifiableCredential": "x"}', "text/plain", ["body"]),
        ("/presentations/verify", b'{"verifiablePresentation": "x", "options": []}', None, ["body", "options"]),
    ]
    for path, body, content_type, location in cases:
        headers = {"Content-Type": content_type} if content_type else {}
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 400, (path, body)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "request.invalid"
        assert problem["errors"][0]["location"][: len(location)] == location, (body, problem["errors"])
        assert "input" not in json.dumps(problem["errors"])  # the values sent are never echoed


def test_a_json_body_without_content_type_is_read(client, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    body = json.dumps({"verifiableCredential": diploma.token}).encode()
    response = client.post("/credentials/verify", content=body, headers={"Content-Type": ""})
    assert response.status_code == 200
    assert response.json()["verdict"] == "valid"
    typed = client.post("/credentials/verify", content=body, headers={"Content-Type": "application/ld+json"})
    assert typed.json()["verdict"] == "valid"


def test_the_openapi_document_describes_the_request_bodies(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, member in (
        ("/credentials/verify", "verifiableCredential"),
        ("/presentations/verify", "verifiablePresentation"),
    ):
        body = paths[path]["post"]["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        assert schema["required"] == [member]
        assert set(schema["properties"]) == {member, "options"}
