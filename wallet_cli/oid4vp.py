"""Answering a verifier: OpenID for Verifiable Presentations 1.0, cross-device, ``direct_post``.

The verifier shows ``openid4vp://?client_id=redirect_uri%3A<response_uri>&request_uri=<url>``. The wallet
fetches the Request Object from ``request_uri``: with the ``redirect_uri`` Client Identifier Prefix it is an
unsigned JWT (``alg: none``), so the wallet parses it here, strictly, and never treats it as evidence of who
the verifier is — only of where the answer goes (``response_uri``, which must equal the ``client_id`` after its
prefix). The DCQL query must ask for the diploma as an SD-JWT VC; the holder chooses which of the requested
claims to disclose; the answer is ``vp_token={"<query id>": ["<SD-JWT>~…~<KB-JWT>"]}&state=…`` with a KB-JWT
whose ``aud`` is the full ``client_id`` and ``nonce`` the request's. ``error=access_denied`` declines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import schemas
from vc import TawtiqError
from vc.encoding import b64url_decode
from wallet_cli.documents import read_object
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.model import DC_SD_JWT
from wallet_cli.net import Http, check_url, host_of, origin_of, unexpected

SCHEME: Final = "openid4vp"
REDIRECT_URI_PREFIX: Final = "redirect_uri:"
REQUEST_OBJECT_TYPE: Final = "oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
#: Claims every SD-JWT VC shows in clear; a request may name them without anything being disclosed.
ALWAYS_VISIBLE: Final = frozenset({"iss", "vct", "iat", "nbf", "exp", "cnf", "status"})
_MAX_REQUEST_CHARS: Final = 64 * 1024
_CLOCK_SKEW: Final = timedelta(seconds=60)
_HOLDER_ALGORITHM: Final = "ES256"
_MAX_CLIENT_NAME_CHARS: Final = 200


@dataclass(frozen=True)
class PresentationRequest:
    """A verified-as-well-formed OpenID4VP request for the diploma."""

    client_id: str
    request_uri: str
    response_uri: str
    nonce: str
    state: str | None
    query_id: str
    #: Top-level diploma claims asked for, in the verifier's order.
    claims: tuple[str, ...]
    #: Requested paths deeper than a top-level claim (the whole claim is disclosed for them).
    nested_paths: tuple[str, ...]
    expires_at: datetime | None
    #: ``client_metadata.client_name``: the relying party the verifier says it asks for (it vouches for the name;
    #: only the verifier's address is what the wallet can check), or None.
    relying_party: str | None = None

    @property
    def verifier_origin(self) -> str:
        """Where the answer goes: the origin of ``response_uri``."""
        return origin_of(self.response_uri)

    @property
    def verifier_host(self) -> str:
        return host_of(self.response_uri)

    @property
    def authenticated(self) -> bool:
        """Whether anything vouches for who the verifier is: never, with the ``redirect_uri`` prefix."""
        return False


def parse_authorization_request(text: str) -> tuple[str, str]:
    """``(client_id, request_uri)`` of an ``openid4vp://`` link. Raises :class:`UsageError` ``request.invalid``."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() != SCHEME:
        raise UsageError(
            "this is not a presentation request link",
            code="request.invalid",
            found=text[:80],
            expected=f"{SCHEME}://?client_id=…&request_uri=… (or the path of a picture of its QR code)",
        )
    try:
        values = parse_qs(parts.query, strict_parsing=True, max_num_fields=16)
    except ValueError:
        raise UsageError("the request link's parameters cannot be read", code="request.invalid") from None
    if any(len(items) != 1 for items in values.values()):
        raise UsageError("the request link repeats a parameter", code="request.invalid", found=sorted(values))
    if "request_uri" not in values:
        raise UsageError(
            "the request link has no request_uri; this wallet answers requests passed by reference only",
            code="request.unsupported",
            found=sorted(values),
        )
    if "client_id" not in values:
        raise UsageError("the request link has no client_id", code="request.invalid", found=sorted(values))
    method = values.get("request_uri_method", ["get"])[0]
    if method != "get":
        raise UsageError(
            "the request asks to be fetched with POST, which this wallet does not support",
            code="request.unsupported",
            found=method,
        )
    return values["client_id"][0], values["request_uri"][0]


def _fail(message: str, found: Any = None, expected: Any = None) -> RefusedError:
    return RefusedError(
        f"the presentation request is not acceptable: {message}",
        code="request.invalid",
        found=found,
        expected=expected,
        hint="Nothing was disclosed. Ask the verifier to show a new request.",
    )


