"""An issuer's published keys, found and read the same way by every party that verifies its credentials.

Where the keys are:

* an https issuer publishes SD-JWT VC issuer metadata at ``/.well-known/jwt-vc-issuer`` inserted between host and
  path (SD-JWT VC §5.1), whose ``issuer`` must be the identifier looked up (§5.3) and which carries the JWK Set
  either by value (``jwks``) or by reference (``jwks_uri``), never both (§5.2); a ``jwks_uri`` is fetched only on
  the issuer's own origin;
* a ``did:web`` issuer publishes a DID document (did:web §3.2) whose ``id`` is the DID and whose
  ``assertionMethod`` verification methods carry ``publicKeyJwk``.

Either way the JWK Set is read as RFC 7517 defines it (:func:`keys.foreign_key_history`). The pure readers take
documents; :func:`fetch_issuer_keys` fetches through a :class:`common.fetch.Fetcher`. What the issuer published
wrongly is an :class:`IssuerKeysError` (``key.metadata_invalid``), an upstream fault like an unreachable server:
the credential may be fine, its issuer's publication is not usable now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from common.fetch import Fetcher, FetchError, origin_of, same_origin
from keys import KeyHistory, foreign_key_history
from vc.encoding import check_depth, json_loads
from vc.errors import FormatError, TawtiqError

JWT_VC_ISSUER_PATH: Final = "/.well-known/jwt-vc-issuer"
_JSON: Final = "application/json"
_JWKS: Final = "application/jwk-set+json, application/json"


class IssuerKeysError(FetchError):
    """The issuer's metadata, DID document or key set is not usable: wrong issuer, no keys, not a key set."""

    default_code = "key.metadata_invalid"


def jwt_vc_issuer_metadata_url(issuer: str) -> str:
    """``https://host/.well-known/jwt-vc-issuer/<path>`` for issuer ``https://host/<path>`` (SD-JWT VC §5.1)."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{JWT_VC_ISSUER_PATH}{path}"


def did_web_document_url(did: str) -> str | None:
    """The https URL of a ``did:web`` DID document (did:web method §3.2), or None if ``did`` is not did:web."""
    if not did.startswith("did:web:"):
        return None
    segments = did[len("did:web:") :].split(":")
    if not segments or not segments[0] or "/" in did or "?" in did or "#" in did:
        return None
    host = unquote(segments[0])
    path = "/".join(segments[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def key_document_url(issuer: str) -> str:
    """Where ``issuer`` publishes its keys: its DID document for ``did:web``, else its SD-JWT VC issuer metadata."""
    document = did_web_document_url(issuer)
    return document if document is not None else jwt_vc_issuer_metadata_url(issuer)


def jwks_of_metadata(document: Mapping[str, Any], *, issuer: str) -> Mapping[str, Any] | str:
    """The JWK Set of SD-JWT VC issuer metadata: the ``jwks`` object, or the ``jwks_uri`` to fetch it from.

    Raises :class:`IssuerKeysError` when the metadata names another issuer, has both or neither, or its
    ``jwks_uri`` is not on the issuer's own origin.
    """
    if document.get("issuer") != issuer:
        raise IssuerKeysError("the issuer metadata names another issuer", found=document.get("issuer"), expected=issuer)
    if "jwks" in document and "jwks_uri" in document:
        raise IssuerKeysError(
            "the issuer metadata has both 'jwks' and 'jwks_uri'",
            found=sorted(document),
            expected="exactly one of 'jwks' and 'jwks_uri' (SD-JWT VC §5.2)",
        )
    jwks = document.get("jwks")
    if isinstance(jwks, Mapping):
        return jwks
    jwks_uri = document.get("jwks_uri")
    if isinstance(jwks_uri, str) and same_origin(jwks_uri, issuer):
        return jwks_uri
    raise IssuerKeysError(
        "the issuer metadata has no 'jwks' object, nor a 'jwks_uri' on the issuer's own origin",
        found=jwks_uri if jwks_uri is not None else jwks,
        expected=f"'jwks', or a 'jwks_uri' under {origin_of(issuer) or issuer}",
    )


def jwks_of_did_document(document: Mapping[str, Any], *, did: str) -> Mapping[str, Any]:
    """A JWK Set of the ``publicKeyJwk`` of the DID document's ``assertionMethod`` verification methods.

    Raises :class:`IssuerKeysError` when the document is for another DID or lacks the methods.
    """
    if document.get("id") != did:
        raise IssuerKeysError("the DID document is for another DID", found=document.get("id"), expected=did)
    methods, assertion = document.get("verificationMethod"), document.get("assertionMethod")
    if not isinstance(methods, list) or not isinstance(assertion, list):
        raise IssuerKeysError(
            "the DID document lacks 'verificationMethod' or 'assertionMethod'",
            found=sorted(document),
            expected="both, as lists",
        )

    def absolute(reference: str) -> str:
        return did + reference if reference.startswith("#") else reference

    allowed = {absolute(reference) for reference in assertion if isinstance(reference, str)}
    keys = [
        method["publicKeyJwk"]
        for method in methods
        if isinstance(method, Mapping)
        and isinstance(method.get("id"), str)
        and absolute(method["id"]) in allowed
        and isinstance(method.get("publicKeyJwk"), Mapping)
    ]
    return {"keys": keys}


def read_key_set(jwks: Mapping[str, Any], *, issuer: str) -> KeyHistory:
    """The issuer's JWK Set as a key history (:func:`keys.foreign_key_history`). Raises :class:`IssuerKeysError`."""
    try:
        return foreign_key_history(jwks)
    except TawtiqError as exc:
        raise IssuerKeysError(
            f"the key set of issuer {issuer} cannot be read: {exc.summary}",
            found=exc.found,
            expected=exc.expected,
        ) from exc


