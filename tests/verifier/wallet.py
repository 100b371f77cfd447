"""A minimal holder for the tests: speaks the verifier's OpenID4VP and share-link wire formats as a wallet would."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vc import SigningKey, present
from vc.encoding import b64url_decode


def relative(url: str) -> str:
    """The path and query of an absolute URL of the verifier (the test client talks to it in process)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def authorization_parameters(authorization_request: str) -> dict[str, str]:
    parts = urlsplit(authorization_request)
    assert parts.scheme == "openid4vp"
    return {name: values[0] for name, values in parse_qs(parts.query, strict_parsing=True).items()}


def decode_unsigned_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, signature = token.split(".")
    assert signature == ""
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def fetch_request_object(client: Any, authorization_request: str) -> dict[str, Any]:
    """GET the request_uri and return the Request Object's payload, checking the envelope on the way."""
    parameters = authorization_parameters(authorization_request)
    response = client.get(relative(parameters["request_uri"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/oauth-authz-req+jwt"
    header, payload = decode_unsigned_jwt(response.text)
    assert header == {"alg": "none", "typ": "oauth-authz-req+jwt"}
    assert payload["client_id"] == parameters["client_id"]
    return payload


def presentation_for(
    request_object: dict[str, Any],
    *,
    credential: str,
    holder: SigningKey,
    now: datetime,
    claims: list[str] | None = None,
    audience: str | None = None,
    nonce: str | None = None,
) -> str:
    """The SD-JWT+KB answering the request: the requested claims, aud = client_id, the request's nonce."""
    query = request_object["dcql_query"]["credentials"][0]
    wanted = claims if claims is not None else [c["path"][0] for c in query["claims"]]
    return present(
        credential,
        disclose=[(name,) for name in wanted],
        key=holder,
        audience=audience or request_object["client_id"],
        nonce=nonce or request_object["nonce"],
        now=now,
    )


def post_response(client: Any, request_object: dict[str, Any], presentation: str, **extra: str) -> Any:
    """direct_post of ``vp_token={"diploma": [presentation]}`` and the state."""
    form = {"vp_token": json.dumps({"diploma": [presentation]}), "state": request_object["state"], **extra}
    return client.post(relative(request_object["response_uri"]), data=form)
