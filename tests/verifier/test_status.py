"""Status lists and issuer keys over HTTP: freshness, revocation, unreachable issuers, stale copies, size bounds,
untrusted locations, conditional requests, caches shared through the database."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

import pytest

import schemas
from tests.verifier.fake_issuer import CONTEXTS, Answer, FakeIssuer
from vc import BitOrder, StatusList, issue_bitstring_status_list
from vc.encoding import b64url_decode, b64url_encode
from vc.jose import sign_compact
from vc.statuslist import bitstring_status_list_credential


def verify(client: Any, token: str) -> dict[str, Any]:
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    return response.json()


def status_check(answer: dict[str, Any]) -> tuple[str, str]:
    check = next(c for c in answer["report"]["checks"] if c["check"] == "status")
    return check["outcome"], check["code"]


@pytest.mark.parametrize("profile", ["vc+sd-jwt", "dc+sd-jwt"])
def test_revoked_is_invalid_once_the_list_ttl_has_passed(client, issuer: FakeIssuer, holder, clock, profile):
    diploma = issuer.issue_w3c(holder) if profile == "vc+sd-jwt" else issuer.issue_sd_jwt_vc(holder)
    assert verify(client, diploma.token)["verdict"] == "valid"

    issuer.revoke(diploma)
    clock.advance(seconds=issuer.ttl_seconds - 1)
    cached = verify(client, diploma.token)
    assert cached["verdict"] == "valid"  # the list we hold is still fresh: its ttl has not passed
    assert cached["report"]["status"][0]["age_seconds"] == issuer.ttl_seconds - 1

    clock.advance(seconds=2)
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "invalid"
    assert status_check(answer) == ("failed", "status.revoked")
    assert any(p["title"] == "CREDENTIAL_REVOKED" for p in answer["problemDetails"])
    assert all(s["age_seconds"] == 0 for s in answer["report"]["status"] if s["value"])


def test_suspended_is_invalid_with_its_own_code(client, issuer: FakeIssuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    issuer.suspend(diploma)
    answer = verify(client, diploma.token)
    assert status_check(answer) == ("failed", "status.suspended")
    assert any(p["title"] == "CREDENTIAL_SUSPENDED" for p in answer["problemDetails"])


def test_issuer_unreachable_without_cache_is_indeterminate(client, issuer: FakeIssuer, holder):
    diploma = issuer.issue_w3c(holder)
    issuer.stop()
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "indeterminate"
    assert answer["verified"] is False
    signature = next(c for c in answer["report"]["checks"] if c["check"] == "signature")
    assert (signature["outcome"], signature["code"]) == ("not_checked", "key.issuer_unreachable")
    assert answer["problemDetails"][0]["title"] == "ISSUER_KEYS_UNAVAILABLE"


def test_status_list_unreachable_without_cache_is_indeterminate(client, issuer: FakeIssuer, holder):
    diploma = issuer.issue_sd_jwt_vc(holder)
    issuer.overrides["/status/tsl/1"] = Answer(503, b"down for maintenance")
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "indeterminate"
    assert status_check(answer) == ("not_checked", "status.unavailable")
    assert "no earlier copy" in next(c for c in answer["report"]["checks"] if c["check"] == "status")["message"]
    assert answer["problemDetails"][0]["title"] == "STATUS_RETRIEVAL_ERROR"


def test_issuer_unreachable_with_a_cache_is_valid_with_the_age_reported(client, issuer: FakeIssuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    assert verify(client, diploma.token)["verdict"] == "valid"
    issuer.stop()
    clock.advance(minutes=20)  # past the lists' ttl (5 min) and within the stale allowance (24 h)
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "valid"
    assert {(s["age_seconds"], s["stale"]) for s in answer["report"]["status"]} == {(1200, True)}
    assert "1200 s old" in next(c for c in answer["report"]["checks"] if c["check"] == "status")["message"]


def test_a_cached_copy_too_old_is_not_used(make_client, issuer: FakeIssuer, holder, clock):
    client = make_client(status_max_stale_seconds=600)
    diploma = issuer.issue_w3c(holder)
    assert verify(client, diploma.token)["verdict"] == "valid"
    issuer.stop()
    clock.advance(minutes=20)
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "indeterminate"
    outcome, code = status_check(answer)
    assert (outcome, code) == ("not_checked", "status.unavailable")
    message = next(c for c in answer["report"]["checks"] if c["check"] == "status")["message"]
    assert "1200 s old" in message


def _inflating_list(issuer: FakeIssuer, *, uncompressed_bytes: int) -> str:
    """A list signed by the trusted issuer whose encodedList inflates to ``uncompressed_bytes`` of zeros."""
    encoded = "u" + b64url_encode(gzip.compress(bytes(uncompressed_bytes), compresslevel=9, mtime=0))
    credential = bitstring_status_list_credential(
        credential_id=issuer.lists["revocation"],
        issuer=issuer.identifier,
        purpose="revocation",
        encoded_list=encoded,
        valid_from=issuer.clock.now(),
    )
    payload = {**credential, "iss": issuer.identifier, "iat": int(issuer.clock.now().timestamp())}
    header = {"typ": "vc+jwt", "cty": "vc", "kid": issuer.signing_key().kid}
    return sign_compact(header=header, payload=json.dumps(payload).encode(), key=issuer.signing_key())


def test_an_inflating_status_list_is_refused_and_not_cached(make_client, issuer: FakeIssuer, holder):
    client = make_client(status_list_max_decompressed_bytes=1024 * 1024)
    bomb = _inflating_list(issuer, uncompressed_bytes=8 * 1024 * 1024)
    assert len(bomb) < 64 * 1024  # small on the wire
    issuer.overrides["/status/bitstring/revocation"] = Answer(
        200, bomb.encode(), {"Content-Type": "application/vc+jwt"}
    )
    diploma = issuer.issue_w3c(holder)
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "indeterminate"
    assert status_check(answer) == ("not_checked", "status.list_too_large")
    assert answer["problemDetails"][0]["title"] == "STATUS_RETRIEVAL_ERROR"
    # Nothing was kept: once the issuer serves a proper list, the next check fetches it and succeeds.
    del issuer.overrides["/status/bitstring/revocation"]
    assert verify(client, diploma.token)["verdict"] == "valid"


def test_a_status_list_larger_than_allowed_on_the_wire_is_refused(make_client, issuer: FakeIssuer, holder):
    client = make_client(status_list_max_bytes=1024)
    issuer.overrides["/status/bitstring/revocation"] = Answer(200, b"x" * 5000)
    diploma = issuer.issue_w3c(holder)
    answer = verify(client, diploma.token)
    assert status_check(answer) == ("not_checked", "status.list_too_large")
    assert answer["verdict"] == "indeterminate"


@pytest.mark.parametrize("profile", ["vc+sd-jwt", "dc+sd-jwt"])
def test_an_untrusted_status_url_is_refused_without_any_request_to_it(client, issuer, bystander, holder, profile):
    if profile == "vc+sd-jwt":
        foreign = {
            "revocation": f"{bystander.origin}/status/revocation",
            "suspension": f"{bystander.origin}/status/suspension",
        }
        diploma = issuer.issue_w3c(holder, status_lists=foreign)
    else:
        diploma = issuer.issue_sd_jwt_vc(holder, status_uri=f"https://127.0.0.1:{bystander.port}/status/tsl/1")
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "indeterminate"
    assert status_check(answer) == ("not_checked", "status.list_untrusted_origin")
    assert bystander.count() == 0
    assert issuer.count("/status/") == 0


def test_lists_are_revalidated_with_etags(client, issuer: FakeIssuer, holder, clock):
    diploma = issuer.issue_sd_jwt_vc(holder)
    verify(client, diploma.token)
    verify(client, diploma.token)
    assert issuer.count("/status/tsl/1") == 1
    clock.advance(seconds=issuer.ttl_seconds + 1)
    answer = verify(client, diploma.token)
    requests = [headers for _, path, headers in issuer.requests if path == "/status/tsl/1"]
    assert len(requests) == 2
    assert requests[1]["if-none-match"].startswith('"')
    assert answer["verdict"] == "valid"
    assert answer["report"]["status"][0]["age_seconds"] == 0  # revalidated now


def test_caches_survive_a_restart_through_the_database(make_client, issuer: FakeIssuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    first = make_client()
    assert verify(first, diploma.token)["verdict"] == "valid"
    issuer.stop()
    clock.advance(minutes=1)
    second = make_client(database_url=first.app.state.services.settings.database_url)
    answer = verify(second, diploma.token)
    assert answer["verdict"] == "valid"
    assert {s["age_seconds"] for s in answer["report"]["status"]} == {60}
    assert not any(s["stale"] for s in answer["report"]["status"])


def test_a_multi_purpose_list_is_read_for_each_purpose(client, issuer: FakeIssuer, holder):
    diploma = issuer.issue_w3c(holder)
    listed = StatusList.from_entries(size=131_072, bits=1, order=BitOrder.MSB_FIRST, entries=[])
    token = issue_bitstring_status_list(
        uri=issuer.lists["suspension"],
        issuer=issuer.identifier,
        purpose="suspension",
        status_list=listed,
        key=issuer.signing_key(),
        issued_at=issuer.clock.now(),
        contexts=CONTEXTS,
    )
    header, payload, _ = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["credentialSubject"]["statusPurpose"] = ["revocation", "suspension"]
    forged = sign_compact(
        header=json.loads(b64url_decode(header)), payload=json.dumps(claims).encode(), key=issuer.signing_key()
    )
    issuer.overrides["/status/bitstring/suspension"] = Answer(200, forged.encode())
    answer = verify(client, diploma.token)
    # A list serving several purposes answers for each of them (W3C Bitstring Status List §2.2).
    assert answer["verdict"] == "valid", answer["report"]["checks"]


def test_a_rotated_key_is_found_by_fetching_the_metadata_again(client, issuer: FakeIssuer, holder, clock):
    first = issuer.issue_w3c(holder)
    assert verify(client, first.token)["verdict"] == "valid"
    clock.advance(minutes=2)
    issuer.keys.rotate(at=clock.now())
    issuer.publish()
    second = issuer.issue_w3c(holder)
    answer = verify(client, second.token)
    assert answer["verdict"] == "valid", answer["problemDetails"]
    assert issuer.count("/.well-known/jwt-vc-issuer") == 2
    assert verify(client, first.token)["verdict"] == "valid"  # the retired key still verifies its past


def test_a_compromised_key_fails_everything_it_signed_and_the_reissued_copy_verifies(
    client, issuer: FakeIssuer, holder, clock
):
    honest = issuer.issue_w3c(holder)
    before_compromise = clock.now()
    clock.advance(minutes=5)
    stolen = issuer.signing_key()
    issuer.keys.rotate(at=clock.now())  # the runbook: rotate, then declare the old key compromised
    issuer.keys.compromise(stolen.kid, at=clock.now())
    issuer.publish()
    clock.advance(minutes=1)
    # The thief signs with the old key and backdates 'iat' before the declared compromise.
    forged_without_status = issuer.issue_w3c(holder, key=stolen, issued_at=before_compromise, with_status=False)
    forged_on_a_real_slot = issuer.issue_w3c(holder, key=stolen, issued_at=before_compromise)
    for diploma in (honest, forged_without_status, forged_on_a_real_slot):
        answer = verify(client, diploma.token)
        assert answer["verdict"] == "invalid", answer["report"]["checks"]
        signature = next(c for c in answer["report"]["checks"] if c["check"] == "signature")
        assert signature["code"] == "key.compromised"
        assert "declared this key compromised on" in signature["message"]
        assert "re-issues" in signature["message"]
    reissued = issuer.issue_w3c(holder)  # what the graduate's new offer gives: signed by the new key
    assert verify(client, reissued.token)["verdict"] == "valid"


def test_a_diploma_without_a_status_reference_is_refused(client, issuer: FakeIssuer, holder):
    answer = verify(client, issuer.issue_w3c(holder, with_status=False).token)
    assert answer["verdict"] == "invalid"
    checks = {c["check"]: c for c in answer["report"]["checks"]}
    assert (checks["status"]["outcome"], checks["status"]["code"]) == ("not_checked", "status.none")
    assert (checks["policy"]["outcome"], checks["policy"]["code"]) == ("failed", "policy.status_required")


def test_issuer_metadata_for_another_issuer_is_not_used(client, issuer: FakeIssuer, holder):
    issuer.overrides["/.well-known/jwt-vc-issuer"] = Answer(
        200, json.dumps({**issuer.metadata(), "issuer": "https://elsewhere.example"}).encode()
    )
    answer = verify(client, issuer.issue_w3c(holder).token)
    assert answer["verdict"] == "indeterminate"
    signature = next(c for c in answer["report"]["checks"] if c["check"] == "signature")
    assert signature["code"] == "key.issuer_unreachable"
    assert "another issuer" in signature["message"]


def test_a_status_list_signed_by_another_key_is_refused(client, issuer: FakeIssuer, holder, clock, tls):
    impostor = FakeIssuer(clock=clock, tls=tls)
    try:
        listed = StatusList.from_entries(size=131_072, bits=1, order=BitOrder.MSB_FIRST, entries=[])
        forged = issue_bitstring_status_list(
            uri=issuer.lists["revocation"],
            issuer=issuer.identifier,
            purpose="revocation",
            status_list=listed,
            key=impostor.signing_key(),
            issued_at=clock.now(),
            contexts=CONTEXTS,
            ttl=timedelta(minutes=5),
        )
        issuer.overrides["/status/bitstring/revocation"] = Answer(200, forged.encode())
        answer = verify(client, issuer.issue_w3c(holder).token)
        assert answer["verdict"] == "indeterminate"
        outcome, code = status_check(answer)
        assert outcome == "not_checked"
        assert code.startswith("status.list")
    finally:
        impostor.stop()


def test_schema_is_checked(client, issuer: FakeIssuer, holder):
    answer = verify(client, issuer.issue_w3c(holder).token)
    schema = next(c for c in answer["report"]["checks"] if c["check"] == "schema")
    assert schema["outcome"] == "passed"
    assert schemas.DIPLOMA_CREDENTIAL_TYPE in answer["report"]["credential_types"]
