"""The wallet's own strict reading of unsigned OpenID4VP Request Objects: one case per way a request is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import schemas
from vc.encoding import b64url_encode
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.oid4vp import parse_authorization_request, parse_request_object

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
RESPONSE_URI = "https://verify.example.ma/oid4vp/response"
CLIENT_ID = f"redirect_uri:{RESPONSE_URI}"
REQUEST_URI = "https://verify.example.ma/oid4vp/request/abc"


def payload(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "aud": "https://self-issued.me/v2",
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "client_id": CLIENT_ID,
        "response_uri": RESPONSE_URI,
        "nonce": "n" * 22,
        "state": "s" * 22,
        "dcql_query": {
            "credentials": [
                {
                    "id": "diploma",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [schemas.DIPLOMA_VCT]},
                    "claims": [{"path": ["familyName"]}, {"path": ["mention"]}],
                }
            ]
        },
        "client_metadata": {"vp_formats_supported": {"dc+sd-jwt": {"kb-jwt_alg_values": ["ES256"]}}},
        "iat": int(NOW.timestamp()) - 10,
        "exp": int(NOW.timestamp()) + 600,
    }
    for name, value in changes.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    return document


def token(body: dict[str, Any], header: dict[str, Any] | None = None, signature: str = "") -> str:
    head = header or {"alg": "none", "typ": "oauth-authz-req+jwt"}
    return f"{b64url_encode(json.dumps(head).encode())}.{b64url_encode(json.dumps(body).encode())}.{signature}"


def nested(depth: int) -> Any:
    """A list nested ``depth`` levels deep."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def parse(text: str, client_id: str = CLIENT_ID) -> Any:
    return parse_request_object(text, client_id=client_id, request_uri=REQUEST_URI, now=NOW)


def dcql(**query_changes: Any) -> dict[str, Any]:
    query = payload()["dcql_query"]["credentials"][0]
    query.update(query_changes)
    return {"credentials": [query]}


def test_a_well_formed_request_is_read() -> None:
    request = parse(token(payload()))
    assert request.selection().claims == ("familyName", "mention")
    assert request.verifier_host == "verify.example.ma"
    assert request.authenticated is False
    assert [query.id for query in request.selection().queries] == ["diploma"]


def test_paths_inside_a_claim_and_always_visible_claims_are_understood() -> None:
    claims = [{"path": ["familyName", "lat"]}, {"path": ["vct"]}, {"path": ["mention"]}]
    selection = parse(token(payload(dcql_query=dcql(claims=claims)))).selection()
    assert selection.claims == ("familyName", "mention")
    assert selection.nested_paths == ("familyName.lat",)


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            token(payload(), {"alg": "ES256", "typ": "oauth-authz-req+jwt"}, "c2ln"),
            "request.unsupported",
            "cannot be signed",
        ),
        (token(payload(), {"alg": "none", "typ": "JWT"}), "request.invalid", "'typ' is wrong"),
        (token(payload(), {"alg": "none"}), "request.invalid", "no 'typ'"),
        ("not-a-jwt", "request.invalid", "not a compact JWT"),
        ("e30.bm90IGpzb24.", "request.invalid", "not base64url JSON"),
        (token(payload(client_id="redirect_uri:https://evil.example/r")), "request.invalid", "client_id differs"),
        (
            token(payload(response_uri="https://elsewhere.example/r")),
            "request.invalid",
            "the answer would go elsewhere",
        ),
        (token(payload(response_uri="http://verify.example.ma/r")), "url.insecure", "plain http"),
        (token(payload(response_type="code")), "request.invalid", "response_type is not vp_token"),
        (token(payload(response_mode="direct_post.jwt")), "request.unsupported", "response mode"),
        (token(payload(aud="https://other-wallet.example")), "request.invalid", "addressed to another wallet"),
        (token(payload(nonce="short")), "request.invalid", "nonce"),
        (token(payload(client_metadata=nested(64))), "request.invalid", "request object payload is nested too deeply"),
        (
            f"{b64url_encode(json.dumps({'alg': 'none'}).encode())}.{b64url_encode(b'[' * 3000 + b']' * 3000)}.",
            "request.invalid",
            "depth limit exceeded",
        ),
        (token(payload(exp=int((NOW - timedelta(minutes=5)).timestamp()))), "request.expired", "expired"),
        (token(payload(iat=int((NOW + timedelta(hours=1)).timestamp()))), "request.invalid", "in the future"),
        (token(payload(dcql_query=None)), "request.invalid", "no DCQL query"),
        (token(payload(dcql_query=dcql(format="mso_mdoc"))), "request.unsupported", "credential format"),
        (
            token(payload(dcql_query=dcql(meta={"vct_values": ["urn:example:other"]}))),
            "request.not_a_diploma",
            "does not ask for the baccalaureate",
        ),
        (
            token(payload(dcql_query=dcql(claims=[{"path": ["shoeSize"]}]))),
            "request.claims_unknown",
            "claims a diploma does not have",
        ),
        (
            token(payload(dcql_query={**dcql(), "credential_sets": [{"options": [["other"]]}]})),
            "request.invalid",
            "names queries the request does not have",
        ),
        (
            token(payload(dcql_query={"credentials": dcql()["credentials"] * 2})),
            "request.invalid",
            "repeats a credential query id",
        ),
        (
            token(payload(client_metadata={"vp_formats_supported": {"mso_mdoc": {}}})),
            "request.unsupported",
            "does not accept diplomas",
        ),
        (
            token(payload(client_metadata={"vp_formats_supported": {"dc+sd-jwt": {"kb-jwt_alg_values": ["EdDSA"]}}})),
            "request.unsupported",
            "key algorithm",
        ),
    ],
)
def test_a_bad_request_object_is_refused(text: str, code: str, message: str) -> None:
    with pytest.raises(RefusedError) as refused:
        parse(text)
    assert refused.value.code == code
    assert message in str(refused.value)


