"""The logs hold keyed hashes, never the CNIE number, names or other personal data, nor capability ids."""

from __future__ import annotations

import logging

from tests.verifier.conftest import relying_party_token
from tests.verifier.wallet import fetch_request_object, post_response, presentation_for
from vc import present

PERSONAL = ["BE123456", "J130000001", "EL ALAOUI", "Salma", "العلوي", "سلمى", "2006-03-14", "Casablanca"]


def test_logs_hold_no_personal_data_over_verifications_shares_and_wallet_requests(
    client, issuer, holder, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    w3c = issuer.issue_w3c(holder)
    sd_jwt_vc = issuer.issue_sd_jwt_vc(holder)

    assert client.post("/credentials/verify", json={"verifiableCredential": w3c.token}).json()["verdict"] == "valid"
    bad = w3c.token.replace(w3c.token.split(".")[1][:10], "A" * 10, 1)
    client.post("/credentials/verify", json={"verifiableCredential": bad})

    nonce = client.post("/shares/nonce").json()
    presentation = present(
        w3c.token,
        disclose=[("credentialSubject", name) for name in ("familyName", "givenName", "cnie", "birthDate")],
        key=holder,
        audience=nonce["audience"],
        nonce=nonce["nonce"],
        now=clock.now(),
    )
    share = client.post("/shares", json={"presentation": presentation}).json()
    assert client.get(f"/s/{share['id']}", headers={"Accept": "application/json"}).json()["verdict"] == "valid"
    client.get(f"/s/{share['id']}?lang=ar")
    client.delete(f"/shares/{share['id']}", headers={"Authorization": f"Bearer {share['revoke_token']}"})

    created = client.post(
        "/oid4vp/requests",
        json={"claims": ["familyName", "givenName", "cnie"]},
        headers={"Authorization": f"Bearer {relying_party_token(client)}"},
    ).json()
    request_object = fetch_request_object(client, created["authorization_request"])
    answer = presentation_for(request_object, credential=sd_jwt_vc.token, holder=holder, now=clock.now())
    post_response(client, request_object, answer)
    assert client.get(created["status_uri"]).json()["report"]["claims"]["cnie"] == "BE123456"

    client.post("/verify", data={"input": presentation, "lang": "fr"})

    # The test client's own request log (httpx, to verify.test.example) is the visitor's side, not the service's.
    text = "\n".join(
        record.getMessage() for record in caplog.records if "verify.test.example" not in record.getMessage()
    )
    assert "verification verdict=valid" in text
    assert "credential=h:" in text
    for secret in [*PERSONAL, share["id"], share["revoke_token"], created["id"], nonce["nonce"]]:
        assert secret not in text, secret
    assert presentation[:40] not in text


def _lines(caplog, level: int) -> list[str]:
    names = ("tawtiq.verifier", "verifier.verification")
    return [record.getMessage() for record in caplog.records if record.name in names and record.levelno == level]


def test_one_info_line_per_verification_by_default(client, issuer, holder, caplog):
    caplog.set_level(logging.DEBUG)
    token = issuer.issue_w3c(holder).token

    assert client.post("/credentials/verify", json={"verifiableCredential": token}).json()["verdict"] == "valid"
    client.post("/presentations/verify", json={"verifiablePresentation": token})
    client.post("/credentials/verify", json={"verifiableCredential": token, "options": {"nope": True}})

    info = _lines(caplog, logging.INFO)
    assert [line.split(" profile=")[0] for line in info if line.startswith("verification ")] == [
        "verification verdict=valid",
        "verification verdict=invalid",
    ]
    # The request log's line of an answered verification is DEBUG; a refused request keeps its INFO line.
    assert [line.split(" in ")[0] for line in info if not line.startswith("verification ")] == [
        "POST /credentials/verify -> 400"
    ]
    assert any(line.startswith("POST /credentials/verify -> 200") for line in _lines(caplog, logging.DEBUG))


def test_verification_lines_can_be_turned_off(make_client, issuer, holder, caplog):
    client = make_client(log_verifications=False)
    caplog.set_level(logging.DEBUG)
    token = issuer.issue_w3c(holder).token

    assert client.post("/credentials/verify", json={"verifiableCredential": token}).json()["verdict"] == "valid"

    info = _lines(caplog, logging.INFO)
    assert not [line for line in info if line.startswith("verification ")]
    assert [line.split(" in ")[0] for line in info] == ["POST /credentials/verify -> 200"]