def _time(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _fail(f"'{name}' is not a NumericDate", value)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _fail(f"'{name}' is out of range", value) from None


def parse_request_object(token: str, *, client_id: str, request_uri: str, now: datetime) -> PresentationRequest:
    """Check an unsigned Request Object against the link it came from and return the request.

    Raises :class:`RefusedError` ``request.invalid``/``request.unsupported``/``request.expired``.
    """
    token = token.strip()
    if len(token) > _MAX_REQUEST_CHARS:
        raise _fail("it is too large", f"{len(token)} characters", f"<= {_MAX_REQUEST_CHARS}")
    parts = token.split(".")
    if len(parts) != 3:
        raise _fail("it is not a compact JWT", f"{len(parts)} parts", "header.payload.")
    try:
        header = read_object(b64url_decode(parts[0], what="request object header"), what="request object header")
        payload = read_object(b64url_decode(parts[1], what="request object payload"), what="request object payload")
    except TawtiqError as exc:
        if exc.code == "format.too_deep":
            raise _fail(exc.summary, exc.found, exc.expected) from None
        raise _fail(f"its header or payload is not base64url JSON ({exc.summary})", exc.found, exc.expected) from None
    if header.get("typ") != REQUEST_OBJECT_TYPE:
        raise _fail("its 'typ' is wrong", header.get("typ"), REQUEST_OBJECT_TYPE)
    if header.get("alg") != "none" or parts[2] != "":
        # Signed requests need the verifier's certificate or DID to check; this wallet does not do it yet.
        raise RefusedError(
            "the request is signed, which this wallet cannot check yet",
            code="request.unsupported",
            found=header.get("alg"),
            expected="an unsigned request with the redirect_uri client identifier prefix",
        )
    if not client_id.startswith(REDIRECT_URI_PREFIX):
        raise RefusedError(
            "the verifier uses a client identifier this wallet cannot check",
            code="request.unsupported",
            found=client_id.split(":", 1)[0],
            expected="the redirect_uri: prefix",
        )
    if payload.get("client_id") != client_id:
        raise _fail("its client_id differs from the link's", payload.get("client_id"), client_id)
    if payload.get("response_type") != "vp_token":
        raise _fail("its response_type is not vp_token", payload.get("response_type"))
    if payload.get("response_mode") != "direct_post":
        raise RefusedError(
            "the request asks for a response mode this wallet does not support",
            code="request.unsupported",
            found=payload.get("response_mode"),
            expected="direct_post",
        )
    response_uri = check_url(payload.get("response_uri"), what="verifier's response")
    if client_id != REDIRECT_URI_PREFIX + response_uri:
        raise _fail(
            "the answer would go elsewhere than the client_id says",
            response_uri,
            client_id.removeprefix(REDIRECT_URI_PREFIX),
        )
    if "redirect_uri" in payload:
        raise _fail("it has both redirect_uri and response_uri")
    if payload.get("aud", SELF_ISSUED_AUDIENCE) != SELF_ISSUED_AUDIENCE:
        raise _fail("it is addressed to another wallet", payload.get("aud"), SELF_ISSUED_AUDIENCE)
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 256:
        raise _fail("its nonce is missing or not a fresh random value", nonce, "16 to 256 characters")
    state = payload.get("state")
    if state is not None and (not isinstance(state, str) or not state or len(state) > 512):
        raise _fail("its state is malformed", state)
    issued_at, expires_at = _time(payload.get("iat"), "iat"), _time(payload.get("exp"), "exp")
    if issued_at is not None and issued_at > now + _CLOCK_SKEW:
        raise _fail("it is dated in the future", issued_at.isoformat())
    if expires_at is not None and expires_at <= now - _CLOCK_SKEW:
        raise RefusedError(
            "the presentation request has expired",
            code="request.expired",
            found=expires_at.isoformat(),
            hint="Ask the verifier to show a new QR code.",
        )
    _check_formats(payload.get("client_metadata"))
    relying_party = _client_name(payload.get("client_metadata"))
    query_id, claims, nested = _diploma_query(payload.get("dcql_query"))
    return PresentationRequest(
        client_id=client_id,
        request_uri=request_uri,
        response_uri=response_uri,
        nonce=nonce,
        state=state,
        query_id=query_id,
        claims=claims,
        nested_paths=nested,
        expires_at=expires_at,
        relying_party=relying_party,
    )


def _client_name(metadata: Any) -> str | None:
    """``client_metadata.client_name`` as printable text of at most 200 characters (control characters could
    rewrite the terminal), or None. Raises :class:`RefusedError` for a name that is not such text."""
    name = metadata.get("client_name") if isinstance(metadata, Mapping) else None
    if name is None:
        return None
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text or len(text) > _MAX_CLIENT_NAME_CHARS or not text.isprintable():
        raise _fail(
            "its client_metadata.client_name is not a printable name",
            f"{type(name).__name__} of {len(name) if isinstance(name, str) else 0} characters",
            f"1 to {_MAX_CLIENT_NAME_CHARS} printable characters",
        )
    return text


def _check_formats(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, Mapping):
        raise _fail("its client_metadata is not an object")
    formats = metadata.get("vp_formats_supported")
    if formats is None:
        return
    if not isinstance(formats, Mapping) or DC_SD_JWT not in formats:
        raise RefusedError(
            "the verifier does not accept diplomas as SD-JWT VCs",
            code="request.unsupported",
            found=sorted(formats) if isinstance(formats, Mapping) else formats,
            expected=DC_SD_JWT,
        )
    entry = formats[DC_SD_JWT]
    algorithms = entry.get("kb-jwt_alg_values") if isinstance(entry, Mapping) else None
    if isinstance(algorithms, list) and _HOLDER_ALGORITHM not in algorithms:
        raise RefusedError(
            "the verifier does not accept the wallet's key algorithm",
            code="request.unsupported",
            found=algorithms,
            expected=_HOLDER_ALGORITHM,
        )


def _diploma_query(dcql: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The one DCQL credential query for the diploma: its id, the claims asked, paths deeper than a claim."""
    if not isinstance(dcql, Mapping) or not isinstance(dcql.get("credentials"), list) or not dcql["credentials"]:
        raise _fail("it has no DCQL query (dcql_query.credentials)")
    if "credential_sets" in dcql:
        raise RefusedError(
            "the request uses DCQL credential_sets, which this wallet does not support",
            code="request.unsupported",
        )
    queries = dcql["credentials"]
    if len(queries) != 1:
        raise RefusedError(
            "the request asks for several credentials; this wallet holds diplomas only",
            code="request.unsupported",
            found=len(queries),
            expected=1,
        )
    query = queries[0]
    if not isinstance(query, Mapping) or not isinstance(query.get("id"), str) or not query["id"]:
        raise _fail("its credential query has no id")
    if query.get("format") != DC_SD_JWT:
        raise RefusedError(
            "the request asks for a credential format this wallet cannot answer with",
            code="request.unsupported",
            found=query.get("format"),
            expected=DC_SD_JWT,
        )
    meta = query.get("meta")
    vct_values = meta.get("vct_values") if isinstance(meta, Mapping) else None
    if not isinstance(vct_values, list) or schemas.DIPLOMA_VCT not in vct_values:
        raise RefusedError(
            "the request does not ask for the baccalaureate diploma",
            code="request.not_a_diploma",
            found=vct_values,
            expected=schemas.DIPLOMA_VCT,
        )
    if query.get("multiple") is True or "claim_sets" in query or "trusted_authorities" in query:
        raise RefusedError(
            "the request uses DCQL features this wallet does not support (multiple, claim_sets, trusted_authorities)",
            code="request.unsupported",
        )
    claims: list[str] = []
    nested: list[str] = []
    unknown: list[str] = []
    for item in query.get("claims", []) or []:
        path = item.get("path") if isinstance(item, Mapping) else None
        if not isinstance(path, list) or not path or not isinstance(path[0], str):
            raise _fail("a requested claim has no usable path", item)
        name = path[0]
        if name in ALWAYS_VISIBLE:
            continue
        if name not in schemas.SUBJECT_CLAIMS:
            unknown.append(".".join(str(part) for part in path))
            continue
        if len(path) > 1:
            nested.append(".".join(str(part) for part in path))
        if name not in claims:
            claims.append(name)
    if unknown:
        raise RefusedError(
            "the request asks for claims a diploma does not have",
            code="request.claims_unknown",
            found=unknown,
            expected=list(schemas.SUBJECT_CLAIMS),
        )
    return query["id"], tuple(claims), tuple(nested)


def fetch_request(http: Http, link: str, *, now: datetime) -> PresentationRequest:
    """Fetch and check the request behind an ``openid4vp://`` link."""
    client_id, request_uri = parse_authorization_request(link)
    check_url(request_uri, what="presentation request")
    answer = http.get(request_uri, what="verifier's request", accept="application/oauth-authz-req+jwt")
    if answer.status in (404, 410):
        raise RefusedError(
            "the verifier no longer has this request (it expired or was already answered)",
            code="request.expired",
            hint="Ask the verifier to show a new QR code.",
        )
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with the request object")
    if answer.content_type != "application/oauth-authz-req+jwt":
        raise _fail("it is not served as a request object", answer.content_type, "application/oauth-authz-req+jwt")
    return parse_request_object(answer.text, client_id=client_id, request_uri=request_uri, now=now)


def respond(http: Http, request: PresentationRequest, presentation: str) -> None:
    """POST the presentation to ``response_uri``. Raises :class:`RefusedError` when the verifier refuses it."""
    form = {"vp_token": json.dumps({request.query_id: [presentation]}, separators=(",", ":"))}
    if request.state is not None:
        form["state"] = request.state
    _post(http, request, form)


def decline(http: Http, request: PresentationRequest) -> None:
    """Tell the verifier the holder declined (``error=access_denied``)."""
    form = {"error": "access_denied", "error_description": "the holder declined"}
    if request.state is not None:
        form["state"] = request.state
    _post(http, request, form)


def _post(http: Http, request: PresentationRequest, form: dict[str, str]) -> None:
    answer = http.post_form(request.response_uri, form, what="verifier")
    if answer.status == 200:
        return
    if answer.status == 400:
        _error, description = answer.oauth_error()
        raise RefusedError(
            f"the verifier did not accept the answer: {description or 'invalid request'}",
            code="request.answer_refused",
        )
    raise unexpected(answer, expected="HTTP 200")
