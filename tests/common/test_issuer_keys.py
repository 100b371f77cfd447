"""Finding and reading an issuer's keys (SD-JWT VC issuer metadata, did:web, JWK Sets) through the fake fetcher."""

from __future__ import annotations

from typing import Any

import pytest

from common.fetch import FetchError, Response, UrlRefusedError
from common.issuer_keys import (
    IssuerKeysError,
    did_web_document_url,
    fetch_issuer_keys,
    jwt_vc_issuer_metadata_url,
    local_kid,
)
from tests.common.fake_fetcher import FakeFetcher
from vc.jose import SigningKey

ISSUER = "https://bac.example.ma"
METADATA = "https://bac.example.ma/.well-known/jwt-vc-issuer"
KEY = SigningKey.generate(kid="2026-1")
PLAIN_JWKS = {"keys": [{k: v for k, v in KEY.public.jwk.items() if k != "kid"} | {"kid": "2026-1"}]}


def test_where_the_keys_are() -> None:
    assert jwt_vc_issuer_metadata_url("https://bac.example.ma") == "https://bac.example.ma/.well-known/jwt-vc-issuer"
    assert did_web_document_url("did:web:bac.example.ma") == "https://bac.example.ma/.well-known/did.json"
    assert did_web_document_url("did:web:example.ma:men:bac") == "https://example.ma/men/bac/did.json"
    assert did_web_document_url("did:web:localhost%3A8443") == "https://localhost:8443/.well-known/did.json"
    assert did_web_document_url("did:key:z6Mk") is None
    assert jwt_vc_issuer_metadata_url("https://example.ma/tenants/men/") == (
        "https://example.ma/.well-known/jwt-vc-issuer/tenants/men"
    )
    assert did_web_document_url("did:web:example.ma:men") == "https://example.ma/men/did.json"
    assert local_kid("did:web:example.ma", "did:web:example.ma#k1") == "k1"
    assert local_kid("did:web:example.ma", "#k1") == "k1"
    assert local_kid(ISSUER, "#k1") == "#k1"


def test_keys_by_value() -> None:
    fake = FakeFetcher()
    fake.json(METADATA, {"issuer": ISSUER, "jwks": PLAIN_JWKS}, etag='"v1"', cache_control="max-age=60")
    found = fetch_issuer_keys(fake, ISSUER, max_bytes=10_000)
    assert found.history is not None
    assert found.history.kids == ("2026-1",)
    assert (found.jwks, found.etag, found.max_age_seconds) == (PLAIN_JWKS, '"v1"', 60)


def test_keys_by_reference_on_the_issuers_origin() -> None:
    fake = FakeFetcher()
    fake.json(METADATA, {"issuer": ISSUER, "jwks_uri": "https://BAC.example.ma:443/jwks.json"})
    fake.json("https://BAC.example.ma:443/jwks.json", PLAIN_JWKS)
    found = fetch_issuer_keys(fake, ISSUER, max_bytes=10_000)
    assert found.history is not None
    assert found.history.kids == ("2026-1",)
    assert fake.sent[1].headers["accept"].startswith("application/jwk-set+json")


def test_not_modified_keeps_what_was_held() -> None:
    fake = FakeFetcher(routes={METADATA: Response(METADATA, 304, {"etag": '"v1"', "cache-control": "max-age=30"})})
    found = fetch_issuer_keys(fake, ISSUER, max_bytes=10_000, etag='"v1"')
    assert (found.history, found.etag, found.max_age_seconds) == (None, '"v1"', 30)
    assert fake.sent[0].headers["if-none-match"] == '"v1"'


def test_a_did_web_issuer() -> None:
    did = "did:web:bac.example.ma"
    fake = FakeFetcher()
    fake.json(
        "https://bac.example.ma/.well-known/did.json",
        {
            "id": did,
            "verificationMethod": [
                {"id": "#2026-1", "type": "JsonWebKey", "controller": did, "publicKeyJwk": PLAIN_JWKS["keys"][0]},
                {"id": f"{did}#auth", "type": "JsonWebKey", "controller": did, "publicKeyJwk": {"kty": "EC"}},
            ],
            "assertionMethod": ["#2026-1"],
        },
    )
    found = fetch_issuer_keys(fake, did, max_bytes=10_000)
    assert found.history is not None
    assert found.history.kids == ("2026-1",)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"issuer": "https://elsewhere.example", "jwks": PLAIN_JWKS}, "names another issuer"),
        ({"issuer": ISSUER, "jwks": PLAIN_JWKS, "jwks_uri": f"{ISSUER}/jwks"}, "both 'jwks' and 'jwks_uri'"),
        ({"issuer": ISSUER}, "no 'jwks' object"),
        ({"issuer": ISSUER, "jwks_uri": "https://cdn.example/jwks"}, "issuer's own origin"),
        ({"issuer": ISSUER, "jwks_uri": "https://bac.example.ma@evil.example/jwks"}, "issuer's own origin"),
        ({"issuer": ISSUER, "jwks": {"keys": [{"kty": "EC", "d": "x"}]}}, "cannot be read"),
    ],
)
def test_unusable_metadata_is_the_issuers_fault(metadata: dict[str, Any], message: str) -> None:
    fake = FakeFetcher()
    fake.json(METADATA, metadata)
    with pytest.raises(IssuerKeysError, match=message) as caught:
        fetch_issuer_keys(fake, ISSUER, max_bytes=10_000)
    assert caught.value.code == "key.metadata_invalid"
    assert [request.url for request in fake.sent] == [METADATA]


def test_failed_fetches() -> None:
    fake = FakeFetcher()
    fake.text(METADATA, "<html>", content_type="text/html")
    with pytest.raises(IssuerKeysError, match="did not send JSON"):
        fetch_issuer_keys(fake, ISSUER, max_bytes=10_000)
    fake.json(METADATA, {"detail": "gone"}, status=404)
    with pytest.raises(FetchError) as caught:
        fetch_issuer_keys(fake, ISSUER, max_bytes=10_000)
    assert caught.value.code == "fetch.http_status"
    fake.json(METADATA, {"issuer": ISSUER, "jwks": PLAIN_JWKS})
    with pytest.raises(FetchError) as caught:
        fetch_issuer_keys(fake, ISSUER, max_bytes=10)
    assert caught.value.code == "fetch.too_large"
    with pytest.raises(UrlRefusedError):
        fetch_issuer_keys(fake, "http://bac.example.ma", max_bytes=10_000)


@pytest.mark.parametrize(
    ("depth", "message"), [(65, "sent JSON nested too deeply"), (3000, "did not send JSON; found depth limit exceeded")]
)
def test_deeply_nested_metadata_is_refused_clearly(depth: int, message: str) -> None:
    fake = FakeFetcher()
    fake.text(METADATA, '{"issuer": "x", "jwks": ' + "[" * depth + "]" * depth + "}", content_type="application/json")
    with pytest.raises(IssuerKeysError, match=message) as caught:
        fetch_issuer_keys(fake, ISSUER, max_bytes=100_000)
    assert caught.value.code == "key.metadata_invalid"
