"""A standard SD-JWT VC issuer on the trust list: it publishes a plain RFC 7517 key set (no ``alg``, ``use`` or
``nbf``, a ``kid`` of its own choosing), and its diplomas verify end to end; keys not for signatures and algorithms
the policy does not allow are still refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import schemas
from tests.verifier.fake_issuer import FakeIssuer
from vc import present
from vc.jose import PublicKey, SigningKey


def verify(client: Any, token: str) -> dict[str, Any]:
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    return response.json()


def check(answer: dict[str, Any], name: str) -> tuple[str, str]:
    found = next(c for c in answer["report"]["checks"] if c["check"] == name)
    return found["outcome"], found["code"]


def plain(key: SigningKey, **members: Any) -> dict[str, Any]:
    """The public key as RFC 7517 requires it (``kty`` and the key's own members), plus ``members``."""
    return {name: key.public.jwk[name] for name in ("kty", "crv", "x", "y")} | members


@pytest.mark.parametrize("profile", ["dc+sd-jwt", "vc+sd-jwt"])
def test_a_plain_key_set_verifies_valid(client, issuer: FakeIssuer, holder, profile: str) -> None:
    key = SigningKey.generate("ES256", kid="signing-2026-07")
    issuer.use_plain_key(key, plain(key, kid="signing-2026-07"))
    diploma = issuer.issue_sd_jwt_vc(holder) if profile == "dc+sd-jwt" else issuer.issue_w3c(holder, key=key)
    answer = verify(client, diploma.token)
    assert answer["verdict"] == "valid", answer["report"]["checks"]
    assert check(answer, "signature") == ("passed", "signature.ok")
    assert check(answer, "status") == ("passed", "status.ok")


def test_a_p384_key_without_alg_is_es384(client, issuer: FakeIssuer, holder) -> None:
    key = SigningKey.generate("ES384", kid="p384")
    issuer.use_plain_key(key, plain(key, kid="p384", use="sig"))
    assert verify(client, issuer.issue_sd_jwt_vc(holder).token)["verdict"] == "valid"


def test_a_key_published_for_encryption_is_refused(client, issuer: FakeIssuer, holder) -> None:
    key = SigningKey.generate("ES256", kid="enc-1")
    issuer.use_plain_key(key, plain(key, kid="enc-1", use="enc"))
    answer = verify(client, issuer.issue_sd_jwt_vc(holder).token)
    assert answer["verdict"] == "invalid"
    assert check(answer, "signature") == ("failed", "key.unusable")


@dataclass(frozen=True)
class Rs256:
    """An RSA signer (RS256): a key type the platform never signs with, and an algorithm the policy refuses."""

    kid: str = "rsa-1"
    private: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    algorithm: str = "RS256"

    @property
    def public(self) -> PublicKey:
        return PublicKey.from_key(self.private.public_key(), kid=self.kid)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message, padding.PKCS1v15(), hashes.SHA256())


def test_an_algorithm_the_policy_does_not_allow_is_refused(client, issuer: FakeIssuer, holder) -> None:
    signer = Rs256()
    jwk = {"kty": "RSA", "n": signer.public.jwk["n"], "e": signer.public.jwk["e"], "kid": signer.kid}
    issuer.use_plain_key(signer, jwk)
    answer = verify(client, issuer.issue_sd_jwt_vc(holder).token)
    assert answer["verdict"] == "invalid"
    assert check(answer, "signature") == ("failed", "jws.alg_not_allowed")


def test_a_foreign_name_that_lies_is_shown_escaped_isolated_and_marked(client, issuer: FakeIssuer, holder, clock):
    subject = schemas.sample_subject()
    subject["givenName"] = {"ar": "سلمى", "lat": "Salma\u202eLIAF ENO"}
    subject["familyName"] = {"ar": "العلوي", "lat": "Alaoui<script>alert(1)</script>"}
    diploma = issuer.issue_w3c(holder, subject=subject)
    nonce = client.post("/shares/nonce").json()
    presentation = present(
        diploma.token,
        disclose=[("credentialSubject", "givenName"), ("credentialSubject", "familyName")],
        key=holder,
        audience=nonce["audience"],
        nonce=nonce["nonce"],
        now=clock.now(),
    )
    share = client.post("/shares", json={"presentation": presentation}).json()

    page = client.get(f"/s/{share['id']}?lang=fr").text

    assert "\u202e" not in page, "the override never reaches the page"
    assert '<bdi class="refused-characters" title="hidden or reordering characters shown by code point">' in page
    assert "Salma[U+202E]LIAF ENO</bdi>" in page
    assert "<script>alert" not in page
    assert "<bdi>Alaoui&lt;script&gt;alert(1)&lt;/script&gt;</bdi>" in page
