"""Interoperability: our wallet answers an independent OpenID4VP verifier (the OpenWallet Foundation's
@openid4vc/openid4vp creating a signed request and parsing the answer, @sd-jwt/core verifying the presentation),
passed by value and by reference, under the x509_san_dns and x509_hash prefixes; that verifier accepts the answer."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from tests.interop.node import start
from tests.keys.pki import REGISTRAR, UNIVERSITY, make_pki
from tests.wallet_cli.conftest import Wallet, receive
from tests.wallet_cli.platform import Platform

ASKED = ["familyName", "givenName", "mention"]


def issuer_jwks(platform: Platform) -> dict[str, Any]:
    trusted = ssl.create_default_context(cafile=str(platform.issuer.certificate))
    metadata = httpx.get(f"{platform.issuer.url}/.well-known/jwt-vc-issuer", verify=trusted, timeout=10).json()
    jwks: dict[str, Any] = metadata["jwks"]
    return jwks


@pytest.mark.parametrize(("prefix", "passing"), [("x509_san_dns", "value"), ("x509_hash", "reference")])
def test_our_wallet_answers_an_independent_verifier(
    wallet: Wallet, platform: Platform, tmp_path: Path, prefix: str, passing: str
) -> None:
    graduate, _answer = receive(wallet, platform)
    pki = make_pki(datetime.now(UTC), host="localhost")
    anchors = tmp_path / "registrar.pem"
    anchors.write_bytes(pki.ca.certificate.public_bytes(serialization.Encoding.PEM))
    signing_key = pki.verifier.key.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    process = start(
        "verifier.mjs",
        {
            "x5c": pki.verifier.x5c(),
            "signing_key_pem": signing_key.decode(),
            "issuer_jwks": issuer_jwks(platform),
            "claims": ASKED,
            "prefix": prefix,
            "passing": passing,
        },
    )
    try:
        assert process.stdout is not None
        request = json.loads(process.stdout.readline())
        link = request["authorization_request"]
        assert ("request=" in link) == (passing == "value")
        result = wallet("present", link, "--all-requested", "--trust-anchors", str(anchors))
        assert result.exit_code == 0, result.stderr
        assert f"Who is asking: {UNIVERSITY} — certified by {REGISTRAR}" in result.stderr
        assert "this wallet cannot know the verdict" in result.stdout
        verdict = json.loads(process.stdout.readline())
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert verdict["accepted"] is True, verdict
    assert verdict["vct"] == "urn:ma:men:credential:baccalaureate:1"
    assert verdict["iss"] == platform.issuer.url
    assert verdict["claims"]["familyName"]["lat"] == graduate["familyName.lat"]
    assert set(verdict["claims"]) == set(ASKED)