def test_a_client_identifier_the_wallet_cannot_check_is_refused() -> None:
    with pytest.raises(RefusedError) as refused:
        parse(
            token(payload(client_id="decentralized_identifier:did:example:1")),
            client_id="decentralized_identifier:did:example:1",
        )
    assert refused.value.code == "request.unsupported"


@pytest.mark.parametrize("client_id", ["x509_san_dns:verify.example.ma", "x509_hash:bm90LWEtaGFzaA"])
def test_an_unsigned_request_under_an_x509_prefix_is_refused(client_id: str) -> None:
    with pytest.raises(RefusedError) as refused:
        parse(token(payload(client_id=client_id)), client_id=client_id)
    assert refused.value.code == "request.unsigned"
    assert "did not sign" in str(refused.value)


@pytest.mark.parametrize(
    ("link", "code"),
    [
        ("openid4vp://?request_uri=a&request_uri=b&client_id=c", "request.invalid"),
        ("openid4vp://?client_id=c&request_uri=r&request_uri_method=put", "request.invalid"),
        ("openid4vp://?client_id=c&dcql_query=%7B%7D", "request.unsupported"),
        ("openid4vp://?client_id=c&request_uri=r&request=e30.e30.", "request.unsupported"),
        ("openid4vp://?request_uri=r", "request.invalid"),
        ("openid-credential-offer://?credential_offer_uri=x", "request.invalid"),
    ],
)
def test_bad_authorization_request_links(link: str, code: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_authorization_request(link)
    assert refused.value.code == code


def test_links_by_reference_and_by_value() -> None:
    by_post = parse_authorization_request("openid4vp://?client_id=c&request_uri=r&request_uri_method=post")
    assert (by_post.request_uri, by_post.request_uri_method, by_post.request) == ("r", "post", None)
    by_value = parse_authorization_request("openid4vp://?client_id=c&request=e30.e30.")
    assert (by_value.request_uri, by_value.request) == (None, "e30.e30.")


def test_the_relying_party_named_by_the_verifier_is_read() -> None:
    metadata = {**payload()["client_metadata"], "client_name": "  Université   Mohammed V "}
    assert parse(token(payload(client_metadata=metadata))).relying_party == "Université Mohammed V"
    assert parse(token(payload())).relying_party is None


@pytest.mark.parametrize("name", ["", "\x1b[2J\x1b[32mMinistère", 42, "x" * 201])
def test_a_relying_party_name_that_is_not_printable_text_is_refused(name: Any) -> None:
    metadata = {**payload()["client_metadata"], "client_name": name}
    with pytest.raises(RefusedError, match="client_name is not a printable name"):
        parse(token(payload(client_metadata=metadata)))
