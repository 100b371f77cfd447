"""A holder's side of OpenID for Verifiable Presentations 1.0: reading and checking a verifier's request for the
diploma, shared by every holder (the graduate's wallet, :mod:`wallet_cli.oid4vp`, and the portal answering from the
copy it holds, :mod:`portal.presentation`), so that both trust a verifier for the same reasons.

Each holder fetches and answers with its own HTTP client and shows the request its own way; what is here does no
I/O: :func:`parse_authorization_request` reads the ``openid4vp://`` link, :func:`retrieval` says how to fetch a
Request Object by reference, and :func:`parse_request_object` checks it according to the Client Identifier Prefix
(§5.9.3):

* ``x509_hash:<hash>`` and ``x509_san_dns:<host>`` — the Request Object must be a JWS (ES256/384/512, ``typ``
  ``oauth-authz-req+jwt``) whose ``x5c`` chain validates against the holder's trust anchors (registrars' CA
  certificates) as a verifier access certificate (:func:`keys.x509.validate_chain`), signed with the leaf's key; for
  ``x509_hash`` the hash is the base64url SHA-256 of the DER leaf, for ``x509_san_dns`` the host is a dNSName of the
  leaf; for both the ``response_uri`` host must be one the certificate names (for ``x509_san_dns``, that host). The
  verifier is then shown by its certified name and its registrar.
* ``redirect_uri:<response_uri>`` — an unsigned JWT (``alg: none``), never evidence of who the verifier is, only of
  where the answer goes (``response_uri`` must equal the ``client_id`` after its prefix).

Then ``response_type=vp_token``, ``response_mode=direct_post``, the audience, a fresh nonce, the dates,
``client_metadata`` (a printable ``client_name``; ``dc+sd-jwt`` with ES256 key binding accepted) and the DCQL query
(§6) as far as a diploma answers it: :func:`parse_dcql` reads a ``dcql_query`` strictly into frozen types;
:func:`select` decides what to send, given the claims the holder's diploma has:

* every credential query that asks for the diploma (``format`` ``dc+sd-jwt``, ``meta.vct_values`` naming the
  baccalaureate) can be answered with it; a query for anything else cannot;
* ``claims`` without ``claim_sets``: every claim is needed. With ``claim_sets`` (§6.4.1): the first set, in the
  verifier's order of preference, whose claims the diploma has;
* without ``credential_sets`` every credential query is needed (§6.4.2); with them, each set is answered by its first
  option whose every query can be answered, a ``required`` set (the default) that has none makes the request
  unanswerable, an optional one (``"required": false``) is left out — the holder discloses no more than it must —
  and queries no set names are not answered.

Refusals are :class:`RequestRefusedError` (a credential fault: the request is not acceptable) with codes
``request.*`` or the ``x509.*`` codes of the chain's validation, and a ``hint`` for the holder; a link that cannot
be read is :class:`RequestLinkError` (a usage fault: nothing was asked of the verifier yet).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import schemas
from common.fetch import origin_of
from keys.x509 import VERIFIER_ACCESS, CertificateError, certificate_hash, chain_from_x5c, dns_names, validate_chain
from vc.encoding import b64url_decode, check_depth, json_loads
from vc.errors import Fault, FormatError, TawtiqError
from vc.jose import PublicKey, parse_compact

SCHEME: Final = "openid4vp"
REDIRECT_URI_PREFIX: Final = "redirect_uri:"
X509_HASH: Final = "x509_hash"
X509_SAN_DNS: Final = "x509_san_dns"
REQUEST_OBJECT_TYPE: Final = "oauth-authz-req+jwt"
REQUEST_OBJECT_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
DC_SD_JWT: Final = "dc+sd-jwt"
#: Algorithms a signed Request Object may use.
REQUEST_ALGORITHMS: Final = ("ES256", "ES384", "ES512")
_MAX_REQUEST_CHARS: Final = 64 * 1024
_CLOCK_SKEW: Final = timedelta(seconds=60)
_HOLDER_ALGORITHM: Final = "ES256"
_MAX_CLIENT_NAME_CHARS: Final = 200
_REFUSED_HINT: Final = "Nothing was disclosed. Ask the verifier to show a new request."


class HolderRequestError(TawtiqError):
    """Base of the shared checks' refusals. ``hint`` says what the holder can do about it."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        found: Any = None,
        expected: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, code=code, found=found, expected=expected)
        self.hint = hint


