"""Answering a verifier: OpenID for Verifiable Presentations 1.0, ``direct_post``, cross-device or same-device.

The verifier shows an ``openid4vp://`` link (or its QR code) carrying its ``client_id`` and the Request Object by
reference (``request_uri``, fetched with GET, or with POST when ``request_uri_method=post``: the wallet then sends
its ``wallet_metadata`` and a fresh ``wallet_nonce`` that the signed answer must carry) or by value (``request``).
The wallet checks the Request Object according to the Client Identifier Prefix (§5.9.3):

* ``x509_hash:<hash>`` and ``x509_san_dns:<host>`` — the Request Object must be a JWS (ES256/384/512, ``typ``
  ``oauth-authz-req+jwt``) whose ``x5c`` chain validates against the wallet's trust anchors (registrars' CA
  certificates, :mod:`wallet_cli.registrars`) as a verifier access certificate, signed with the leaf's key; for
  ``x509_hash`` the hash is the base64url SHA-256 of the DER leaf, for ``x509_san_dns`` the host is a dNSName of the
  leaf; for both the ``response_uri`` host must be one the certificate names (for ``x509_san_dns``, that host). The
  verifier is then shown by its certified name and its registrar.
* ``redirect_uri:<response_uri>`` — an unsigned JWT (``alg: none``), never evidence of who the verifier is, only of
  where the answer goes (``response_uri`` must equal the ``client_id`` after its prefix).

The DCQL query is answered with the diploma as an SD-JWT VC (:mod:`wallet_cli.dcql`: ``credential_sets`` and
``claim_sets`` honoured, the first satisfiable option chosen); the holder chooses which of the requested claims to
disclose; the answer is ``vp_token={"<query id>": ["<SD-JWT>~…~<KB-JWT>"], …}&state=…`` with a KB-JWT whose
``aud`` is the full ``client_id`` and ``nonce`` the request's. ``error=access_denied`` declines. The verifier's
answer may carry a ``redirect_uri`` (§8.2): the wallet reads the verdict there when it is on the verifier's origin.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import schemas
from common.fetch import same_origin
from keys.x509 import VERIFIER_ACCESS, CertificateError, certificate_hash, chain_from_x5c, dns_names, validate_chain
from vc import TawtiqError
from vc.encoding import b64url_decode
from vc.jose import PublicKey, parse_compact
from wallet_cli.dcql import DcqlQuery, Selection, parse_dcql, select
from wallet_cli.documents import read_object
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.model import DC_SD_JWT
from wallet_cli.net import Answer, Http, check_url, host_of, origin_of, unexpected

SCHEME: Final = "openid4vp"
REDIRECT_URI_PREFIX: Final = "redirect_uri:"
X509_HASH: Final = "x509_hash"
X509_SAN_DNS: Final = "x509_san_dns"
REQUEST_OBJECT_TYPE: Final = "oauth-authz-req+jwt"
REQUEST_OBJECT_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
#: Algorithms a signed Request Object may use.
REQUEST_ALGORITHMS: Final = ("ES256", "ES384", "ES512")
#: What this wallet tells a verifier about itself when it POSTs to a request_uri (§5.10.1, §10).
WALLET_METADATA: Final = {
    "issuer": SELF_ISSUED_AUDIENCE,
    "authorization_endpoint": f"{SCHEME}:",
    "response_types_supported": ["vp_token"],
    "response_modes_supported": ["direct_post"],
    "vp_formats_supported": {
        DC_SD_JWT: {"sd-jwt_alg_values": ["ES256", "ES384", "ES512"], "kb-jwt_alg_values": ["ES256"]}
    },
    "client_id_prefixes_supported": [X509_HASH, X509_SAN_DNS, "redirect_uri"],
    "request_object_signing_alg_values_supported": list(REQUEST_ALGORITHMS),
}
_MAX_REQUEST_CHARS: Final = 64 * 1024
_CLOCK_SKEW: Final = timedelta(seconds=60)
_HOLDER_ALGORITHM: Final = "ES256"
_MAX_CLIENT_NAME_CHARS: Final = 200
_REFUSED_HINT: Final = "Nothing was disclosed. Ask the verifier to show a new request."


@dataclass(frozen=True)
class Certified:
    """Who a registrar certified the verifier to be."""

    name: str
    registrar: str
    prefix: str


@dataclass(frozen=True)
class PresentationRequest:
    """A checked OpenID4VP request for the diploma."""

    client_id: str
    request_uri: str | None
    response_uri: str
    nonce: str
    state: str | None
    dcql: DcqlQuery
    expires_at: datetime | None
    #: ``client_metadata.client_name``: the relying party the verifier says it asks for (the verifier vouches for
    #: the name), or None.
    relying_party: str | None = None
    #: The certified identity, for a request signed under an x509 prefix; None for ``redirect_uri:``.
    certified: Certified | None = None

    @property
    def verifier_origin(self) -> str:
        """Where the answer goes: the origin of ``response_uri``."""
        return origin_of(self.response_uri)

    @property
    def verifier_host(self) -> str:
        return host_of(self.response_uri)

    @property
    def authenticated(self) -> bool:
        """Whether a registrar the wallet trusts vouches for who the verifier is."""
        return self.certified is not None

    def selection(self, available: Collection[str] | None = None) -> Selection:
        """What to send from a diploma with the claims ``available`` (by default: any diploma's claims)."""
        return select(self.dcql, available=available if available is not None else schemas.SUBJECT_CLAIMS)


@dataclass(frozen=True)
class AuthorizationLink:
    """The parameters of an ``openid4vp://`` link: ``client_id`` and the request by reference or by value."""

    client_id: str
    request_uri: str | None = None
    request_uri_method: str = "get"
    request: str | None = None


def parse_authorization_request(text: str) -> AuthorizationLink:
    """The parameters of an ``openid4vp://`` link. Raises :class:`UsageError` ``request.invalid``/``unsupported``."""
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
    if "client_id" not in values:
        raise UsageError("the request link has no client_id", code="request.invalid", found=sorted(values))
    if ("request_uri" in values) == ("request" in values):
        raise UsageError(
            "the request link has no request_uri nor request, or both: it must carry the request by reference "
            "(request_uri) or by value (request)",
            code="request.unsupported",
            found=sorted(values),
            expected="request_uri or request (a signed or unsigned Request Object)",
        )
    method = values.get("request_uri_method", ["get"])[0]
    if method not in ("get", "post"):
        raise UsageError(
            "the request link's request_uri_method is neither get nor post", code="request.invalid", found=method
        )
    return AuthorizationLink(
        client_id=values["client_id"][0],
        request_uri=values["request_uri"][0] if "request_uri" in values else None,
        request_uri_method=method,
        request=values["request"][0] if "request" in values else None,
    )


def _fail(message: str, found: Any = None, expected: Any = None) -> RefusedError:
    return RefusedError(
        f"the presentation request is not acceptable: {message}",
        code="request.invalid",
        found=found,
        expected=expected,
        hint=_REFUSED_HINT,
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


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, payload and signature part of a compact JWT, read strictly (bounded size and depth)."""
    if len(token) > _MAX_REQUEST_CHARS:
        raise _fail("it is too large", f"{len(token)} characters", f"<= {_MAX_REQUEST_CHARS}")
    parts = token.split(".")
    if len(parts) != 3:
        raise _fail("it is not a compact JWT", f"{len(parts)} parts", "header.payload.signature")
    try:
        header = read_object(b64url_decode(parts[0], what="request object header"), what="request object header")
        payload = read_object(b64url_decode(parts[1], what="request object payload"), what="request object payload")
    except TawtiqError as exc:
        if exc.code == "format.too_deep":
            raise _fail(exc.summary, exc.found, exc.expected) from None
        raise _fail(f"its header or payload is not base64url JSON ({exc.summary})", exc.found, exc.expected) from None
    return header, payload, parts[2]


def _certificate_refusal(exc: CertificateError) -> RefusedError:
    return RefusedError(
        f"the verifier's certificate is not acceptable: {exc.summary}",
        code=exc.code,
        found=exc.found,
        expected=exc.expected,
        hint="Nothing was disclosed. The verifier is not who it claims to be, or its certificate is out of date; "
        "do not answer it.",
    )


def _check_signed(
    token: str,
    header: Mapping[str, Any],
    *,
    prefix: str,
    value: str,
    anchors: tuple[x509.Certificate, ...],
    now: datetime,
) -> tuple[x509.Certificate, Certified]:
    """(§5.9.3) Validate the ``x5c`` chain for ``prefix``, then the signature with the leaf's key; return the leaf."""
    # (1) The algorithm: asymmetric, one we verify.
    algorithm = header.get("alg")
    if algorithm not in REQUEST_ALGORITHMS:
        raise RefusedError(
            "the request is signed with an algorithm this wallet does not accept",
            code="request.alg_refused",
            found=algorithm,
            expected=list(REQUEST_ALGORITHMS),
            hint=_REFUSED_HINT,
        )
    if "crit" in header:
        raise _fail("it has critical header extensions", header["crit"], "no 'crit' header")
    # (2) The certificate chain against the trust anchors, for a verifier's access.
    try:
        chain = chain_from_x5c(header.get("x5c"))
        validated = validate_chain(
            chain,
            anchors=anchors,
            profile=VERIFIER_ACCESS,
            now=now,
            dns_name=value if prefix == X509_SAN_DNS else None,
        )
    except CertificateError as exc:
        raise _certificate_refusal(exc) from None
    leaf = validated.leaf
    # (3) For x509_hash, the client_id is the leaf's hash.
    if prefix == X509_HASH and certificate_hash(leaf) != value:
        raise RefusedError(
            "the verifier's client_id is not the hash of the certificate it presents",
            code="request.client_id_mismatch",
            found=value,
            expected=certificate_hash(leaf),
            hint=_REFUSED_HINT,
        )
    # (4) The signature, with the certified key.
    public = leaf.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise _certificate_refusal(
            CertificateError(
                "the certificate's key is not an EC key", code="x509.key_unsupported", found=type(public).__name__
            )
        )
    try:
        jws = parse_compact(token, what="request object")
        PublicKey.from_key(public).verify(algorithm=str(algorithm), message=jws.signing_input, signature=jws.signature)
    except TawtiqError as exc:  # a malformed JWS or a signature that does not verify
        raise RefusedError(
            "the request's signature does not verify with the verifier's certificate",
            code="request.signature_invalid",
            found=exc.summary,
            hint=_REFUSED_HINT,
        ) from None
    name = validated.subject_name or leaf.subject.rfc4514_string()
    return leaf, Certified(name=name, registrar=validated.anchor_name, prefix=prefix)


def parse_request_object(
    token: str,
    *,
    client_id: str,
    request_uri: str | None,
    now: datetime,
    anchors: tuple[x509.Certificate, ...] = (),
    wallet_nonce: str | None = None,
) -> PresentationRequest:
    """Check a Request Object against the link it came from (see the module docstring) and return the request.

    Raises :class:`RefusedError`: ``request.invalid``, ``request.unsupported``, ``request.expired``,
    ``request.unsigned``, ``request.alg_refused``, ``request.signature_invalid``, ``request.client_id_mismatch``,
    ``request.wallet_nonce``, the ``x509.*`` codes of :func:`keys.x509.validate_chain`, and those of
    :mod:`wallet_cli.dcql`.
    """
    header, payload, signature = _decode(token.strip())
    if "typ" not in header:
        raise _fail("its header has no 'typ'", sorted(header), REQUEST_OBJECT_TYPE)
    if header.get("typ") != REQUEST_OBJECT_TYPE:
        raise _fail("its 'typ' is wrong", header.get("typ"), REQUEST_OBJECT_TYPE)
    prefix, _, value = client_id.partition(":")
    unsigned = header.get("alg") == "none"
    certified: Certified | None = None
    leaf: x509.Certificate | None = None
    if prefix in (X509_HASH, X509_SAN_DNS):
        if unsigned or not signature:
            raise RefusedError(
                f"the verifier names itself with the {prefix} prefix but did not sign its request",
                code="request.unsigned",
                found=f"alg {header.get('alg')!r}",
                expected=f"a request signed with the key of its certificate ({', '.join(REQUEST_ALGORITHMS)})",
                hint=_REFUSED_HINT,
            )
        leaf, certified = _check_signed(token.strip(), header, prefix=prefix, value=value, anchors=anchors, now=now)
    elif client_id.startswith(REDIRECT_URI_PREFIX):
        if not unsigned or signature != "":
            raise RefusedError(
                "a request with the redirect_uri prefix cannot be signed (OpenID4VP 1.0 §5.9.3)",
                code="request.unsupported",
                found=header.get("alg"),
                expected="an unsigned request (alg none) with the redirect_uri: prefix",
                hint=_REFUSED_HINT,
            )
    else:
        raise RefusedError(
            "the verifier uses a client identifier this wallet cannot check",
            code="request.unsupported",
            found=prefix,
            expected="the x509_hash:, x509_san_dns: or redirect_uri: prefix",
        )
    if payload.get("client_id") != client_id:
        raise _fail("its client_id differs from the link's", payload.get("client_id"), client_id)
    if wallet_nonce is not None and payload.get("wallet_nonce") != wallet_nonce:
        raise RefusedError(
            "the request does not carry the nonce this wallet sent; it may be a replay",
            code="request.wallet_nonce",
            found=payload.get("wallet_nonce"),
            expected="the wallet_nonce of this retrieval",
            hint=_REFUSED_HINT,
        )
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
    if certified is None and client_id != REDIRECT_URI_PREFIX + response_uri:
        raise _fail(
            "the answer would go elsewhere than the client_id says",
            response_uri,
            client_id.removeprefix(REDIRECT_URI_PREFIX),
        )
    if leaf is not None:
        answer_host = (urlsplit(response_uri).hostname or "").lower()
        certified_hosts = [value.lower()] if prefix == X509_SAN_DNS else list(dns_names(leaf))
        if answer_host not in certified_hosts:
            raise RefusedError(
                "the answer would go to a host the verifier's certificate does not name",
                code="request.response_uri_mismatch",
                found=answer_host,
                expected=certified_hosts or "a certificate naming the response_uri host",
                hint=_REFUSED_HINT,
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
    dcql = parse_dcql(payload.get("dcql_query"))
    request = PresentationRequest(
        client_id=client_id,
        request_uri=request_uri,
        response_uri=response_uri,
        nonce=nonce,
        state=state,
        dcql=dcql,
        expires_at=expires_at,
        relying_party=relying_party,
        certified=certified,
    )
    request.selection()  # refuse now what no diploma could answer
    return request


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


def fetch_request(
    http: Http, link: str, *, now: datetime, anchors: tuple[x509.Certificate, ...] = ()
) -> PresentationRequest:
    """The checked request behind an ``openid4vp://`` link: by value, or fetched by reference (GET, or POST with
    the wallet's metadata and a fresh ``wallet_nonce`` when the link asks for ``request_uri_method=post``)."""
    parameters = parse_authorization_request(link)
    if parameters.request is not None:
        return parse_request_object(
            parameters.request, client_id=parameters.client_id, request_uri=None, now=now, anchors=anchors
        )
    assert parameters.request_uri is not None
    request_uri = check_url(parameters.request_uri, what="presentation request")
    wallet_nonce: str | None = None
    if parameters.request_uri_method == "post":
        wallet_nonce = secrets.token_urlsafe(16)
        answer = http.post_form(
            request_uri,
            {"wallet_metadata": json.dumps(WALLET_METADATA, separators=(",", ":")), "wallet_nonce": wallet_nonce},
            what="verifier's request",
            headers={"Accept": REQUEST_OBJECT_MEDIA_TYPE},
        )
    else:
        answer = http.get(request_uri, what="verifier's request", accept=REQUEST_OBJECT_MEDIA_TYPE)
    if answer.status in (404, 410):
        raise RefusedError(
            "the verifier no longer has this request (it expired or was already answered)",
            code="request.expired",
            hint="Ask the verifier to show a new QR code.",
        )
    if answer.status != 200:
        raise unexpected(answer, expected="HTTP 200 with the request object")
    if answer.content_type != REQUEST_OBJECT_MEDIA_TYPE:
        raise _fail("it is not served as a request object", answer.content_type, REQUEST_OBJECT_MEDIA_TYPE)
    return parse_request_object(
        answer.text,
        client_id=parameters.client_id,
        request_uri=request_uri,
        now=now,
        anchors=anchors,
        wallet_nonce=wallet_nonce,
    )


@dataclass(frozen=True)
class VerifierAnswer:
    """What the verifier said after receiving the presentation: where to go next, and the verdict if readable."""

    redirect_uri: str | None
    outcome: Mapping[str, Any] | None = None


def respond(http: Http, request: PresentationRequest, presentations: Mapping[str, str]) -> VerifierAnswer:
    """POST the presentations (one per chosen credential query id) to ``response_uri``; follow a ``redirect_uri``
    on the verifier's own origin to read the verdict. Raises :class:`RefusedError` when the verifier refuses."""
    token = {query_id: [presentation] for query_id, presentation in presentations.items()}
    form = {"vp_token": json.dumps(token, separators=(",", ":"))}
    if request.state is not None:
        form["state"] = request.state
    answer = _post(http, request, form)
    redirect_uri = _redirect_uri(answer)
    if redirect_uri is None or not same_origin(redirect_uri, request.response_uri):
        return VerifierAnswer(redirect_uri)
    return VerifierAnswer(redirect_uri, read_outcome(http, redirect_uri))


def read_outcome(http: Http, url: str) -> Mapping[str, Any] | None:
    """The verdict the verifier shows at ``url`` as JSON, or None when it says nothing this wallet can read."""
    try:
        answer = http.get(url, what="verifier's result")
    except TawtiqError:
        return None
    if answer.status != 200:
        return None
    try:
        document = read_object(answer.body, what="the verifier's result")
    except TawtiqError:
        return None
    return document if isinstance(document.get("verdict"), str) else None


def _redirect_uri(answer: Answer) -> str | None:
    try:
        document = read_object(answer.body, what="the verifier's answer") if answer.body.strip() else {}
    except TawtiqError:
        return None
    value = document.get("redirect_uri")
    if not isinstance(value, str):
        return None
    try:
        return check_url(value, what="verifier's result")
    except RefusedError:
        return None


def decline(http: Http, request: PresentationRequest) -> None:
    """Tell the verifier the holder declined (``error=access_denied``)."""
    form = {"error": "access_denied", "error_description": "the holder declined"}
    if request.state is not None:
        form["state"] = request.state
    _post(http, request, form)


def _post(http: Http, request: PresentationRequest, form: dict[str, str]) -> Answer:
    answer = http.post_form(request.response_uri, form, what="verifier")
    if answer.status == 200:
        return answer
    if answer.status == 400:
        _error, description = answer.oauth_error()
        raise RefusedError(
            f"the verifier did not accept the answer: {description or 'invalid request'}",
            code="request.answer_refused",
        )
    raise unexpected(answer, expected="HTTP 200")
