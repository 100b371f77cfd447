"""Back-office endpoints: VCALM issue and status, offers over HTTP, and the API tokens that guard them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

import schemas
from common.diploma import diploma_policy, diploma_trust_list
from issuer.apitokens import create_token, list_tokens, revoke_token
from issuer.db import reading
from tests.issuer.conftest import ISSUER, Clock, Cohort
from tests.issuer.verifying import fetch_list, key_resolver
from tests.issuer.wallet import Wallet
from vc import HolderBinding, StaticStatusResolver, StatusSnapshot, Verdict, verify


def _token(engine: Engine, clock: Clock, role: str) -> dict[str, str]:
    _, token = create_token(engine, name=f"{role}-client", role=role, actor="test", now=clock())
    return {"Authorization": f"Bearer {token}"}


def _issue_body(cohort: Cohort, number: int = 0, **subject: str | float) -> dict[str, Any]:
    return {
        "credential": {
            "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL, schemas.DIPLOMA_CONTEXT_URL],
            "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
            "credentialSubject": {
                "cnie": cohort.cnies[number],
                "session": {"year": 2024, "type": "normale"},
                **subject,
            },
        }
    }


def _verify_unbound(client: TestClient, token: str, clock: Clock) -> Any:
    keys = key_resolver(client, ISSUER, relative_to=ISSUER)
    urls = [f"{ISSUER}/status/bitstring/revocation-1", f"{ISSUER}/status/bitstring/suspension-1"]
    snapshots = {
        url: StatusSnapshot(
            data=fetch_list(client, url, keys=keys, now=clock(), relative_to=ISSUER), fetched_at=clock()
        )
        for url in urls
    }
    policy = diploma_policy(
        trust=diploma_trust_list(ISSUER, version="t", types=frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE})),
        holder_binding=HolderBinding(required=False),
        check_schemas=False,
    )
    return verify(token, keys=keys, status=StaticStatusResolver(snapshots), policy=policy, now=clock())


def test_vcalm_issue_signs_the_registered_diploma_and_status_revokes_it(
    client: TestClient, engine: Engine, cohort: Cohort, clock: Clock
) -> None:
    issuer, status = _token(engine, clock, "issuer"), _token(engine, clock, "status")
    response = client.post(
        "/credentials/issue", json=_issue_body(cohort, 0, birthDate=cohort.rows[0]["birthDate"]), headers=issuer
    )
    assert response.status_code == 201, response.text
    enveloped = response.json()["verifiableCredential"]
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["@context"] == schemas.CREDENTIALS_V2_CONTEXT_URL
    media_type, token = enveloped["id"].split(",", 1)
    assert media_type == "data:application/vc+sd-jwt"
    assert _verify_unbound(client, token, clock).verdict is Verdict.VALID

    with reading(engine) as db:
        record_id = db.execute(text("SELECT diploma_id FROM credential_copy WHERE channel = 'vcalm'")).scalar_one()
    body = {
        "credentialId": record_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": True,
        "reason": "fraud",
    }
    changed = client.post("/credentials/status", json=body, headers=status)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"credentialId": record_id, "status": "revoked", "changed": True, "copies": 1}
    assert _verify_unbound(client, token, clock).verdict is Verdict.INVALID
    final = client.post("/credentials/status", json={**body, "status": False}, headers=status)
    assert (final.status_code, final.json()["code"]) == (409, "status.revoked_final")
    again = client.post("/credentials/issue", json=_issue_body(cohort), headers=issuer)
    assert (again.status_code, again.json()["code"]) == (409, "diploma.not_active")


def test_vcalm_suspension_is_reversible(client: TestClient, engine: Engine, cohort: Cohort, clock: Clock) -> None:
    status = _token(engine, clock, "admin")
    with reading(engine) as db:
        record_id = db.execute(
            text("SELECT d.id FROM diploma d JOIN graduate g ON g.id = d.graduate_id WHERE g.cnie = :c"),
            {"c": cohort.cnies[1]},
        ).scalar_one()
    body = {
        "credentialId": record_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
        "status": True,
    }
    assert client.post("/credentials/status", json=body, headers=status).json()["status"] == "suspended"
    assert client.post("/credentials/status", json=body, headers=status).json()["changed"] is False
    assert (
        client.post("/credentials/status", json={**body, "status": False}, headers=status).json()["status"] == "active"
    )


@pytest.mark.parametrize(
    ("change", "status_code", "error"),
    [
        (
            lambda body: body["credential"]["credentialSubject"].update(generalAverage=19.99),
            400,
            "vcalm.claims_mismatch",
        ),
        (lambda body: body["credential"]["credentialSubject"].update(cnie="ZZ999999"), 404, "diploma.unknown"),
        (lambda body: body["credential"]["credentialSubject"].update(cnie="12-AB"), 400, "vcalm.request_invalid"),
        (
            lambda body: body["credential"]["credentialSubject"].update(session={"year": 2024, "type": "summer"}),
            400,
            "vcalm.request_invalid",
        ),
        (lambda body: body["credential"].update(issuer="https://evil.example"), 400, "vcalm.request_invalid"),
        (lambda body: body["credential"].update(type=["VerifiableCredential"]), 400, "vcalm.request_invalid"),
        (
            lambda body: body["credential"].update(id="urn:uuid:00000000-0000-4000-8000-000000000000"),
            409,
            "vcalm.id_mismatch",
        ),
        (lambda body: body.update(options={"proofFormat": "ldp"}), 400, "vcalm.request_invalid"),
        (lambda body: body["credential"].pop("credentialSubject"), 400, "vcalm.request_invalid"),
        (lambda body: body.update(extra=1), 400, "vcalm.request_invalid"),
        (
            lambda body: body["credential"]["credentialSubject"].update(givenName={"ar": "سلمى", "lat": "Salma\u202e"}),
            400,
            "vcalm.subject_text_refused",
        ),
    ],
)
def test_vcalm_issue_refuses_what_the_registry_does_not_hold(
    client: TestClient, engine: Engine, cohort: Cohort, clock: Clock, change: Any, status_code: int, error: str
) -> None:
    body = _issue_body(cohort, 2)
    change(body)
    response = client.post("/credentials/issue", json=body, headers=_token(engine, clock, "issuer"))
    assert (response.status_code, response.json()["code"]) == (status_code, error), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status_code
    assert response.json()["type"] == f"https://tawtiq.ma/ns/problems#{error}"
    if error == "vcalm.claims_mismatch":
        assert response.json()["found"] == ["generalAverage"], "names the claim, never its value"
    assert "12-AB" not in response.text, "a malformed CNIE is never echoed"
    if error == "vcalm.subject_text_refused":
        assert "givenName.lat: found U+202E RIGHT-TO-LEFT OVERRIDE" in response.json()["found"][0]
        assert "Salma" not in response.text


def test_roles_guard_the_back_office(client: TestClient, engine: Engine, cohort: Cohort, clock: Clock) -> None:
    reader = _token(engine, clock, "reader")
    status_body = {
        "credentialId": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": True,
    }
    assert client.post("/credentials/issue", json=_issue_body(cohort)).status_code == 401
    assert (
        client.post(
            "/credentials/issue", json=_issue_body(cohort), headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/credentials/issue", json=_issue_body(cohort), headers={"Authorization": "Basic dXNlcjpwYXNz"}
        ).status_code
        == 401
    )
    forbidden = client.post("/credentials/issue", json=_issue_body(cohort), headers=reader)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "auth.forbidden")
    assert (
        client.post("/credentials/status", json=status_body, headers=_token(engine, clock, "issuer")).status_code == 403
    )
    assert (
        client.post("/credentials/status", json=status_body, headers=_token(engine, clock, "status")).status_code == 404
    )

    info, token = create_token(engine, name="leaked", role="admin", actor="test", now=clock())
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/admin/offers", json={"cnie": cohort.cnies[3]}, headers=headers).status_code == 201
    revoke_token(engine, token_id=info.id, actor="test", now=clock())
    refused = client.post("/admin/offers", json={"cnie": cohort.cnies[3]}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (401, "auth.revoked")
    with reading(engine) as db:
        stored = db.execute(text("SELECT secret_hash FROM api_token WHERE id = :i"), {"i": info.id}).scalar_one()
    assert token.split("_", 2)[2] not in json.dumps(stored), "only a hash is stored"
    assert [token_info.name for token_info in list_tokens(engine)].count("leaked") == 1


def test_admin_offer_and_record_endpoints(client: TestClient, engine: Engine, cohort: Cohort, clock: Clock) -> None:
    issuer = _token(engine, clock, "issuer")
    response = client.post("/admin/offers", json={"cnie": cohort.cnies[4]}, headers=issuer)
    assert response.status_code == 201
    offer = response.json()
    assert offer["offer_uri"].startswith(
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fbac.example.ma%2Foffers%2F"
    )
    assert offer["tx_code"].isdigit()
    assert len(offer["tx_code"]) == 6
    wallet = Wallet(client, relative_to=ISSUER)
    assert wallet.redeem(wallet.fetch_offer(offer["offer_uri"]), offer["tx_code"]).status_code == 200
    record = client.get(f"/admin/diplomas/{offer['credential_id']}", headers=_token(engine, clock, "reader"))
    assert record.status_code == 200
    assert record.json()["claims"]["cnie"] == cohort.cnies[4]
    assert client.get(f"/admin/diplomas/{offer['credential_id']}").status_code == 401
    assert client.post("/admin/offers", json={"cnie": "ZZ000000"}, headers=issuer).status_code == 404
    assert client.post("/admin/offers", json={"name": "x"}, headers=issuer).status_code == 400