class RequestRefusedError(HolderRequestError):
    """A verifier's request the holder does not answer (a credential fault: the request is not acceptable)."""

    fault = Fault.CREDENTIAL
    default_code = "request.invalid"


class RequestLinkError(HolderRequestError):
    """An ``openid4vp://`` link that cannot be read: what was given is not a request, nothing was fetched."""

    fault = Fault.CONFIGURATION
    default_code = "request.invalid"


class UrlCheck(Protocol):
    """How a holder decides it may send to a URL (https; plain http only where it develops): returns the URL or
    raises its own refusal naming ``what`` the URL is for."""

    def __call__(self, url: Any, *, what: str) -> str: ...


def wallet_metadata(sd_jwt_algorithms: tuple[str, ...]) -> dict[str, Any]:
    """What a holder tells a verifier about itself when it POSTs to a request_uri (§5.10.1, §10): the issuers'
    algorithms it verifies (``sd_jwt_algorithms``), ES256 key binding, the prefixes it checks."""
    return {
        "issuer": SELF_ISSUED_AUDIENCE,
        "authorization_endpoint": f"{SCHEME}:",
        "response_types_supported": ["vp_token"],
        "response_modes_supported": ["direct_post"],
        "vp_formats_supported": {
            DC_SD_JWT: {"sd-jwt_alg_values": list(sd_jwt_algorithms), "kb-jwt_alg_values": [_HOLDER_ALGORITHM]}
        },
        "client_id_prefixes_supported": [X509_HASH, X509_SAN_DNS, "redirect_uri"],
        "request_object_signing_alg_values_supported": list(REQUEST_ALGORITHMS),
    }


def _read_object(data: bytes | str, *, what: str) -> dict[str, Any]:
    """``data`` as a JSON object no deeper than the engine walks (:func:`vc.encoding.check_depth`)."""
    try:
        value = json_loads(data, what=what)
    except FormatError as exc:
        raise FormatError(f"{what} is not JSON", code="format.json", found=exc.found, expected=exc.expected) from None
    if not isinstance(value, dict):
        raise FormatError(f"{what} is not a JSON object", code="format.json", found=type(value).__name__)
    check_depth(value, what=what)
    return value


def _fail(message: str, found: Any = None, expected: Any = None) -> RequestRefusedError:
    return RequestRefusedError(
        f"the presentation request is not acceptable: {message}",
        code="request.invalid",
        found=found,
        expected=expected,
        hint=_REFUSED_HINT,
    )


# -- DCQL (§6)

#: Claims every SD-JWT VC shows in clear; a request may name them without anything being disclosed.
ALWAYS_VISIBLE: Final = frozenset({"iss", "vct", "iat", "nbf", "exp", "cnf", "status"})
_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_QUERIES: Final = 16
_MAX_CLAIMS: Final = 64


@dataclass(frozen=True, slots=True)
class ClaimQuery:
    """One requested claim: its ``id`` (needed by ``claim_sets``) and its path."""

    id: str | None
    path: tuple[str | int | None, ...]

    @property
    def name(self) -> str:
        """The top-level claim the path starts with (a diploma's claims are disclosed whole)."""
        return str(self.path[0])

    @property
    def dotted(self) -> str:
        return ".".join("*" if part is None else str(part) for part in self.path)


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """One credential query; ``refusal`` says why the diploma cannot answer it (None: it can)."""

    id: str
    claims: tuple[ClaimQuery, ...]
    claim_sets: tuple[tuple[str, ...], ...] | None
    refusal: RequestRefusedError | None


@dataclass(frozen=True, slots=True)
class CredentialSet:
    options: tuple[tuple[str, ...], ...]
    required: bool


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSet, ...] | None

    def query(self, query_id: str) -> CredentialQuery:
        return next(query for query in self.credentials if query.id == query_id)


