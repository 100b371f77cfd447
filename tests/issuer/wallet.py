"""A minimal OpenID4VCI wallet for the tests, built only from the engine (``vc``) and plain HTTP.

It knows nothing of the issuer's internals: it parses the offer URI, fetches the offer and the metadata,
redeems the pre-authorized code, gets nonces and sends ``openid4vci-proof+jwt`` proofs, exactly as the
wire protocol in ``issuer.oid4vci`` says. It drives any client with ``get``/``post`` (FastAPI's
``TestClient`` in-process, or ``httpx.Client`` against a real server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from vc import SigningKey
from vc.encoding import b64url_encode, json_dumps

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class HttpClient(Protocol):
    def get(self, url: str, *args: Any, **kwargs: Any) -> Any: ...

    def post(self, url: str, *args: Any, **kwargs: Any) -> Any: ...


def make_proof(
    key: SigningKey,
    *,
    audience: str,
    nonce: str | None,
    issued_at: datetime,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    algorithm: str | None = None,
) -> str:
    """An ``openid4vci-proof+jwt`` signed by ``key``; ``header``/``claims`` override members (None removes)."""
    jwk = {name: value for name, value in key.public.jwk.items() if name != "kid"}
    full_header: dict[str, Any] = {"typ": "openid4vci-proof+jwt", "alg": algorithm or key.algorithm, "jwk": jwk}
    payload: dict[str, Any] = {"aud": audience, "iat": int(issued_at.timestamp())}
    if nonce is not None:
        payload["nonce"] = nonce
    for target, changes in ((full_header, header), (payload, claims)):
        for name, value in (changes or {}).items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    signing_input = b64url_encode(json_dumps(full_header)) + "." + b64url_encode(json_dumps(payload))
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))


def offer_url(offer_uri: str) -> str:
    """The ``credential_offer_uri`` inside an ``openid-credential-offer://`` URI."""
    parts = urlsplit(offer_uri)
    assert parts.scheme == "openid-credential-offer", offer_uri
    values = parse_qs(parts.query)
    assert list(values) == ["credential_offer_uri"], values
    return values["credential_offer_uri"][0]


def path_of(url: str, base: str | None) -> str:
    """``url`` relative to ``base`` for in-process clients, unchanged for real ones."""
    if base is None:
        return url
    assert url.startswith(base), (url, base)
    return url[len(base) :] or "/"


@dataclass
class Wallet:
    """One wallet session against one issuer."""

    client: HttpClient
    relative_to: str | None = None  # set for in-process clients (TestClient takes paths)
    keys: list[SigningKey] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    access_token: str | None = None

    def fetch_offer(self, offer_uri: str) -> dict[str, Any]:
        response = self.client.get(path_of(offer_url(offer_uri), self.relative_to))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        offer: dict[str, Any] = response.json()
        issuer = offer["credential_issuer"]
        metadata = self.client.get(path_of(issuer + "/.well-known/openid-credential-issuer", self.relative_to))
        assert metadata.status_code == 200, metadata.text
        self.metadata = metadata.json()
        assert self.metadata["credential_issuer"] == issuer
        return offer

    def token_endpoint(self) -> str:
        issuer = self.metadata["credential_issuer"]
        servers = self.metadata.get("authorization_servers", [issuer])
        response = self.client.get(path_of(servers[0] + "/.well-known/oauth-authorization-server", self.relative_to))
        assert response.status_code == 200, response.text
        endpoint: str = response.json()["token_endpoint"]
        return endpoint

    def redeem(self, offer: dict[str, Any], tx_code: str | None) -> Any:
        grant = offer["grants"][PRE_AUTHORIZED_GRANT]
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": grant["pre-authorized_code"]}
        if tx_code is not None:
            form["tx_code"] = tx_code
        response = self.client.post(path_of(self.token_endpoint(), self.relative_to), data=form)
        if response.status_code == 200:
            body = response.json()
            assert body["token_type"] == "Bearer"
            self.access_token = body["access_token"]
        return response

    def nonce(self) -> str:
        response = self.client.post(path_of(self.metadata["nonce_endpoint"], self.relative_to))
        assert response.status_code == 200, response.text
        assert "no-store" in response.headers["cache-control"]
        nonce: str = response.json()["c_nonce"]
        return nonce

    def request_credentials(
        self,
        configuration_id: str,
        *,
        count: int = 1,
        now: datetime,
        proofs: list[str] | None = None,
        token: str | None = None,
        algorithm: str = "ES256",
    ) -> Any:
        """Request ``count`` copies bound to fresh keys (or send the given ``proofs``)."""
        if proofs is None:
            nonce = self.nonce()
            keys = [SigningKey.generate(algorithm) for _ in range(count)]
            self.keys.extend(keys)
            proofs = [
                make_proof(key, audience=self.metadata["credential_issuer"], nonce=nonce, issued_at=now) for key in keys
            ]
        return self.client.post(
            path_of(self.metadata["credential_endpoint"], self.relative_to),
            json={"credential_configuration_id": configuration_id, "proofs": {"jwt": proofs}},
            headers={"Authorization": f"Bearer {token or self.access_token}"},
        )
