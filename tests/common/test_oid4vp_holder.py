"""The holder's shared reading of OpenID4VP requests, as the wallet and the portal call it: the link, how a Request
Object is fetched, what a verifier served instead of one, and the holder's own URL rule applied to ``response_uri``.
(The one-case-per-refusal checks of the Request Object run through the wallet in ``tests/wallet_cli/test_oid4vp*``,
DCQL's in ``test_oid4vp_holder_dcql.py``.)"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

import schemas
from common.oid4vp_holder import (
    REQUEST_OBJECT_MEDIA_TYPE,
    RequestLinkError,
    RequestRefusedError,
    check_retrieved,
    parse_authorization_request,
    parse_request_object,
    retrieval,
    wallet_metadata,
)
from vc.encoding import b64url_encode
from vc.errors import Fault

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
RESPONSE_URI = "https://verify.example.ma/oid4vp/response"
CLIENT_ID = f"redirect_uri:{RESPONSE_URI}"


def _token(**changes: Any) -> str:
    payload: dict[str, Any] = {
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "client_id": CLIENT_ID,
        "response_uri": RESPONSE_URI,
        "nonce": "n" * 22,
        "dcql_query": {
            "credentials": [
                {
                    "id": "diploma",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [schemas.DIPLOMA_VCT]},
                    "claims": [{"path": ["familyName"]}],
                }
            ]
        },
        "exp": int(NOW.timestamp()) + 600,
    } | changes
    header = {"alg": "none", "typ": "oauth-authz-req+jwt"}
    return f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(payload).encode())}."


def _https_only(url: Any, *, what: str) -> str:
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"{what}: {url!r} is not https")
    return url


def test_a_link_by_reference_is_fetched_by_get_or_by_post_with_a_fresh_wallet_nonce() -> None:
    link = parse_authorization_request(
        "openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fv.example%2Fr&request_uri=https%3A%2F%2Fv.example%2Fq"
    )
    assert (link.client_id, link.request_uri, link.request_uri_method) == (
        "redirect_uri:https://v.example/r",
        "https://v.example/q",
        "get",
    )
    get = retrieval(link, metadata={})
    assert (get.method, get.accept, get.form, get.wallet_nonce) == ("GET", REQUEST_OBJECT_MEDIA_TYPE, None, None)
    posting = parse_authorization_request(
        "openid4vp://?client_id=x509_hash%3Aabc&request_uri=https%3A%2F%2Fv.example%2Fq&request_uri_method=post"
    )
    metadata = wallet_metadata(("ES256",))
    first, second = retrieval(posting, metadata=metadata), retrieval(posting, metadata=metadata)
    assert first.method == "POST"
    assert first.form is not None
    assert first.wallet_nonce is not None
    assert first.form["wallet_nonce"] == first.wallet_nonce != second.wallet_nonce, "a fresh nonce per retrieval"
    sent = json.loads(first.form["wallet_metadata"])
    assert sent["vp_formats_supported"]["dc+sd-jwt"] == {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}
    assert sent["client_id_prefixes_supported"] == ["x509_hash", "x509_san_dns", "redirect_uri"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("https://v.example/?client_id=a&request=x", "request.invalid"),
        ("openid4vp://?request_uri=a&request_uri=b&client_id=c", "request.invalid"),
        ("openid4vp://?request_uri=a", "request.invalid"),
        ("openid4vp://?client_id=a", "request.unsupported"),
        ("openid4vp://?client_id=a&request_uri=b&request=c", "request.unsupported"),
        ("openid4vp://?client_id=a&request_uri=b&request_uri_method=put", "request.invalid"),
    ],
)
def test_a_link_that_cannot_be_read_is_a_usage_error_naming_what_was_found(text: str, code: str) -> None:
    with pytest.raises(RequestLinkError) as refused:
        parse_authorization_request(text)
    assert refused.value.code == code
    assert refused.value.fault is Fault.CONFIGURATION
    assert "found" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "content_type", "code", "text"),
    [
        (404, "application/json", "request.expired", "no longer has this request"),
        (410, None, "request.expired", "no longer has this request"),
        (200, "text/html", "request.invalid", "expected HTTP 200 application/oauth-authz-req+jwt"),
        (500, REQUEST_OBJECT_MEDIA_TYPE, "request.invalid", "found HTTP 500"),
    ],
)
def test_what_a_verifier_served_instead_of_a_request_object_is_refused(
    status: int, content_type: str | None, code: str, text: str
) -> None:
    with pytest.raises(RequestRefusedError) as refused:
        check_retrieved(status, content_type)
    assert refused.value.code == code
    assert text in str(refused.value)
    assert refused.value.fault is Fault.CREDENTIAL
    assert refused.value.hint, "the holder is told what to do"


def test_a_request_object_is_checked_with_the_holders_own_url_rule() -> None:
    checked = parse_request_object(_token(), client_id=CLIENT_ID, request_uri=None, now=NOW, check_url=_https_only)
    assert checked.verifier_host == "verify.example.ma"
    assert checked.verifier_origin == "https://verify.example.ma"
    assert checked.selection().claims == ("familyName",)
    plain = "http://verify.example.ma/oid4vp/response"
    with pytest.raises(ValueError, match=re.escape("verifier's response: 'http://verify.example.ma")):
        parse_request_object(
            _token(response_uri=plain, client_id=f"redirect_uri:{plain}"),
            client_id=f"redirect_uri:{plain}",
            request_uri=None,
            now=NOW,
            check_url=_https_only,
        )


def test_a_request_for_a_claim_no_diploma_has_is_refused_when_read() -> None:
    query = {
        "credentials": [
            {
                "id": "diploma",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [schemas.DIPLOMA_VCT]},
                "claims": [{"path": ["salary"]}],
            }
        ]
    }
    with pytest.raises(RequestRefusedError) as refused:
        parse_request_object(
            _token(dcql_query=query), client_id=CLIENT_ID, request_uri=None, now=NOW, check_url=_https_only
        )
    assert refused.value.code == "request.claims_unknown"
    assert refused.value.found == ["salary"]


def test_the_wallet_nonce_sent_must_come_back() -> None:
    with pytest.raises(RequestRefusedError) as refused:
        parse_request_object(
            _token(wallet_nonce="other"),
            client_id=CLIENT_ID,
            request_uri=None,
            now=NOW,
            check_url=_https_only,
            wallet_nonce="sent",
        )
    assert refused.value.code == "request.wallet_nonce"
