"""Verifying what the issuer published as a verifier does: metadata and lists over HTTP, the engine's pipeline."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from common.diploma import diploma_policy, diploma_trust_list
from keys import KeyHistory, KeyHistoryResolver
from tests.issuer.wallet import HttpClient, path_of
from vc import (
    HolderBinding,
    SigningKey,
    StaticStatusResolver,
    StatusListData,
    StatusSnapshot,
    VerificationReport,
    present,
    verify,
    verify_status_list_token,
)

AUDIENCE = "https://admissions.um5.example.ma"
ALGORITHMS = frozenset({"ES256"})


def key_resolver(client: HttpClient, issuer: str, *, relative_to: str | None) -> KeyHistoryResolver:
    response = client.get(path_of(issuer + "/.well-known/jwt-vc-issuer", relative_to))
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["issuer"] == issuer
    return KeyHistoryResolver({issuer: KeyHistory.from_jwks(document["jwks"])})


def fetch_list(
    client: HttpClient, url: str, *, keys: KeyHistoryResolver, now: datetime, relative_to: str | None
) -> StatusListData:
    response = client.get(path_of(url, relative_to))
    assert response.status_code == 200, response.text
    return verify_status_list_token(response.text, uri=url, keys=keys, algorithms=ALGORITHMS, now=now)


def status_urls(issuer: str, shards: list[int]) -> list[str]:
    urls = []
    for shard in shards:
        urls += [
            f"{issuer}/status/bitstring/revocation-{shard}",
            f"{issuer}/status/bitstring/suspension-{shard}",
            f"{issuer}/status/tsl/{shard}",
        ]
    return urls


def verify_copy(
    client: HttpClient,
    credential: str,
    *,
    holder: SigningKey,
    issuer: str,
    now: datetime,
    relative_to: str | None,
    shards: list[int] | None = None,
    disclose: tuple[str, ...] = ("familyName", "generalAverage", "mention"),
) -> VerificationReport:
    """Present ``credential`` with key binding and verify it with lists fetched from the issuer."""
    keys = key_resolver(client, issuer, relative_to=relative_to)
    snapshots = {
        url: StatusSnapshot(data=fetch_list(client, url, keys=keys, now=now, relative_to=relative_to), fetched_at=now)
        for url in status_urls(issuer, shards or [1])
    }
    nonce = secrets.token_urlsafe(12)
    w3c = '"vc+sd-jwt"' in _header_text(credential)
    paths: list[Any] = [("credentialSubject", name) if w3c else (name,) for name in disclose]
    presentation = present(credential, disclose=paths, key=holder, audience=AUDIENCE, nonce=nonce, now=now)
    policy = diploma_policy(
        trust=diploma_trust_list(issuer, version="test"),
        holder_binding=HolderBinding(required=True, audience=AUDIENCE, nonce=nonce),
    )
    return verify(presentation, keys=keys, status=StaticStatusResolver(snapshots), policy=policy, now=now)


def _header_text(credential: str) -> str:
    from vc.encoding import b64url_decode

    return b64url_decode(credential.split(".")[0]).decode()
