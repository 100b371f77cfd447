"""OpenID4VP 1.0 cross-device: the request by reference, the direct_post answer, single-use nonces, expiry.

Storage matters here (transactions live in the database), so every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import select

import schemas
from tests.verifier.conftest import relying_party_token
from tests.verifier.wallet import (
    authorization_parameters,
    fetch_request_object,
    post_response,
    presentation_for,
    relative,
)
from vc import present
from verifier.models import OpenID4VPTransactionRow

CLIENT_ID = "redirect_uri:https://verify.test.example/oid4vp/response"
ASKED = ["familyName", "givenName", "stream", "session", "generalAverage", "mention"]


@pytest.fixture
def db_client(make_client, database_url):
    return make_client(database_url=database_url)


def start(client, claims=ASKED, *, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/oid4vp/requests", json={"claims": claims}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_authorization_request_and_request_object_follow_the_wire_format(db_client, clock):
    created = start(db_client)
    parameters = authorization_parameters(created["authorization_request"])
    assert parameters["client_id"] == CLIENT_ID == created["client_id"]
    assert parameters["request_uri"] == created["request_uri"]
    assert created["request_uri"].startswith("https://verify.test.example/oid4vp/request/")
    assert created["id"] not in created["authorization_request"]

    request_object = fetch_request_object(db_client, created["authorization_request"])
    assert request_object["response_type"] == "vp_token"
    assert request_object["response_mode"] == "direct_post"
    assert request_object["response_uri"] == "https://verify.test.example/oid4vp/response"
    assert request_object["aud"] == "https://self-issued.me/v2"
    assert len(request_object["nonce"]) >= 22
    assert len(request_object["state"]) >= 22
    assert request_object["state"] != created["id"]
    assert request_object["dcql_query"] == {
        "credentials": [
            {
                "id": "diploma",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [schemas.DIPLOMA_VCT]},
                "claims": [{"path": [name]} for name in ASKED],
            }
        ]
    }
    formats = request_object["client_metadata"]["vp_formats_supported"]["dc+sd-jwt"]
    assert "ES256" in formats["kb-jwt_alg_values"]
    assert request_object["exp"] - request_object["iat"] == 600
    assert db_client.get(created["status_uri"]).json()["status"] == "retrieved"


def test_a_wallet_answer_is_verified_and_shown_to_the_creator(db_client, issuer, holder, clock):
    created = start(db_client)
    assert db_client.get(created["status_uri"]).json()["status"] == "pending"
    request_object = fetch_request_object(db_client, created["authorization_request"])
    diploma = issuer.issue_sd_jwt_vc(holder)
    presentation = presentation_for(request_object, credential=diploma.token, holder=holder, now=clock.now())
    response = post_response(db_client, request_object, presentation)
    assert response.status_code == 200
    redirect_uri = response.json()["redirect_uri"]
    assert redirect_uri.startswith("https://verify.test.example/oid4vp/outcome/")
    assert response.headers["cache-control"] == "no-store"
    # The holder reads the verdict behind the redirect_uri; the page shows it to a browser.
    outcome = db_client.get(relative(redirect_uri), headers={"Accept": "application/json"})
    assert outcome.status_code == 200
    assert outcome.json()["verdict"] == "valid"
    assert outcome.headers["cache-control"] == "no-store"
    page = db_client.get(relative(redirect_uri))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'class="verdict valid"' in page.text
    unknown = db_client.get("/oid4vp/outcome/not-a-code", headers={"Accept": "application/json"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "oid4vp.outcome_unknown"

    state = db_client.get(created["status_uri"]).json()
    assert state["status"] == "answered"
    assert state["verdict"] == "valid", state["problemDetails"]
    assert set(state["report"]["disclosed"]) == set(ASKED)
    assert "cnie" not in state["report"]["claims"]
    holder_binding = next(c for c in state["report"]["checks"] if c["check"] == "holder_binding")
    assert holder_binding["outcome"] == "passed"
    assert CLIENT_ID in holder_binding["message"]


def test_a_replayed_vp_token_is_refused(db_client, issuer, holder, clock):
    created = start(db_client)
    request_object = fetch_request_object(db_client, created["authorization_request"])
    presentation = presentation_for(
        request_object, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    assert post_response(db_client, request_object, presentation).status_code == 200

    again = post_response(db_client, request_object, presentation)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert "already answered" in again.json()["error_description"]

    # The same vp_token carried into a new transaction: its nonce belongs to the old one.
    other = start(db_client)
    other_request = fetch_request_object(db_client, other["authorization_request"])
    assert post_response(db_client, other_request, presentation).status_code == 200
    state = db_client.get(other["status_uri"]).json()
    assert state["verdict"] == "invalid"
    holder_binding = next(c for c in state["report"]["checks"] if c["check"] == "holder_binding")
    assert (holder_binding["outcome"], holder_binding["code"]) == ("failed", "holder_binding.nonce")


def test_an_expired_transaction_is_refused(db_client, issuer, holder, clock):
    created = start(db_client)
    request_object = fetch_request_object(db_client, created["authorization_request"])
    presentation = presentation_for(
        request_object, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    clock.advance(seconds=601)
    late = post_response(db_client, request_object, presentation)
    assert late.status_code == 400
    assert late.json() == {"error": "invalid_request", "error_description": "this request has expired"}
    assert db_client.get(relative(created["request_uri"])).status_code == 410
    assert db_client.get(created["status_uri"]).json()["status"] == "expired"
    assert db_client.get(created["qr"]["svg"]).status_code == 410


def test_the_wallet_may_decline(db_client):
    created = start(db_client)
    request_object = fetch_request_object(db_client, created["authorization_request"])
    response = db_client.post("/oid4vp/response", data={"error": "access_denied", "state": request_object["state"]})
    assert response.status_code == 200
    state = db_client.get(created["status_uri"]).json()
    assert (state["status"], state["wallet_error"]) == ("failed", "access_denied")


@pytest.mark.parametrize(
    ("change", "check", "code"),
    [
        ({"audience": "https://verify.test.example/shares"}, "holder_binding", "holder_binding.aud"),
        ({"audience": "https://verify.test.example/oid4vp/response"}, "holder_binding", "holder_binding.aud"),
        ({"claims": ["familyName", "givenName"]}, "policy", "policy.disclosure_missing"),
    ],
)
def test_presentations_that_do_not_answer_the_request_are_invalid(client, issuer, holder, clock, change, check, code):
    created = start(client)
    request_object = fetch_request_object(client, created["authorization_request"])
    presentation = presentation_for(
        request_object, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now(), **change
    )
    assert post_response(client, request_object, presentation).status_code == 200
    state = client.get(created["status_uri"]).json()
    assert state["verdict"] == "invalid"
    found = next(c for c in state["report"]["checks"] if c["check"] == check)
    assert (found["outcome"], found["code"]) == ("failed", code)


def test_a_w3c_diploma_is_not_what_was_asked(client, issuer, holder, clock):
    created = start(client)
    request_object = fetch_request_object(client, created["authorization_request"])
    presentation = present(
        issuer.issue_w3c(holder).token,
        disclose=[("credentialSubject", name) for name in ASKED],
        key=holder,
        audience=CLIENT_ID,
        nonce=request_object["nonce"],
        now=clock.now(),
    )
    assert post_response(client, request_object, presentation).status_code == 200
    state = client.get(created["status_uri"]).json()
    assert state["verdict"] == "invalid"
    policy = next(c for c in state["report"]["checks"] if c["check"] == "policy")
    assert policy["code"] == "policy.format_not_requested"


@pytest.mark.parametrize(
    "vp_token",
    [
        "not json",
        "[]",
        '{"other": ["x"]}',
        '{"diploma": "x"}',
        '{"diploma": []}',
        '{"diploma": ["a", "b"]}',
        '{"diploma": ' + "[" * 70 + "]" * 70 + "}",
        "[" * 5000 + "]" * 5000,
    ],
)
def test_a_malformed_vp_token_is_an_oauth_error(client, vp_token):
    created = start(client)
    request_object = fetch_request_object(client, created["authorization_request"])
    response = client.post("/oid4vp/response", data={"vp_token": vp_token, "state": request_object["state"]})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert client.get(created["status_uri"]).json()["status"] == "retrieved"  # not consumed


def test_unknown_state_handle_and_id(client):
    assert client.post("/oid4vp/response", data={"vp_token": "{}", "state": "nope"}).status_code == 400
    assert client.post("/oid4vp/response", data={"vp_token": "{}"}).json()["error_description"] == "state is required"
    assert client.get("/oid4vp/request/unknown").status_code == 404
    assert client.get("/oid4vp/requests/unknown").status_code == 404


def test_claims_must_be_diploma_claims(client):
    response = client.post("/oid4vp/requests", json={"claims": ["familyName", "password"]})
    assert response.status_code == 400
    assert response.json()["code"] == "oid4vp.claims_unknown"
    default = client.post("/oid4vp/requests").json()
    asked = [c["path"][0] for c in default["dcql_query"]["credentials"][0]["claims"]]
    assert asked == list(schemas.DEFAULT_DISCLOSED_CLAIMS)
    assert "cnie" not in asked


def test_the_qr_code_carries_the_authorization_request(client):
    created = start(client)
    png = client.get(created["qr"]["png"])
    assert png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [code.text for code in decoded] == [created["authorization_request"]]
    svg = client.get(created["qr"]["svg"])
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<?xml")


def test_the_result_is_sealed_at_rest(db_client, issuer, holder, clock):
    created = start(db_client, claims=["familyName", "givenName", "cnie"], token=relying_party_token(db_client))
    request_object = fetch_request_object(db_client, created["authorization_request"])
    presentation = presentation_for(
        request_object, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    post_response(db_client, request_object, presentation)
    database = db_client.app.state.services.database
    with database.session() as session:
        rows = session.exec(select(OpenID4VPTransactionRow)).all()
    stored = b"".join((row.result or b"") + row.dcql_query.encode() for row in rows)
    for secret in (b"BE123456", b"EL ALAOUI", "العلوي".encode(), b"Salma"):
        assert secret not in stored
    state = db_client.get(created["status_uri"]).json()
    assert state["report"]["claims"]["cnie"] == "BE123456"


def test_results_are_kept_for_a_while_then_erased(db_client, issuer, holder, clock):
    created = start(db_client)
    request_object = fetch_request_object(db_client, created["authorization_request"])
    presentation = presentation_for(
        request_object, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    post_response(db_client, request_object, presentation)
    clock.advance(seconds=901)
    assert db_client.get(created["status_uri"]).status_code == 410
    services = db_client.app.state.services
    clock.advance(seconds=600)
    assert services.purge()["oid4vp_transactions"] == 1
    assert db_client.get(created["status_uri"]).status_code == 404
    assert json.loads(json.dumps(services.purge())) == {"oid4vp_transactions": 0, "shares": 0, "rate_buckets": 0}


def test_starting_requests_is_rate_limited(make_client):
    client = make_client(oid4vp_rate_limit=2)
    assert client.post("/oid4vp/requests").status_code == 201
    assert client.post("/oid4vp/requests").status_code == 201
    limited = client.post("/oid4vp/requests")
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