@dataclass(frozen=True, slots=True)
class ChosenQuery:
    """A credential query the wallet answers with the diploma, and the diploma claims it needs."""

    id: str
    claims: tuple[str, ...]
    #: Requested paths deeper than a top-level claim (the whole claim is disclosed for them).
    nested_paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """What to send: the chosen queries, and the optional ones left out."""

    queries: tuple[ChosenQuery, ...]
    left_out: tuple[str, ...] = ()

    @property
    def claims(self) -> tuple[str, ...]:
        """Every diploma claim some chosen query needs, in the verifier's order."""
        return tuple(dict.fromkeys(name for query in self.queries for name in query.claims))

    @property
    def nested_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(path for query in self.queries for path in query.nested_paths))


def _identifier(value: Any, *, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _fail(f"its {what} is not an identifier", value, "1 to 64 letters, digits, '_' or '-'")
    return value


def _path(value: Any) -> tuple[str | int | None, ...]:
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        raise _fail("a requested claim has no usable path", value, "a non-empty array starting with a name")
    for part in value[1:]:
        if part is not None and not isinstance(part, str) and (not isinstance(part, int) or isinstance(part, bool)):
            raise _fail("a requested claim's path holds something else than names, indices and null", value)
    return tuple(value)


def _refusal_for_format(query: Mapping[str, Any]) -> RequestRefusedError | None:
    if query.get("format") != DC_SD_JWT:
        return RequestRefusedError(
            "the request asks for a credential format this wallet cannot answer with",
            code="request.unsupported",
            found=query.get("format"),
            expected=DC_SD_JWT,
        )
    meta = query.get("meta")
    vct_values = meta.get("vct_values") if isinstance(meta, Mapping) else None
    if not isinstance(vct_values, list) or schemas.DIPLOMA_VCT not in vct_values:
        return RequestRefusedError(
            "the request does not ask for the baccalaureate diploma",
            code="request.not_a_diploma",
            found=vct_values,
            expected=schemas.DIPLOMA_VCT,
        )
    if "trusted_authorities" in query:
        return RequestRefusedError(
            "the request limits the issuers it accepts with trusted_authorities, which this wallet cannot evaluate",
            code="request.unsupported",
            found="trusted_authorities",
        )
    return None


def _credential_query(value: Any) -> CredentialQuery:
    if not isinstance(value, Mapping):
        raise _fail("a credential query is not an object", type(value).__name__)
    query_id = _identifier(value.get("id"), what="credential query id")
    raw_claims = value.get("claims", [])
    if raw_claims is None or not isinstance(raw_claims, list) or len(raw_claims) > _MAX_CLAIMS:
        raise _fail("a credential query's claims are not an array", type(raw_claims).__name__)
    claims: list[ClaimQuery] = []
    for item in raw_claims:
        if not isinstance(item, Mapping):
            raise _fail("a requested claim has no usable path", item)
        if "values" in item:
            raise RequestRefusedError(
                "the request asks for claims with given values, which this wallet does not support",
                code="request.unsupported",
                found=item.get("path"),
            )
        claim_id = _identifier(item["id"], what="claim id") if "id" in item else None
        claims.append(ClaimQuery(claim_id, _path(item.get("path"))))
    ids = [claim.id for claim in claims if claim.id is not None]
    if len(ids) != len(set(ids)):
        raise _fail("a credential query repeats a claim id", sorted(ids))
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    if "claim_sets" in value:
        raw_sets = value["claim_sets"]
        if not isinstance(raw_sets, list) or not raw_sets or not claims:
            raise _fail("claim_sets is not a non-empty array (with claims)", raw_sets)
        sets: list[tuple[str, ...]] = []
        for option in raw_sets:
            if not isinstance(option, list) or not option or any(name not in ids for name in option):
                raise _fail("a claim set names claims the query does not have", option, f"some of {ids}")
            sets.append(tuple(option))
        claim_sets = tuple(sets)
    return CredentialQuery(query_id, tuple(claims), claim_sets, _refusal_for_format(value))


def parse_dcql(value: Any) -> DcqlQuery:
    """Read a ``dcql_query``. Raises :class:`RequestRefusedError` ``request.invalid``/``request.unsupported``."""
    if not isinstance(value, Mapping) or not isinstance(value.get("credentials"), list) or not value["credentials"]:
        raise _fail("it has no DCQL query (dcql_query.credentials)")
    if len(value["credentials"]) > _MAX_QUERIES:
        raise _fail("it has too many credential queries", len(value["credentials"]), f"at most {_MAX_QUERIES}")
    credentials = tuple(_credential_query(item) for item in value["credentials"])
    ids = [query.id for query in credentials]
    if len(ids) != len(set(ids)):
        raise _fail("it repeats a credential query id", ids)
    credential_sets: tuple[CredentialSet, ...] | None = None
    if "credential_sets" in value:
        raw_sets = value["credential_sets"]
        if not isinstance(raw_sets, list) or not raw_sets:
            raise _fail("credential_sets is not a non-empty array", raw_sets)
        sets: list[CredentialSet] = []
        for item in raw_sets:
            options = item.get("options") if isinstance(item, Mapping) else None
            required = item.get("required", True) if isinstance(item, Mapping) else None
            if not isinstance(options, list) or not options or not isinstance(required, bool):
                raise _fail("a credential set has no options (or a 'required' that is not a boolean)", item)
            for option in options:
                if not isinstance(option, list) or not option or any(name not in ids for name in option):
                    raise _fail("a credential set names queries the request does not have", option, f"some of {ids}")
            sets.append(CredentialSet(tuple(tuple(option) for option in options), required))
        credential_sets = tuple(sets)
    return DcqlQuery(credentials, credential_sets)


def _answer(query: CredentialQuery, available: Collection[str]) -> ChosenQuery | RequestRefusedError:
    """The diploma's answer to ``query`` given the claims it has, or why it cannot answer."""
    if query.refusal is not None:
        return query.refusal
    options = (
        [[claim for claim in query.claims if claim.id in claim_set] for claim_set in query.claim_sets]
        if query.claim_sets is not None
        else [list(query.claims)]
    )
    first_problem: RequestRefusedError | None = None
    for option in options:
        unknown = [c.dotted for c in option if c.name not in schemas.SUBJECT_CLAIMS and c.name not in ALWAYS_VISIBLE]
        missing = [c.dotted for c in option if c.name in schemas.SUBJECT_CLAIMS and c.name not in available]
        if not unknown and not missing:
            names = [c.name for c in option if c.name not in ALWAYS_VISIBLE]
            nested = [c.dotted for c in option if c.name not in ALWAYS_VISIBLE and len(c.path) > 1]
            return ChosenQuery(query.id, tuple(dict.fromkeys(names)), tuple(dict.fromkeys(nested)))
        if first_problem is None:
            first_problem = (
                RequestRefusedError(
                    "the request asks for claims a diploma does not have",
                    code="request.claims_unknown",
                    found=unknown,
                    expected=list(schemas.SUBJECT_CLAIMS),
                )
                if unknown
                else RequestRefusedError(
                    "the request asks for claims your diploma does not have",
                    code="request.claims_missing",
                    found=missing,
                )
            )
    assert first_problem is not None
    return first_problem


def select(query: DcqlQuery, *, available: Collection[str]) -> Selection:
    """What to send for ``query`` from a diploma that has the claims ``available`` (see the module docstring).

    Raises the reason the first needed query cannot be answered (:class:`RequestRefusedError`), or
    ``request.unsatisfiable`` when a required credential set has no option the diploma answers.
    """
    answers = {item.id: _answer(item, available) for item in query.credentials}
    if query.credential_sets is None:
        for answer in answers.values():
            if isinstance(answer, RequestRefusedError):
                raise answer
        return Selection(tuple(answer for answer in answers.values() if isinstance(answer, ChosenQuery)))
    chosen: dict[str, ChosenQuery] = {}
    left_out: list[str] = []
    for credential_set in query.credential_sets:
        option = next(
            (option for option in credential_set.options if all(isinstance(answers[i], ChosenQuery) for i in option)),
            None,
        )
        if option is None and credential_set.required:
            reasons = sorted(
                {
                    f"{i}: {answers[i]}"
                    for o in credential_set.options
                    for i in o
                    if isinstance(answers[i], RequestRefusedError)
                }
            )
            raise RequestRefusedError(
                "no option of a required credential set can be answered with a diploma",
                code="request.unsatisfiable",
                found=reasons,
                expected=[list(o) for o in credential_set.options],
            )
        if option is None or not credential_set.required:
            left_out.extend(i for o in credential_set.options for i in o if i not in left_out)
            continue
        for query_id in option:
            answer = answers[query_id]
            assert isinstance(answer, ChosenQuery)
            chosen[query_id] = answer
    return Selection(tuple(chosen.values()), tuple(i for i in left_out if i not in chosen))


# -- the link and the Request Object (§5)


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
        return origin_of(self.response_uri) or self.response_uri

    @property
    def verifier_host(self) -> str:
        return (urlsplit(self.response_uri).hostname or "").lower()

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
    """The parameters of an ``openid4vp://`` link.

    Raises :class:`RequestLinkError` ``request.invalid`` or ``request.unsupported``."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() != SCHEME:
        raise RequestLinkError(
            "this is not a presentation request link",
            code="request.invalid",
            found=text[:80],
            expected=f"{SCHEME}://?client_id=…&request_uri=… (or the path of a picture of its QR code)",
        )
    try:
        values = parse_qs(parts.query, strict_parsing=True, max_num_fields=16)
    except ValueError:
        raise RequestLinkError("the request link's parameters cannot be read", code="request.invalid") from None
    if any(len(items) != 1 for items in values.values()):
        raise RequestLinkError("the request link repeats a parameter", code="request.invalid", found=sorted(values))
    if "client_id" not in values:
        raise RequestLinkError("the request link has no client_id", code="request.invalid", found=sorted(values))
    if ("request_uri" in values) == ("request" in values):
        raise RequestLinkError(
            "the request link has no request_uri nor request, or both: it must carry the request by reference "
            "(request_uri) or by value (request)",
            code="request.unsupported",
            found=sorted(values),
            expected="request_uri or request (a signed or unsigned Request Object)",
        )
    method = values.get("request_uri_method", ["get"])[0]
    if method not in ("get", "post"):
        raise RequestLinkError(
            "the request link's request_uri_method is neither get nor post", code="request.invalid", found=method
        )
    return AuthorizationLink(
        client_id=values["client_id"][0],
        request_uri=values["request_uri"][0] if "request_uri" in values else None,
        request_uri_method=method,
        request=values["request"][0] if "request" in values else None,
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
        header = _read_object(b64url_decode(parts[0], what="request object header"), what="request object header")
        payload = _read_object(b64url_decode(parts[1], what="request object payload"), what="request object payload")
    except TawtiqError as exc:
        if exc.code == "format.too_deep":
            raise _fail(exc.summary, exc.found, exc.expected) from None
        raise _fail(f"its header or payload is not base64url JSON ({exc.summary})", exc.found, exc.expected) from None
    return header, payload, parts[2]


def _certificate_refusal(exc: CertificateError) -> RequestRefusedError:
    return RequestRefusedError(
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
        raise RequestRefusedError(
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
        raise RequestRefusedError(
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
        raise RequestRefusedError(
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
    check_url: UrlCheck,
    anchors: tuple[x509.Certificate, ...] = (),
    wallet_nonce: str | None = None,
) -> PresentationRequest:
    """Check a Request Object against the link it came from (see the module docstring) and return the request.

    Raises :class:`RequestRefusedError`: ``request.invalid``, ``request.unsupported``, ``request.expired``,
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
            raise RequestRefusedError(
                f"the verifier names itself with the {prefix} prefix but did not sign its request",
                code="request.unsigned",
                found=f"alg {header.get('alg')!r}",
                expected=f"a request signed with the key of its certificate ({', '.join(REQUEST_ALGORITHMS)})",
                hint=_REFUSED_HINT,
            )
        leaf, certified = _check_signed(token.strip(), header, prefix=prefix, value=value, anchors=anchors, now=now)
    elif client_id.startswith(REDIRECT_URI_PREFIX):
        if not unsigned or signature != "":
            raise RequestRefusedError(
                "a request with the redirect_uri prefix cannot be signed (OpenID4VP 1.0 §5.9.3)",
                code="request.unsupported",
                found=header.get("alg"),
                expected="an unsigned request (alg none) with the redirect_uri: prefix",
                hint=_REFUSED_HINT,
            )
    else:
        raise RequestRefusedError(
            "the verifier uses a client identifier this wallet cannot check",
            code="request.unsupported",
            found=prefix,
            expected="the x509_hash:, x509_san_dns: or redirect_uri: prefix",
        )
    if payload.get("client_id") != client_id:
        raise _fail("its client_id differs from the link's", payload.get("client_id"), client_id)
    if wallet_nonce is not None and payload.get("wallet_nonce") != wallet_nonce:
        raise RequestRefusedError(
            "the request does not carry the nonce this wallet sent; it may be a replay",
            code="request.wallet_nonce",
            found=payload.get("wallet_nonce"),
            expected="the wallet_nonce of this retrieval",
            hint=_REFUSED_HINT,
        )
    if payload.get("response_type") != "vp_token":
        raise _fail("its response_type is not vp_token", payload.get("response_type"))
    if payload.get("response_mode") != "direct_post":
        raise RequestRefusedError(
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
            raise RequestRefusedError(
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
        raise RequestRefusedError(
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
    rewrite the terminal), or None. Raises :class:`RequestRefusedError` for a name that is not such text."""
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
        raise RequestRefusedError(
            "the verifier does not accept diplomas as SD-JWT VCs",
            code="request.unsupported",
            found=sorted(formats) if isinstance(formats, Mapping) else formats,
            expected=DC_SD_JWT,
        )
    entry = formats[DC_SD_JWT]
    algorithms = entry.get("kb-jwt_alg_values") if isinstance(entry, Mapping) else None
    if isinstance(algorithms, list) and _HOLDER_ALGORITHM not in algorithms:
        raise RequestRefusedError(
            "the verifier does not accept the wallet's key algorithm",
            code="request.unsupported",
            found=algorithms,
            expected=_HOLDER_ALGORITHM,
        )


@dataclass(frozen=True)
class Retrieval:
    """How to fetch a Request Object by reference: ``GET``, or ``POST`` of ``form`` (the holder's metadata and a
    fresh ``wallet_nonce`` the signed answer must carry) when the link asks for ``request_uri_method=post``."""

    method: str
    accept: str
    form: dict[str, str] | None
    wallet_nonce: str | None


def retrieval(link: AuthorizationLink, *, metadata: Mapping[str, Any]) -> Retrieval:
    """How to fetch ``link``'s Request Object (§5.10): a fresh ``wallet_nonce`` for each POST."""
    if link.request_uri_method != "post":
        return Retrieval("GET", REQUEST_OBJECT_MEDIA_TYPE, None, None)
    wallet_nonce = secrets.token_urlsafe(16)
    form = {"wallet_metadata": json.dumps(metadata, separators=(",", ":")), "wallet_nonce": wallet_nonce}
    return Retrieval("POST", REQUEST_OBJECT_MEDIA_TYPE, form, wallet_nonce)


def check_retrieved(status: int, content_type: str | None) -> None:
    """Refuse what a verifier served at ``request_uri`` instead of a Request Object: ``request.expired`` when it no
    longer has it (404, 410), ``request.invalid`` for another answer (the holder reports other statuses its own way
    first when it wants to)."""
    if status in (404, 410):
        raise RequestRefusedError(
            "the verifier no longer has this request (it expired or was already answered)",
            code="request.expired",
            found=f"HTTP {status}",
            hint="Ask the verifier to show a new QR code.",
        )
    if status != 200 or content_type != REQUEST_OBJECT_MEDIA_TYPE:
        raise _fail(
            "it is not served as a request object",
            f"HTTP {status} {content_type}",
            f"HTTP 200 {REQUEST_OBJECT_MEDIA_TYPE}",
        )