def local_kid(issuer: str, kid: str | None) -> str | None:
    """The key set's ``kid`` for a token's ``kid``: a did:web issuer may name its key by DID URL (``did#kid``)."""
    if kid is not None and issuer.startswith("did:"):
        if kid.startswith(issuer + "#"):
            return kid[len(issuer) + 1 :]
        if kid.startswith("#"):
            return kid[1:]
    return kid


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    """What :func:`fetch_issuer_keys` found: the key history and the JWK Set it was read from, or nothing new.

    ``jwks`` and ``history`` are None when the issuer answered ``304 Not Modified`` to the ``etag`` given.
    ``etag`` and ``max_age_seconds`` are those of the metadata or DID document.
    """

    jwks: Mapping[str, Any] | None
    history: KeyHistory | None
    etag: str | None
    max_age_seconds: int | None


def fetch_issuer_keys(fetcher: Fetcher, issuer: str, *, max_bytes: int, etag: str | None = None) -> IssuerKeys:
    """Fetch and read the keys ``issuer`` publishes (see the module docstring), each document within ``max_bytes``.

    With ``etag``, the metadata (or DID document) is asked for conditionally. Raises :class:`IssuerKeysError`
    for an unusable publication and :class:`common.fetch.FetchError` or :class:`common.fetch.UrlRefusedError`
    for a failed fetch.
    """
    url = key_document_url(issuer)
    headers = {"Accept": _JSON, **({"If-None-Match": etag} if etag else {})}
    response = fetcher.fetch(url, max_bytes=max_bytes, headers=headers)
    if response.status == 304 and etag:
        return IssuerKeys(None, None, response.etag or etag, response.max_age_seconds)
    _check_ok(response.status, url)
    document = _json_object(response.body, url)
    if url != jwt_vc_issuer_metadata_url(issuer):
        jwks: Mapping[str, Any] | str = jwks_of_did_document(document, did=issuer)
    else:
        jwks = jwks_of_metadata(document, issuer=issuer)
    if isinstance(jwks, str):
        keys_response = fetcher.fetch(jwks, max_bytes=max_bytes, headers={"Accept": _JWKS})
        _check_ok(keys_response.status, jwks)
        jwks = _json_object(keys_response.body, jwks)
    return IssuerKeys(jwks, read_key_set(jwks, issuer=issuer), response.etag, response.max_age_seconds)


def _check_ok(status: int, url: str) -> None:
    if status != 200:
        raise FetchError(f"{url} answered HTTP {status}", code="fetch.http_status", found=status, expected=200)


def _json_object(body: bytes, url: str) -> Mapping[str, Any]:
    """The engine's strict parser, and no deeper than the engine walks: hostile nesting is an error, not a crash."""
    try:
        value = json_loads(body, what=url)
    except FormatError as exc:
        raise IssuerKeysError(f"{url} did not send JSON", found=exc.found, expected="a JSON object") from exc
    if not isinstance(value, Mapping):
        raise IssuerKeysError(f"{url} did not send a JSON object", found=type(value).__name__, expected="an object")
    try:
        check_depth(value, what=url)
    except FormatError as exc:
        raise IssuerKeysError(f"{url} sent JSON nested too deeply", found=exc.found, expected=exc.expected) from exc
    return value
