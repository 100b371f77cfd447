"""Bad input never breaks the issuer: every endpoint answers malformed bodies and headers with a 4xx JSON error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from issuer.apitokens import create_token
from issuer.settings import Settings
from tests.common.sqlite_lock import held_write_lock
from tests.issuer.conftest import ISSUER, Clock, Cohort, OfferFactory
from tests.issuer.wallet import Wallet

GARBAGE_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"a": NaN}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (json.dumps({"proofs": {"jwt": ["x" * 9000]}, "credential_configuration_id": 5}).encode(), "application/json"),
    (
        json.dumps({"credential": {"credentialSubject": {"cnie": ["x"], "session": "2024"}}}).encode(),
        "application/json",
    ),
    (json.dumps({"credentialId": 1, "credentialStatus": [], "status": "yes"}).encode(), "application/json"),
    (b"grant_type=%ZZ&&&==", "application/x-www-form-urlencoded"),
    (b"pre-authorized_code=\xff\xfe", "application/x-www-form-urlencoded"),
    (b"<xml/>", "application/xml"),
    (b"a=b", "text/plain"),
    (b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--", "multipart/form-data; boundary=x"),
]
HEADER_VARIANTS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer " + "a" * 5000},
    {"Authorization": "Basic Og=="},
    {"Authorization": "tawtiq_000000000000_" + "A" * 43},
    {"Authorization": "Bearer tawtiq_000000000000_" + "A" * 43},
    {"If-None-Match": "garbage, , W/"},
    {"Accept-Language": ";;;q=x,ar-MA;q=0.8"},
]
POST_ENDPOINTS = ["/token", "/nonce", "/credential", "/credentials/issue", "/credentials/status", "/admin/offers"]
GET_ENDPOINTS = [
    "/offers/x",
    "/offers/" + "a" * 300,
    "/offers/%00%ff",
    "/status/tsl/99999999999999999999",
    "/status/bitstring/revocation-%2e%2e",
    "/status/bitstring/" + "é" * 50,
    "/admin/diplomas/%20",
    "/admin/diplomas/" + "x" * 500,
    "/.well-known/nothing",
]


#: The OAuth and OpenID4VCI endpoints, which answer errors with OAuth error objects; the others with problem details.
OAUTH_ENDPOINTS = {"/token", "/nonce", "/credential"}


def _assert_clean(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        if response.headers["content-type"] == "application/problem+json":
            assert body["status"] == response.status_code, (what, body)
            for member in ("type", "title", "detail", "code"):
                assert isinstance(body.get(member), str), (what, member, body)
                assert body[member], (what, member, body)
        else:
            assert what.split()[1] in OAUTH_ENDPOINTS, (what, body)
            assert isinstance(body.get("error"), str), (what, body)
            assert body["error"], (what, body)
            assert isinstance(body.get("error_description", ""), str)


def test_post_endpoints_answer_garbage_with_4xx_json(
    client: TestClient, cohort: Cohort, engine: Engine, clock: Clock
) -> None:
    _, admin = create_token(engine, name="admin", role="admin", actor="test", now=clock())
    variants = [*HEADER_VARIANTS, {"Authorization": f"Bearer {admin}"}]
    for endpoint in POST_ENDPOINTS:
        for body, media_type in GARBAGE_BODIES:
            for headers in variants:
                response = client.post(endpoint, content=body, headers={**headers, "Content-Type": media_type})
                _assert_clean(response, f"POST {endpoint} {body[:30]!r} {headers}")


def test_get_endpoints_answer_garbage_with_4xx_json(client: TestClient, cohort: Cohort) -> None:
    for endpoint in GET_ENDPOINTS:
        for headers in HEADER_VARIANTS:
            _assert_clean(client.get(endpoint, headers=headers), f"GET {endpoint} {headers}")
    for endpoint in POST_ENDPOINTS:
        _assert_clean(client.get(endpoint), f"GET {endpoint}")
    _assert_clean(client.put("/credential", content=b"{}"), "PUT /credential")
    _assert_clean(client.delete("/status/tsl/1"), "DELETE /status/tsl/1")


def test_bodies_over_the_bound_are_refused_with_413(client: TestClient, cohort: Cohort) -> None:
    big = b'{"x": "' + b"a" * 70_000 + b'"}'
    for endpoint in POST_ENDPOINTS:
        response = client.post(endpoint, content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, endpoint
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "request.too_large"
        assert response.json()["expected"] == "at most 65536 bytes"

    def chunks() -> Any:
        for _ in range(100):
            yield b"a" * 1000

    streamed = client.post("/credential", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, "a body without Content-Length is counted as it arrives"
    assert streamed.json()["code"] == "request.too_large"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
shaped = st.fixed_dictionaries(
    {},
    optional={
        "credential_configuration_id": json_values,
        "credential_identifier": json_values,
        "proofs": st.one_of(
            json_values, st.fixed_dictionaries({"jwt": st.lists(st.text(max_size=60) | json_values, max_size=3)})
        ),
        "credential": json_values,
        "options": json_values,
        "credentialId": json_values,
        "credentialStatus": json_values,
        "status": json_values,
        "cnie": json_values,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, shaped), endpoint=st.sampled_from(POST_ENDPOINTS[2:]))
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_random_json_never_breaks_an_endpoint(
    client: TestClient, cohort: Cohort, engine: Engine, clock: Clock, body: Any, endpoint: str
) -> None:
    token = client.app.state.hammer_token if hasattr(client.app.state, "hammer_token") else None  # type: ignore[attr-defined]
    if token is None:
        _, token = create_token(engine, name="fuzz", role="admin", actor="test", now=clock())
        client.app.state.hammer_token = token  # type: ignore[attr-defined]
    response = client.post(endpoint, json=body, headers={"Authorization": f"Bearer {token}"})
    _assert_clean(response, f"POST {endpoint} {body!r}"[:200])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_locked_database_is_a_503_with_retry_after_and_the_retry_succeeds(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, settings: Settings
) -> None:
    offer = make_offer(cohort.cnies[0])
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    with held_write_lock(settings.resolved_database_url):  # a bulk job holding the lock past the busy timeout
        refused = wallet.redeem(document, offer.tx_code)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "2"
    body = refused.json()
    assert (body["code"], body["found"]) == ("database.busy", "SQLite: database is locked")
    assert wallet.redeem(document, offer.tx_code).status_code == 200, "nothing was spent by the refused attempt"
