"""Smaller pieces of the verifier: its GETs over the shared fetcher, escaping, messages, sealing, trust lists,
did:web issuers, memory-only verification (URLs, origins and the fetcher's bounds: tests/common)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import schemas
from common.fetch import (
    FetchError,
    HttpFetcher,
    ResponseTooLargeError,
)
from common.html import Markup, escape, tag
from tests.verifier.fake_issuer import CONTEXTS, Answer, FakeIssuer
from vc import BitOrder, ConfigurationError, Profile, StatusList, issue, issue_bitstring_status_list
from vc.report import Check, CheckName, Outcome
from verifier.errors import NeedsIOError
from verifier.fetch import Fetcher
from verifier.io_context import memory_only
from verifier.messages import as_locale, check_message, format_age, lookup
from verifier.sealing import UnsealError, open_sealed, public_key_for, seal, seal_to, unseal
from verifier.trust import TrustedIssuers
from verifier.verification import Expectations


def _fetcher(handler) -> Fetcher:
    return Fetcher(HttpFetcher(httpx.Client(transport=httpx.MockTransport(handler)), total_timeout_seconds=5))


def test_a_streamed_body_is_counted_without_content_length():
    def stream() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    fetcher = _fetcher(lambda request: httpx.Response(200, content=stream()))
    with pytest.raises(ResponseTooLargeError):
        fetcher.get("https://issuer.example/list", accept="*/*", max_bytes=10_000)
    fine = fetcher.get("https://issuer.example/list", accept="*/*", max_bytes=200_000)
    assert len(fine.body) == 100_000


def test_encoded_bodies_redirects_and_errors_are_refused():
    encoded = _fetcher(lambda request: httpx.Response(200, content=b"x", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="content-encoded"):
        encoded.get("https://issuer.example/", accept="*/*", max_bytes=100)
    redirect = _fetcher(lambda request: httpx.Response(302, headers={"Location": "http://169.254.169.254/"}))
    with pytest.raises(FetchError) as caught:
        redirect.get("https://issuer.example/", accept="*/*", max_bytes=100)
    assert caught.value.code == "fetch.redirect"
    declared = _fetcher(lambda request: httpx.Response(200, content=b"x" * 50, headers={"Content-Length": "5000"}))
    with pytest.raises(FetchError):
        declared.get("https://issuer.example/", accept="*/*", max_bytes=100)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(FetchError) as caught:
        _fetcher(refuse).get("https://issuer.example/", accept="*/*", max_bytes=100)
    assert caught.value.code == "fetch.unreachable"


def test_conditional_requests_send_the_etag():
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match"))
        return httpx.Response(304, headers={"ETag": '"a"', "Cache-Control": "public, max-age=60"})

    fetched = _fetcher(handler).get("https://issuer.example/", accept="*/*", max_bytes=100, etag='"a"')
    assert (fetched.status, fetched.etag, fetched.max_age_seconds, seen) == (304, '"a"', 60, ['"a"'])


def test_trust_lists_naming_unfetchable_issuers_are_refused():
    document = {"version": "1", "issuers": [{"id": "http://bac.example.ma", "credential_types": ["X"]}]}
    with pytest.raises(ConfigurationError) as caught:
        TrustedIssuers.from_document(document)
    assert caught.value.code == "trust_list.issuer_unsupported"
    with pytest.raises(ConfigurationError):
        TrustedIssuers.from_document({"version": "", "issuers": []})
    trusted = TrustedIssuers.from_document(
        {"version": "1", "issuers": [{"id": "did:web:bac.example.ma", "credential_types": ["X"], "name": {"fr": "B"}}]}
    )
    assert trusted.origins == {"https://bac.example.ma"}
    assert trusted.url_is_trusted("https://bac.example.ma/status/1")
    assert not trusted.url_is_trusted("https://bac.example.ma.evil.example/status/1")
    assert trusted.name("did:web:bac.example.ma", "ar") == "B"


def test_html_is_escaped_unless_built_here():
    hostile = '"><script>alert(1)</script>'
    rendered = tag("p", hostile, title=hostile, class_="x")
    assert "<script>" not in rendered
    assert rendered.count("&quot;") == 2
    assert escape(Markup("<b>ok</b>")) == "<b>ok</b>"
    assert tag("input", name="lang", value="ar", checked=True, disabled=False) == (
        '<input name="lang" value="ar" checked>'
    )


def test_messages_fall_back_by_family_then_to_the_engine():
    assert lookup("status.list_whatever") is lookup("status.list_yet_unknown")
    assert lookup("sd_jwt.duplicate_digest") is lookup("sd_jwt_vc.vct_missing")
    family = Check(CheckName.POLICY, Outcome.FAILED, "policy.brand_new_code", "engine words")
    assert check_message(family, "ar") == "ليست الشهادة المطلوبة"
    orphan = Check(CheckName.POLICY, Outcome.FAILED, "brand.new_code", "engine words")
    assert check_message(orphan, "fr") == "engine words"
    assert format_age(45, "en") == "45 s"
    assert format_age(600, "fr") == "10 min"
    assert format_age(3 * 86400, "ar") == "3 أيام"
    assert format_age(11 * 60, "ar") == "11 دقيقة"
    assert (as_locale("fr-MA"), as_locale("de"), as_locale(None)) == ("fr", "ar", "ar")


def test_sealing_needs_the_id():
    sealed = seal("link-id", purpose=b"p", plaintext=b"secret")
    assert unseal("link-id", purpose=b"p", sealed=sealed) == b"secret"
    with pytest.raises(UnsealError):
        unseal("other-id", purpose=b"p", sealed=sealed)
    with pytest.raises(UnsealError):
        unseal("link-id", purpose=b"q", sealed=sealed)
    to_key = seal_to(public_key_for("tx", purpose=b"r"), purpose=b"r", plaintext=b"result")
    assert open_sealed("tx", purpose=b"r", sealed=to_key) == b"result"
    with pytest.raises(UnsealError):
        open_sealed("tx2", purpose=b"r", sealed=to_key)


def test_memory_only_verification_falls_back_when_io_is_needed(client, issuer, holder):
    verifier = client.app.state.services.verifier
    token = issuer.issue_w3c(holder).token
    with memory_only(), pytest.raises(NeedsIOError):
        verifier.verify(token, expect=Expectations(holder_binding=False))
    assert verifier.verify(token, expect=Expectations(holder_binding=False)).verified
    with memory_only():
        assert verifier.verify(token, expect=Expectations(holder_binding=False)).verified


def test_a_did_web_issuer(make_client, issuer: FakeIssuer, holder, tmp_path: Path):
    did = f"did:web:127.0.0.1%3A{issuer.port}"
    jwks = issuer.keys.history().to_jwks()["keys"]
    issuer.overrides["/.well-known/did.json"] = Answer(
        200,
        json.dumps(
            {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "verificationMethod": [
                    {"id": f"{did}#{jwk['kid']}", "type": "JsonWebKey", "controller": did, "publicKeyJwk": jwk}
                    for jwk in jwks
                ],
                "assertionMethod": [f"#{jwk['kid']}" for jwk in jwks],
            }
        ).encode(),
        {"Content-Type": "application/did+json"},
    )
    trust_file = tmp_path / "did-trust.json"
    trust_file.write_text(
        json.dumps(
            {"version": "did-1", "issuers": [{"id": did, "credential_types": [schemas.DIPLOMA_CREDENTIAL_TYPE]}]}
        )
    )
    client = make_client(trust_list=str(trust_file))
    entries = []
    for purpose in ("revocation", "suspension"):
        url = f"{issuer.identifier}/did-status/{purpose}"
        empty = StatusList.from_entries(size=131_072, bits=1, order=BitOrder.MSB_FIRST, entries=[])
        signed = issue_bitstring_status_list(
            uri=url,
            issuer=did,
            purpose=purpose,
            status_list=empty,
            key=issuer.signing_key(),
            issued_at=issuer.clock.now(),
            contexts=CONTEXTS,
        )
        issuer.overrides[f"/did-status/{purpose}"] = Answer(200, signed.encode())
        entries.append(schemas.BitstringEntry(purpose, url, 7))
    credential = schemas.w3c_credential(
        schemas.sample_subject(), issuer=did, credential_id=f"urn:uuid:{uuid.uuid4()}", status=entries
    )
    token = issue(
        credential,
        key=issuer.signing_key(),
        issued_at=issuer.clock.now(),
        profile=Profile.VC_SD_JWT,
        contexts=CONTEXTS,
        disclosable=schemas.W3C_DISCLOSABLE,
        holder=holder.public,
    )
    answer = client.post("/credentials/verify", json={"verifiableCredential": token}).json()
    assert answer["verdict"] == "valid", answer["problemDetails"]
    assert answer["report"]["trust_list_version"] == "did-1"
    assert issuer.count("/.well-known/did.json") == 1


def test_a_trust_list_from_a_url_and_its_stored_copy(make_client, issuer: FakeIssuer, holder, sqlite_url):
    issuer.overrides["/trust-list.json"] = Answer(200, json.dumps(issuer.trust_list(version="url-7")).encode())
    url = f"{issuer.identifier}/trust-list.json"
    first = make_client(trust_list=url, database_url=sqlite_url)
    token = issuer.issue_w3c(holder).token
    assert (
        first.post("/credentials/verify", json={"verifiableCredential": token}).json()["report"]["trust_list_version"]
        == "url-7"
    )
    issuer.overrides["/trust-list.json"] = Answer(503, b"")
    second = make_client(trust_list=url, database_url=sqlite_url)  # the URL is down: the stored copy is used
    assert second.app.state.services.trust.current().version == "url-7"
