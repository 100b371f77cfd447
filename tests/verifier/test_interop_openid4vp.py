"""Interoperability: an independent OpenID4VP wallet (the OpenWallet Foundation's @openid4vc/openid4vp, with
@sd-jwt/core presenting) answers our verifier's signed requests, and the verifier finds the diploma valid.

The wallet resolves the request with its own code (client identifier prefix rules, JAR signature through the
x5c callback, DCQL), presents the requested claims with a KB-JWT, and submits the direct_post answer.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from tests.interop.node import run
from tests.keys.pki import Pki, make_pki
from tests.verifier.live import serving
from verifier.app import create_app

PASSPHRASE = "correct horse battery staple interop"
ASKED = ["familyName", "givenName", "mention"]


@pytest.fixture
def certified_verifier(make_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock, issuer) -> Any:
    # The independent wallet signs with the real time, so the issuer and the verifier run on it too.
    clock.set(datetime.now(UTC))
    issuer.publish()
    pki = make_pki(datetime.now(UTC), host="localhost")
    pki.verifier.save(tmp_path / "access", passphrase=PASSPHRASE.encode())
    monkeypatch.setenv("TAWTIQ_VERIFIER_KEY_PASSPHRASE", PASSPHRASE)

    def make_app(base: str) -> Any:
        public_url = base.replace("127.0.0.1", "localhost")
        return create_app(make_settings(public_url=public_url, oid4vp_certificate_dir=tmp_path / "access"))

    with serving(make_app) as base:
        yield base.replace("127.0.0.1", "localhost"), pki


def wait_for_answer(client: httpx.Client, status_uri: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        state: dict[str, Any] = client.get(status_uri).json()
        if state["status"] not in ("pending", "retrieved", "verifying"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


def ca_pem(pki: Pki) -> str:
    return pki.ca.certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize("passing", ["authorization_request", "authorization_request_by_value"])
def test_an_independent_wallet_answers_our_signed_request(certified_verifier, issuer, holder, passing) -> None:
    base, pki = certified_verifier
    with httpx.Client(base_url=base, timeout=20) as client:
        created = client.post("/oid4vp/requests", json={"claims": ASKED}).json()
        diploma = issuer.issue_sd_jwt_vc(holder)
        answer = run(
            "wallet.mjs",
            {
                "authorization_request": created[passing],
                "credential": diploma.token,
                "holder_private_jwk": holder_private_jwk(holder),
                "trusted_ca_pem": ca_pem(pki),
            },
        )
        assert answer["status"] == 200, answer
        assert answer["client"]["prefix"] == "x509_hash"
        assert answer["sent_by"] == ("value" if passing.endswith("by_value") else "reference")
        assert answer["body"]["redirect_uri"].startswith(f"{base}/oid4vp/outcome/")
        state = wait_for_answer(client, f"/oid4vp/requests/{created['id']}")
    assert state["status"] == "answered"
    assert state["verdict"] == "valid", state["problemDetails"]
    assert set(ASKED) <= set(state["report"]["disclosed"])


def test_the_independent_wallet_refuses_a_verifier_it_does_not_trust(certified_verifier, issuer, holder) -> None:
    base, _pki = certified_verifier
    stranger = make_pki(datetime.now(UTC), host="localhost")
    with httpx.Client(base_url=base, timeout=20) as client:
        created = client.post("/oid4vp/requests", json={"claims": ASKED}).json()
        answer = run(
            "wallet.mjs",
            {
                "authorization_request": created["authorization_request"],
                "credential": issuer.issue_sd_jwt_vc(holder).token,
                "holder_private_jwk": holder_private_jwk(holder),
                "trusted_ca_pem": ca_pem(stranger),
            },
        )
        assert answer == {"refused": "Oauth2JwtVerificationError: Error during verification of jwt."}
        assert client.get(f"/oid4vp/requests/{created['id']}").json()["status"] == "retrieved"


def holder_private_jwk(holder: Any) -> dict[str, Any]:
    from jwcrypto import jwk

    pem = holder.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    exported: dict[str, Any] = jwk.JWK.from_pem(pem).export_private(as_dict=True)
    return exported
