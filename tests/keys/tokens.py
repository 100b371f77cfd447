"""Sign real compact JWS tokens and verify them through a key resolver, as a verifier would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vc.encoding import json_dumps, json_object
from vc.jose import DEFAULT_ALGORITHMS, KeyResolver, Signer, SigningKey, check_header, parse_compact, sign_compact

ISSUER = "https://bac.example.ma"


def sign_token(key: Signer, *, signed_at: datetime | None, with_kid: bool = True) -> str:
    """A diploma-like JWS whose ``iat`` is ``signed_at`` (none when ``signed_at`` is None)."""
    claims: dict[str, Any] = {"iss": ISSUER, "vct": "https://bac.example.ma/diploma", "given_name": "Salma"}
    if signed_at is not None:
        claims["iat"] = int(signed_at.timestamp())
    if not with_kid:
        assert isinstance(key, SigningKey)
        key = SigningKey(key=key.key, algorithm=key.algorithm, kid=None, public=key.public)
    return sign_compact(header={"typ": "dc+sd-jwt"}, payload=json_dumps(claims), key=key)


def verify_token(token: str, resolver: KeyResolver, *, issuer: str = ISSUER) -> dict[str, Any]:
    """Resolve the key for the token's ``kid`` and claimed signing time, then check the signature."""
    jws = parse_compact(token)
    algorithm = check_header(jws.header, allowed=DEFAULT_ALGORITHMS)
    claims = json_object(jws.payload, what="payload")
    signed_at = datetime.fromtimestamp(claims["iat"], UTC) if "iat" in claims else None
    key = resolver.resolve(issuer=issuer, kid=jws.kid, algorithm=algorithm, signed_at=signed_at)
    key.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)
    return claims
