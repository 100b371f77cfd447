"""The wallet's checks of signed Request Objects (x509_hash, x509_san_dns): one case per refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keys.x509 import VERIFIER_ACCESS, CertificateAuthority, CertifiedKey, certificate_hash
from tests.keys.pki import REGISTRAR, UNIVERSITY, Pki, make_pki, signed_by_leaf
from tests.wallet_cli.test_oid4vp import payload
from vc.encoding import b64url_encode
from vc.jose import SigningKey, sign_compact
from wallet_cli.errors import RefusedError
from wallet_cli.oid4vp import PresentationRequest, parse_request_object

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
HOST = "verify.example.ma"
RESPONSE_URI = f"https://{HOST}/oid4vp/response"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(NOW, host=HOST)


def encoded(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value).encode())


def hash_id(pki: Pki) -> str:
    return f"x509_hash:{certificate_hash(pki.verifier.certificate)}"


def signed(
    body: dict[str, Any],
    certified: CertifiedKey,
    *,
    header: dict[str, Any] | None = None,
    key: SigningKey | None = None,
) -> str:
    full = {"typ": "oauth-authz-req+jwt", "x5c": certified.x5c(), **(header or {})}
    return sign_compact(header=full, payload=json.dumps(body).encode(), key=key or certified.key, with_kid=False)


def parse(token: str, client_id: str, pki: Pki, *, now: datetime = NOW, **extra: Any) -> PresentationRequest:
    return parse_request_object(token, client_id=client_id, request_uri=None, now=now, anchors=pki.anchors, **extra)


@pytest.mark.parametrize("prefix", ["x509_hash", "x509_san_dns"])
def test_a_signed_request_names_the_certified_verifier(pki: Pki, prefix: str) -> None:
    client_id = hash_id(pki) if prefix == "x509_hash" else f"x509_san_dns:{HOST}"
    request = parse(signed(payload(client_id=client_id), pki.verifier), client_id, pki)
    assert request.authenticated is True
    assert request.certified is not None
    assert (request.certified.name, request.certified.registrar, request.certified.prefix) == (
        UNIVERSITY,
        REGISTRAR,
        prefix,
    )
    assert request.response_uri == RESPONSE_URI


def test_the_wallet_nonce_must_be_echoed(pki: Pki) -> None:
    client_id = hash_id(pki)
    token = signed(payload(client_id=client_id, wallet_nonce="my-nonce"), pki.verifier)
    assert parse(token, client_id, pki, wallet_nonce="my-nonce").authenticated
    with pytest.raises(RefusedError) as refused:
        parse(token, client_id, pki, wallet_nonce="another-nonce")
    assert refused.value.code == "request.wallet_nonce"


def _refusal(token: str, client_id: str, pki: Pki, **extra: Any) -> RefusedError:
    with pytest.raises(RefusedError) as refused:
        parse(token, client_id, pki, **extra)
    return refused.value


def test_refused_a_bad_chain(pki: Pki) -> None:
    rogue = signed_by_leaf(pki, NOW)
    client_id = f"x509_hash:{certificate_hash(rogue.certificate)}"
    refused = _refusal(signed(payload(client_id=client_id), rogue), client_id, pki)
    assert refused.code == "x509.chain_invalid"
    assert "certificate is not acceptable" in str(refused)


def test_refused_an_untrusted_ca(pki: Pki) -> None:
    stranger = CertificateAuthority.create(name="Self-declared registrar", now=NOW - timedelta(days=1))
    certified = stranger.issue(organization=UNIVERSITY, profile=VERIFIER_ACCESS, now=NOW, dns_names=[HOST])
    client_id = f"x509_hash:{certificate_hash(certified.certificate)}"
    refused = _refusal(signed(payload(client_id=client_id), certified), client_id, pki)
    assert refused.code == "x509.untrusted"
    assert "Self-declared registrar" in str(refused.found)


def test_refused_x509_san_dns_when_the_certificate_does_not_name_the_host(pki: Pki) -> None:
    client_id = "x509_san_dns:verify.other.ma"
    refused = _refusal(signed(payload(client_id=client_id), pki.verifier), client_id, pki)
    assert refused.code == "x509.dns_mismatch"
    assert refused.expected == "verify.other.ma"


def test_refused_x509_san_dns_when_the_answer_goes_to_another_host(pki: Pki) -> None:
    client_id = f"x509_san_dns:{HOST}"
    body = payload(client_id=client_id, response_uri="https://collector.example/oid4vp/response")
    refused = _refusal(signed(body, pki.verifier), client_id, pki)
    assert refused.code == "request.response_uri_mismatch"
    assert refused.found == "collector.example"
    assert refused.expected == [HOST]


def test_refused_x509_hash_when_the_answer_goes_to_a_host_the_certificate_does_not_name(pki: Pki) -> None:
    client_id = hash_id(pki)
    body = payload(client_id=client_id, response_uri="https://collector.example/oid4vp/response")
    refused = _refusal(signed(body, pki.verifier), client_id, pki)
    assert refused.code == "request.response_uri_mismatch"


def test_refused_a_wrong_hash(pki: Pki) -> None:
    client_id = f"x509_hash:{b64url_encode(b'0' * 32)}"
    refused = _refusal(signed(payload(client_id=client_id), pki.verifier), client_id, pki)
    assert refused.code == "request.client_id_mismatch"
    assert refused.expected == certificate_hash(pki.verifier.certificate)


def test_refused_typ_missing(pki: Pki) -> None:
    client_id = hash_id(pki)
    token = sign_compact(
        header={"x5c": pki.verifier.x5c()},
        payload=json.dumps(payload(client_id=client_id)).encode(),
        key=pki.verifier.key,
    )
    refused = _refusal(token, client_id, pki)
    assert refused.code == "request.invalid"
    assert "no 'typ'" in str(refused)


def test_refused_alg_none(pki: Pki) -> None:
    client_id = hash_id(pki)
    header = {"alg": "none", "typ": "oauth-authz-req+jwt", "x5c": pki.verifier.x5c()}
    token = f"{encoded(header)}.{encoded(payload(client_id=client_id))}."
    refused = _refusal(token, client_id, pki)
    assert refused.code == "request.unsigned"


def test_refused_an_hmac_algorithm(pki: Pki) -> None:
    client_id = hash_id(pki)
    header = {"alg": "HS256", "typ": "oauth-authz-req+jwt", "x5c": pki.verifier.x5c()}
    token = f"{encoded(header)}.{encoded(payload(client_id=client_id))}.c2ln"
    refused = _refusal(token, client_id, pki)
    assert refused.code == "request.alg_refused"


def test_refused_an_expired_certificate(pki: Pki) -> None:
    client_id = hash_id(pki)
    later = pki.verifier.certificate.not_valid_after_utc + timedelta(days=1)
    body = payload(client_id=client_id, iat=int(later.timestamp()) - 10, exp=int(later.timestamp()) + 600)
    refused = _refusal(signed(body, pki.verifier), client_id, pki, now=later)
    assert refused.code == "x509.expired"
    assert UNIVERSITY in str(refused.found)


def test_refused_a_signature_by_another_key(pki: Pki) -> None:
    client_id = hash_id(pki)
    refused = _refusal(
        signed(payload(client_id=client_id), pki.verifier, key=SigningKey.generate("ES256")), client_id, pki
    )
    assert refused.code == "request.signature_invalid"


def test_refused_a_tampered_payload(pki: Pki) -> None:
    client_id = hash_id(pki)
    header, _payload, signature = signed(payload(client_id=client_id), pki.verifier).split(".")
    other = b64url_encode(json.dumps(payload(client_id=client_id, nonce="x" * 30)).encode())
    refused = _refusal(f"{header}.{other}.{signature}", client_id, pki)
    assert refused.code == "request.signature_invalid"


def test_refused_a_missing_x5c(pki: Pki) -> None:
    client_id = hash_id(pki)
    token = sign_compact(
        header={"typ": "oauth-authz-req+jwt"},
        payload=json.dumps(payload(client_id=client_id)).encode(),
        key=pki.verifier.key,
    )
    refused = _refusal(token, client_id, pki)
    assert refused.code == "x509.malformed"


def test_refused_a_client_id_that_differs_from_the_links(pki: Pki) -> None:
    refused = _refusal(signed(payload(client_id=f"x509_san_dns:{HOST}"), pki.verifier), hash_id(pki), pki)
    assert refused.code == "request.invalid"
    assert "client_id differs" in str(refused)


def test_no_trust_anchor_trusts_nobody(pki: Pki) -> None:
    client_id = hash_id(pki)
    with pytest.raises(RefusedError) as refused:
        parse_request_object(
            signed(payload(client_id=client_id), pki.verifier),
            client_id=client_id,
            request_uri=None,
            now=NOW,
            anchors=(),
        )
    assert refused.value.code == "x509.untrusted"
