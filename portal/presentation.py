"""Answering a verifier's OpenID4VP 1.0 request from the copy the ministry holds for the graduate (same device: the
graduate pastes the ``openid4vp://`` link the verifier's page shows on their phone).

The portal plays the wallet's part of :mod:`verifier.oid4vp`'s protocol, over HTTP with the bounded fetcher:

1. ``openid4vp://?client_id=…&request_uri=…`` (or ``request=…`` by value) is read; the Request Object is fetched
   (``GET``; ``POST`` with the wallet's metadata and a fresh ``wallet_nonce`` when the link asks for it).
2. The Request Object is checked (§5, §5.9.3, §5.10): ``typ``; with ``x509_hash:`` / ``x509_san_dns:`` a signature
   by the leaf of an ``x5c`` chain valid for a verifier's access up to a registrar of ``TAWTIQ_PORTAL_REGISTRARS_FILE``
   (the leaf's hash or DNS name is the client id, and the answer goes to a host it names); with ``redirect_uri:``
   an unsigned request whose ``response_uri`` is the client id's (a verifier no registrar vouches for, said so on
   the page); ``response_type=vp_token``, ``response_mode=direct_post``, the audience, a fresh nonce, dates, and a
   DCQL query this portal can answer: one ``dc+sd-jwt`` diploma query naming top-level diploma claims.
3. The graduate reviews who asks and what (a page); on their command (a CSRF-checked form) the request is fetched
   and checked again, a ``dc+sd-jwt`` copy is signed to the held key, and the presentation of exactly the claims
   asked, with a KB-JWT for the client id and nonce, is posted to ``response_uri``; declining posts
   ``error=access_denied``. The verifier's outcome, read from its ``redirect_uri`` on its own origin, is shown.

A server fetching URLs a browser names must not reach its own network: off development (a portal served on a
loopback host), every URL must be https (the fetcher refuses credentials in URLs and redirects).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import schemas
from common.fetch import FetchError, UrlRefusedError, same_origin
from issuer.db import writing
from issuer.issuance import sign_copies
from issuer.models import Diploma
from keys.x509 import (
    VERIFIER_ACCESS,
    CertificateError,
    certificate_hash,
    chain_from_x5c,
    dns_names,
    load_trust_anchors,
    validate_chain,
)
from portal.diploma import CUSTODY_CHANNEL, DiplomaDesk, VerifierUnavailableError
from portal.errors import RequestError
from vc import Profile, PublicKey, present
from vc.encoding import b64url_decode, json_object
from vc.errors import TawtiqError
from vc.jose import parse_compact
from vc.urls import is_loopback_host

SCHEME: Final = "openid4vp"
REDIRECT_URI_PREFIX: Final = "redirect_uri:"
X509_HASH: Final = "x509_hash"
X509_SAN_DNS: Final = "x509_san_dns"
REQUEST_OBJECT_TYPE: Final = "oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
REQUEST_ALGORITHMS: Final = ("ES256", "ES384", "ES512")
DC_SD_JWT: Final = "dc+sd-jwt"
WALLET_METADATA: Final = {
    "issuer": SELF_ISSUED_AUDIENCE,
    "authorization_endpoint": f"{SCHEME}:",
    "response_types_supported": ["vp_token"],
    "response_modes_supported": ["direct_post"],
    "vp_formats_supported": {DC_SD_JWT: {"sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"]}},
    "client_id_prefixes_supported": [X509_HASH, X509_SAN_DNS, "redirect_uri"],
    "request_object_signing_alg_values_supported": list(REQUEST_ALGORITHMS),
}
_MAX_LINK_CHARS: Final = 8 * 1024
_MAX_REQUEST_BYTES: Final = 64 * 1024
_CLOCK_SKEW: Final = timedelta(seconds=60)


class PresentationRequestError(RequestError):
    """A request link or Request Object this portal does not answer (400): malformed, expired, unsigned where it
    must be signed, signed by a verifier no registrar vouches for, or asking for something no diploma holds."""

    default_code = "presentation.invalid"


def _refuse(message: str, *, code: str = "presentation.invalid", found: Any = None, expected: Any = None) -> Exception:
    return PresentationRequestError(
        f"the verifier's request is not acceptable: {message}", code=code, found=found, expected=expected
    )


@dataclass(frozen=True)
class PresentationRequest:
    """A checked request for the diploma: who asks, for what, and where the answer goes."""

    client_id: str
    response_uri: str
    nonce: str
    state: str | None
    query_id: str
    claims: tuple[str, ...]
    expires_at: datetime | None
    #: The verifier's name as its registrar certified it, and the registrar; None for ``redirect_uri:``.
    certified_name: str | None
    registrar: str | None
    #: ``client_metadata.client_name`` (the relying party the verifier says it asks for), or None.
    relying_party: str | None

    @property
    def verifier_host(self) -> str:
        return (urlsplit(self.response_uri).hostname or "").lower()


@dataclass(frozen=True)
class Answered:
    """What the verifier said: its verdict when it shows one on its own origin."""

    verifier_host: str
    verdict: str | None


class Responder:
    """Reads, checks and answers requests for one portal (its desk, its trust anchors, its development mode)."""

    def __init__(self, desk: DiplomaDesk) -> None:
        self._desk = desk
        host = urlsplit(desk.settings.public_url).hostname or ""
        self._development = urlsplit(desk.settings.public_url).scheme == "http" and is_loopback_host(host)

    def _anchors(self) -> tuple[x509.Certificate, ...]:
        path = self._desk.settings.registrars_file
        return () if path is None else load_trust_anchors(path)

    def _check_url(self, value: object, *, what: str) -> str:
        if not isinstance(value, str) or not value:
            raise _refuse(f"its {what} is missing", found=type(value).__name__, expected="an https URL")
        parts = urlsplit(value)
        if parts.scheme != "https" and not self._development:
            raise _refuse(f"its {what} is not https", found=value[:120], expected="an https URL")
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
            raise _refuse(f"its {what} is not a URL this portal fetches", found=value[:120], expected="an https URL")
        return value

    # -- 1. the link and the Request Object

    def fetch(self, link: str, *, now: datetime) -> PresentationRequest:
        """The checked request behind ``link``. Raises :class:`PresentationRequestError` (``presentation.*``) and
        :class:`VerifierUnavailableError`."""
        text = link.strip()
        parts = urlsplit(text)
        if len(text) > _MAX_LINK_CHARS or parts.scheme.lower() != SCHEME:
            raise _refuse(
                "this is not a presentation request link",
                code="presentation.link",
                found=text[:60],
                expected=f"{SCHEME}://?client_id=…&request_uri=…",
            )
        try:
            values = parse_qs(parts.query, strict_parsing=True, max_num_fields=16)
        except ValueError:
            raise _refuse("the link's parameters cannot be read", code="presentation.link") from None
        if any(len(items) != 1 for items in values.values()) or "client_id" not in values:
            raise _refuse("the link repeats a parameter or has no client_id", code="presentation.link")
        if ("request_uri" in values) == ("request" in values):
            raise _refuse("the link must carry request_uri or request", code="presentation.link", found=sorted(values))
        client_id = values["client_id"][0]
        if "request" in values:
            return self._check(values["request"][0], client_id=client_id, now=now, wallet_nonce=None)
        request_uri = self._check_url(values["request_uri"][0], what="request_uri")
        method = values.get("request_uri_method", ["get"])[0]
        wallet_nonce: str | None = None
        headers = {"Accept": f"application/{REQUEST_OBJECT_TYPE}"}
        body: bytes | None = None
        if method == "post":
            wallet_nonce = secrets.token_urlsafe(16)
            body = urlencode(
                {"wallet_metadata": json.dumps(WALLET_METADATA, separators=(",", ":")), "wallet_nonce": wallet_nonce}
            ).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif method != "get":
            raise _refuse("its request_uri_method is neither get nor post", code="presentation.link", found=method)
        try:
            response = self._desk.fetcher.fetch(
                request_uri, max_bytes=_MAX_REQUEST_BYTES, method=method.upper(), headers=headers, body=body
            )
        except (FetchError, UrlRefusedError) as exc:
            raise VerifierUnavailableError(
                "the verifier cannot be reached", found=f"[{exc.code}] {exc.summary}"[:200], expected=request_uri
            ) from exc
        if response.status in (404, 410):
            raise _refuse("the verifier no longer has this request", code="presentation.expired")
        if response.status != 200 or response.content_type != f"application/{REQUEST_OBJECT_TYPE}":
            raise _refuse(
                "the verifier did not answer with a Request Object",
                found=f"HTTP {response.status} {response.content_type}",
                expected=f"HTTP 200 application/{REQUEST_OBJECT_TYPE}",
            )
        return self._check(
            response.body.decode("ascii", "replace"), client_id=client_id, now=now, wallet_nonce=wallet_nonce
        )

    # -- 2. the checks

    def _check(self, token: str, *, client_id: str, now: datetime, wallet_nonce: str | None) -> PresentationRequest:
        parts = token.strip().split(".")
        if len(parts) != 3:
            raise _refuse("it is not a compact JWT", found=f"{len(parts)} parts")
        try:
            header = json_object(b64url_decode(parts[0], what="request header"), what="request header")
            payload = json_object(b64url_decode(parts[1], what="request payload"), what="request payload")
        except TawtiqError as exc:
            raise _refuse(f"its header or payload is not base64url JSON ({exc.summary})") from None
        if header.get("typ") != REQUEST_OBJECT_TYPE:
            raise _refuse("its 'typ' is wrong", found=header.get("typ"), expected=REQUEST_OBJECT_TYPE)
        prefix, _, value = client_id.partition(":")
        certified_name: str | None = None
        registrar: str | None = None
        certified_hosts: tuple[str, ...] | None = None
        if prefix in (X509_HASH, X509_SAN_DNS):
            certified_name, registrar, certified_hosts = self._check_signed(
                token.strip(), header, prefix=prefix, value=value, now=now
            )
        elif client_id.startswith(REDIRECT_URI_PREFIX):
            if header.get("alg") != "none" or parts[2] != "":
                raise _refuse("a request with the redirect_uri prefix cannot be signed", found=header.get("alg"))
        else:
            raise _refuse(
                "the verifier uses a client identifier this portal cannot check",
                code="presentation.unsupported",
                found=prefix[:40],
                expected="x509_hash:, x509_san_dns: or redirect_uri:",
            )
        if payload.get("client_id") != client_id:
            raise _refuse("its client_id differs from the link's", found=str(payload.get("client_id"))[:120])
        if wallet_nonce is not None and payload.get("wallet_nonce") != wallet_nonce:
            raise _refuse("it does not carry the nonce the portal sent (a replay?)", code="presentation.wallet_nonce")
        if payload.get("response_type") != "vp_token" or payload.get("response_mode") != "direct_post":
            raise _refuse(
                "it asks for an answer this portal does not give",
                code="presentation.unsupported",
                found=f"{payload.get('response_type')} / {payload.get('response_mode')}",
                expected="vp_token / direct_post",
            )
        response_uri = self._check_url(payload.get("response_uri"), what="response_uri")
        host = (urlsplit(response_uri).hostname or "").lower()
        if certified_hosts is None and client_id != REDIRECT_URI_PREFIX + response_uri:
            raise _refuse("the answer would go elsewhere than the client_id says", found=response_uri[:120])
        if certified_hosts is not None and host not in certified_hosts:
            raise _refuse(
                "the answer would go to a host the verifier's certificate does not name",
                found=host,
                expected=list(certified_hosts),
            )
        if payload.get("aud", SELF_ISSUED_AUDIENCE) != SELF_ISSUED_AUDIENCE:
            raise _refuse("it is addressed to another wallet", found=payload.get("aud"))
        nonce, state = payload.get("nonce"), payload.get("state")
        if not isinstance(nonce, str) or not 16 <= len(nonce) <= 256:
            raise _refuse("its nonce is missing or not a fresh random value")
        if state is not None and (not isinstance(state, str) or not 0 < len(state) <= 512):
            raise _refuse("its state is malformed")
        expires_at = _time(payload.get("exp"))
        if expires_at is not None and expires_at <= now - _CLOCK_SKEW:
            raise _refuse("it has expired", code="presentation.expired", found=expires_at.isoformat())
        query_id, claims = _diploma_query(payload.get("dcql_query"))
        return PresentationRequest(
            client_id=client_id,
            response_uri=response_uri,
            nonce=nonce,
            state=state,
            query_id=query_id,
            claims=claims,
            expires_at=expires_at,
            certified_name=certified_name,
            registrar=registrar,
            relying_party=_client_name(payload.get("client_metadata")),
        )

    def _check_signed(
        self, token: str, header: Mapping[str, Any], *, prefix: str, value: str, now: datetime
    ) -> tuple[str, str, tuple[str, ...]]:
        algorithm = header.get("alg")
        if algorithm not in REQUEST_ALGORITHMS or "crit" in header:
            raise _refuse("it is not signed as a certified verifier's request must be", found=algorithm)
        anchors = self._anchors()
        if not anchors:
            raise _refuse(
                "the portal knows no registrar to check the verifier's certificate with",
                code="presentation.registrars_unset",
                found="TAWTIQ_PORTAL_REGISTRARS_FILE unset",
                expected="the registrars' CA certificates (PEM)",
            )
        try:
            validated = validate_chain(
                chain_from_x5c(header.get("x5c")),
                anchors=anchors,
                profile=VERIFIER_ACCESS,
                now=now,
                dns_name=value if prefix == X509_SAN_DNS else None,
            )
        except CertificateError as exc:
            raise _refuse(f"the verifier's certificate is not acceptable: {exc.summary}", code=exc.code) from None
        leaf = validated.leaf
        if prefix == X509_HASH and certificate_hash(leaf) != value:
            raise _refuse("the client_id is not the hash of the verifier's certificate", found=value[:80])
        public = leaf.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise _refuse("the verifier's certificate key is not an EC key", found=type(public).__name__)
        try:
            jws = parse_compact(token, what="request object")
            PublicKey.from_key(public).verify(
                algorithm=str(algorithm), message=jws.signing_input, signature=jws.signature
            )
        except TawtiqError as exc:
            raise _refuse(
                "its signature does not verify with the verifier's certificate",
                code="presentation.signature",
                found=exc.summary,
            ) from None
        hosts = (value.lower(),) if prefix == X509_SAN_DNS else tuple(name.lower() for name in dns_names(leaf))
        return validated.subject_name or leaf.subject.rfc4514_string(), validated.anchor_name, hosts

    # -- 3. the answer

    def answer(self, record: Diploma, request: PresentationRequest, *, now: datetime) -> Answered:
        """Present the claims ``request`` asks for from a ``dc+sd-jwt`` copy bound to the held key, post it, and read
        the verifier's outcome. Raises what :meth:`DiplomaDesk.held_copy` raises, :class:`PresentationRequestError`
        ``presentation.answer_refused`` and :class:`VerifierUnavailableError`."""
        desk = self._desk
        key, _copy = desk.held_copy(record, now=now)
        with writing(desk.engine) as db:
            fresh = db.get(Diploma, record.id)
            assert fresh is not None
            (copy,) = sign_copies(
                db,
                diploma=fresh,
                profile=Profile.DC_SD_JWT,
                holders=[key.public],
                channel=CUSTODY_CHANNEL,
                actor="portal:graduate",
                settings=desk.issuer,
                keyring=desk.keyring,
                now=now,
            )
        presentation = present(
            copy.credential,
            disclose=[[name] for name in request.claims],
            key=key,
            audience=request.client_id,
            nonce=request.nonce,
            now=now,
        )
        form = {"vp_token": json.dumps({request.query_id: [presentation]}, separators=(",", ":"))}
        return self._post(request, form)

    def decline(self, request: PresentationRequest) -> Answered:
        """Tell the verifier the graduate declined."""
        return self._post(request, {"error": "access_denied", "error_description": "the holder declined"})

    def _post(self, request: PresentationRequest, form: dict[str, str]) -> Answered:
        if request.state is not None:
            form["state"] = request.state
        status, document = self._call("POST", request.response_uri, body=urlencode(form).encode("ascii"))
        if status == 400:
            raise _refuse(
                "the verifier did not accept the answer",
                code="presentation.answer_refused",
                found=str(document.get("error_description") or document.get("error") or "")[:200],
            )
        if status != 200:
            raise VerifierUnavailableError(
                "the verifier did not take the answer", found=f"HTTP {status}", expected="HTTP 200"
            )
        redirect = document.get("redirect_uri")
        verdict: str | None = None
        if isinstance(redirect, str) and same_origin(redirect, request.response_uri):
            try:
                outcome_status, outcome = self._call("GET", redirect)
            except VerifierUnavailableError:
                outcome_status, outcome = 0, {}
            found = outcome.get("verdict")
            verdict = found if outcome_status == 200 and isinstance(found, str) else None
        return Answered(verifier_host=request.verifier_host, verdict=verdict)

    def _call(self, method: str, url: str, *, body: bytes | None = None) -> tuple[int, Mapping[str, Any]]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = self._desk.fetcher.fetch(
                url, max_bytes=_MAX_REQUEST_BYTES, method=method, headers=headers, body=body
            )
        except (FetchError, UrlRefusedError) as exc:
            raise VerifierUnavailableError(
                "the verifier cannot be reached", found=f"[{exc.code}] {exc.summary}"[:200], expected=url
            ) from exc
        try:
            document = json.loads(response.body) if response.body else {}
        except ValueError:
            document = {}
        return response.status, document if isinstance(document, dict) else {}


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _refuse("'exp' is not a NumericDate", found=str(value)[:40])
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _refuse("'exp' is out of range") from None


def _diploma_query(value: object) -> tuple[str, tuple[str, ...]]:
    """The one DCQL credential query for the diploma and the top-level claims it names (§6)."""
    if not isinstance(value, Mapping) or set(value) - {"credentials"}:
        raise _refuse(
            "its DCQL query is not one this portal answers",
            code="presentation.unsupported",
            expected="a 'credentials' list only (no credential_sets)",
        )
    credentials = value.get("credentials")
    if not isinstance(credentials, list) or len(credentials) != 1 or not isinstance(credentials[0], Mapping):
        raise _refuse("it must ask for exactly one credential", code="presentation.unsupported")
    query = credentials[0]
    query_id = query.get("id")
    meta = query.get("meta")
    vct_values = meta.get("vct_values") if isinstance(meta, Mapping) else None
    if (
        not isinstance(query_id, str)
        or not 0 < len(query_id) <= 64
        or query.get("format") != DC_SD_JWT
        or not isinstance(vct_values, list)
        or schemas.DIPLOMA_VCT not in vct_values
        or set(query) - {"id", "format", "meta", "claims"}
    ):
        raise _refuse(
            "it does not ask for the baccalaureate diploma as an SD-JWT VC",
            code="presentation.unsupported",
            expected=f"format {DC_SD_JWT}, vct {schemas.DIPLOMA_VCT}",
        )
    claims = query.get("claims")
    if not isinstance(claims, list) or not claims:
        raise _refuse("it names no claim", code="presentation.unsupported")
    names: list[str] = []
    for claim in claims:
        path = claim.get("path") if isinstance(claim, Mapping) else None
        if (
            not isinstance(path, list)
            or len(path) != 1
            or path[0] not in schemas.SUBJECT_CLAIMS
            or set(claim) - {"id", "path"}
        ):
            raise _refuse(
                "it asks for a claim the diploma does not have",
                code="presentation.unsupported",
                found=str(path)[:80],
                expected=", ".join(schemas.SUBJECT_CLAIMS),
            )
        if path[0] not in names:
            names.append(path[0])
    return query_id, tuple(names)


def _client_name(metadata: object) -> str | None:
    name = metadata.get("client_name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str):
        return None
    text = " ".join(name.split())
    return text if text and len(text) <= 200 and text.isprintable() else None
