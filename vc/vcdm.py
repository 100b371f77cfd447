"""W3C Verifiable Credentials Data Model 2.0 rules, as VC-JOSE-COSE applies them to JWT payloads.

Checks the required properties, the first ``@context``, ``dateTimeStamp`` values, the agreement of the
JWT claims ``iss``/``jti``/``sub`` with ``issuer``/``id``/``credentialSubject.id``, the absence of
``vc``/``vp`` claims, and that every top-level property is a term the credential's contexts define.
Contexts come from pinned local copies handed in as a :class:`ContextRegistry`; nothing is fetched.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from vc import times
from vc.errors import FormatError
from vc.urls import is_absolute_url

CREDENTIALS_V2: Final = "https://www.w3.org/ns/credentials/v2"
VERIFIABLE_CREDENTIAL: Final = "VerifiableCredential"
VERIFIABLE_PRESENTATION: Final = "VerifiablePresentation"
ENVELOPED_CREDENTIAL: Final = "EnvelopedVerifiableCredential"
#: Media types an enveloped credential may carry (VC-JOSE-COSE §3, §4).
ENVELOPED_MEDIA_TYPES: Final = frozenset(
    {"application/vc+jwt", "application/vc+sd-jwt", "application/vc+cose", "application/dc+sd-jwt"}
)
#: JSON-LD keywords and the two aliases every VC context defines.
_ALWAYS_ALLOWED: Final = frozenset({"@context", "id", "type", "@id", "@type"})
#: JWT registered claims that may sit beside the credential's own properties (VC-JOSE-COSE §3.1.1).
JWT_CLAIMS: Final = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "nonce"})


def _fail(message: str, *, code: str, found: Any = None, expected: Any = None) -> FormatError:
    return FormatError(message, code=code, found=found, expected=expected)


@dataclass(frozen=True)
class ContextRegistry:
    """Pinned JSON-LD context documents by URL; the only contexts a credential may use."""

    documents: Mapping[str, Mapping[str, Any]]
    _terms: dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def _definitions(self, context: Any) -> Mapping[str, Any]:
        if isinstance(context, str):
            document = self.documents.get(context)
            if document is None:
                raise _fail(
                    "credential uses a context that is not pinned here",
                    code="vcdm.context_unknown",
                    found=context,
                    expected=f"one of {sorted(self.documents)}",
                )
            inner = document.get("@context", {})
        else:
            inner = context.get("@context", context) if isinstance(context, Mapping) else {}
        return inner if isinstance(inner, Mapping) else {}

    def defined_terms(self, contexts: Sequence[Any], types: Sequence[str]) -> frozenset[str]:
        """Terms explicitly defined for a node with these contexts and types (``@vocab`` does not count).

        Type-scoped contexts (e.g. the properties of ``VerifiableCredential``) are included for the
        node's own types. Raises :class:`FormatError` (``vcdm.context_unknown``) for an unpinned URL.
        Answers for context URLs are remembered (the documents are pinned, so they never change).
        """
        if all(isinstance(context, str) for context in contexts):
            key = (tuple(contexts), tuple(types))
            cached = self._terms.get(key)
            if cached is None:
                cached = self._terms[key] = self._defined_terms(contexts, types)
            return cached
        return self._defined_terms(contexts, types)

    def _defined_terms(self, contexts: Sequence[Any], types: Sequence[str]) -> frozenset[str]:
        terms: set[str] = set()
        scoped: list[Mapping[str, Any]] = []
        for context in contexts:
            definitions = self._definitions(context)
            for term, definition in definitions.items():
                if term.startswith("@"):
                    continue
                terms.add(term)
                if term in types and isinstance(definition, Mapping):
                    inner = definition.get("@context")
                    if isinstance(inner, Mapping):
                        scoped.append(inner)
        for inner in scoped:
            terms.update(term for term in inner if not term.startswith("@"))
        return frozenset(terms)


def as_list(value: Any) -> list[Any]:
    """A JSON-LD set as a list: a single value becomes a one-element list."""
    return value if isinstance(value, list) else [value]


def parse_date_time_stamp(value: Any, *, name: str) -> datetime:
    """Parse ``validFrom``/``validUntil``: an XML Schema ``dateTimeStamp`` (a date-time with a time zone).

    Raises :class:`FormatError` ``vcdm.date_invalid`` (see :func:`vc.times.parse_date_time_stamp`).
    """
    return times.parse_date_time_stamp(value, name=name, code="vcdm.date_invalid")


def node_id(value: Any) -> str | None:
    """The identifier of a property that is a URL or an object with an ``id`` (e.g. ``issuer``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def types_of(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``type`` values of a node as a tuple of strings (empty when absent or malformed)."""
    value = document.get("type")
    return tuple(item for item in as_list(value) if isinstance(item, str)) if value is not None else ()


def _check_contexts(document: Mapping[str, Any], *, what: str) -> list[Any]:
    contexts = document.get("@context")
    listed = as_list(contexts) if contexts is not None else []
    if not listed or listed[0] != CREDENTIALS_V2:
        raise _fail(
            f"{what} must list the VC 2.0 context first",
            code="vcdm.context_missing",
            found=listed[0] if listed else None,
            expected=CREDENTIALS_V2,
        )
    for item in listed:
        if not isinstance(item, str | dict):
            raise _fail("@context entries must be URLs or objects", code="vcdm.context_invalid", found=item)
    return listed


def _check_terms(document: Mapping[str, Any], contexts: list[Any], registry: ContextRegistry, *, what: str) -> None:
    defined = registry.defined_terms(contexts, types_of(document))
    undefined = sorted(
        name for name in document if name not in _ALWAYS_ALLOWED and name not in JWT_CLAIMS and name not in defined
    )
    if undefined:
        raise _fail(
            f"{what} has properties its contexts do not define",
            code="vcdm.term_undefined",
            found=undefined,
            expected="properties defined by the credential's @context (issuer-dependent @vocab terms are refused)",
        )


def _check_no_vc_vp(document: Mapping[str, Any]) -> None:
    present = [name for name in ("vc", "vp") if name in document]
    if present:
        raise _fail(
            "VC 2.0 JWT payloads must not use the 'vc' or 'vp' claims",
            code="vcdm.vc_vp_claim",
            found=present,
            expected="the credential itself as the payload",
        )


@dataclass(frozen=True)
class CredentialFacts:
    """What the pipeline needs from a validated credential."""

    issuer: str
    types: tuple[str, ...]
    valid_from: datetime | None
    valid_until: datetime | None


def validate_credential(document: Mapping[str, Any], registry: ContextRegistry) -> CredentialFacts:
    """Apply the VCDM 2.0 and VC-JOSE-COSE rules to a credential payload. Raises :class:`FormatError`."""
    _check_no_vc_vp(document)
    contexts = _check_contexts(document, what="credential")
    types = types_of(document)
    if VERIFIABLE_CREDENTIAL not in types or len(types) != len(as_list(document.get("type"))):
        raise _fail(
            "credential 'type' must include VerifiableCredential",
            code="vcdm.type_missing",
            found=document.get("type"),
            expected=f"['{VERIFIABLE_CREDENTIAL}', ...]",
        )
    issuer = node_id(document.get("issuer"))
    if issuer is None or not is_absolute_url(issuer):
        raise _fail(
            "credential 'issuer' must be a URL or an object with a URL 'id'",
            code="vcdm.issuer_invalid",
            found=document.get("issuer"),
            expected="e.g. https://bac.example.ma",
        )
    if "iss" in document and document["iss"] != issuer:
        raise _fail(
            "JWT 'iss' does not match the credential's issuer",
            code="vcdm.iss_mismatch",
            found=document["iss"],
            expected=issuer,
        )
    if "id" in document and not is_absolute_url(document["id"]):
        raise _fail("credential 'id' must be a URL", code="vcdm.id_invalid", found=document["id"])
    if "jti" in document and "id" in document and document["jti"] != document["id"]:
        raise _fail("JWT 'jti' does not match the credential's id", code="vcdm.jti_mismatch", found=document["jti"])
    subjects = as_list(document.get("credentialSubject"))
    if not subjects or subjects == [None] or not all(isinstance(subject, Mapping) for subject in subjects):
        raise _fail(
            "credential must have a 'credentialSubject' object",
            code="vcdm.subject_missing",
            found=type(document.get("credentialSubject")).__name__,
            expected="an object (or a non-empty array of objects)",
        )
    if "sub" in document:
        subject_ids = {subject.get("id") for subject in subjects}
        if subject_ids != {document["sub"]} and subject_ids != {None}:
            raise _fail(
                "JWT 'sub' does not match credentialSubject.id",
                code="vcdm.sub_mismatch",
                found=document["sub"],
                expected=sorted(str(s) for s in subject_ids),
            )
    valid_from = parse_date_time_stamp(document["validFrom"], name="validFrom") if "validFrom" in document else None
    valid_until = parse_date_time_stamp(document["validUntil"], name="validUntil") if "validUntil" in document else None
    if valid_from and valid_until and valid_until < valid_from:
        raise _fail("validUntil is before validFrom", code="vcdm.date_invalid", found=document["validUntil"])
    for name in ("credentialStatus", "credentialSchema"):
        for entry in as_list(document.get(name, [])):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str | list):
                raise _fail(
                    f"'{name}' entries must be objects with a 'type'", code="vcdm.property_invalid", found=entry
                )
    _check_terms(document, contexts, registry, what="credential")
    return CredentialFacts(
        issuer=issuer,
        types=tuple(t for t in types if t != VERIFIABLE_CREDENTIAL),
        valid_from=valid_from,
        valid_until=valid_until,
    )


@dataclass(frozen=True)
class Envelope:
    """An enveloped credential: the media type and the secured credential it carries."""

    media_type: str
    content: str


def parse_envelope(entry: Any) -> Envelope:
    """Read an ``EnvelopedVerifiableCredential`` whose ``id`` is a ``data:`` URL (VC-JOSE-COSE §3.3)."""
    if not isinstance(entry, Mapping) or ENVELOPED_CREDENTIAL not in types_of(entry):
        raise _fail(
            "presentation credentials must be enveloped",
            code="vcdm.envelope_invalid",
            found=entry if not isinstance(entry, Mapping) else entry.get("type"),
            expected=ENVELOPED_CREDENTIAL,
        )
    data_url = entry.get("id")
    if not isinstance(data_url, str) or not data_url.startswith("data:") or "," not in data_url:
        raise _fail(
            "an enveloped credential's id must be a data: URL",
            code="vcdm.envelope_invalid",
            found=data_url,
            expected="data:application/vc+sd-jwt,<token>",
        )
    meta, _, body = data_url[len("data:") :].partition(",")
    media_type, *parameters = meta.split(";")
    if media_type not in ENVELOPED_MEDIA_TYPES:
        raise _fail(
            "an enveloped credential has an unsupported media type",
            code="vcdm.envelope_media_type",
            found=media_type,
            expected=sorted(ENVELOPED_MEDIA_TYPES),
        )
    if "base64" in parameters and media_type == "application/vc+cose":
        content = body.strip()  # binary COSE stays base64 (its verifier decodes it)
    elif "base64" in parameters:
        # RFC 2397: the data is base64; a JOSE credential inside is ASCII text.
        try:
            content = base64.b64decode(unquote_to_bytes(body), validate=True).decode("ascii")
        except (binascii.Error, ValueError) as exc:
            raise _fail(
                "an enveloped credential's base64 data cannot be decoded",
                code="vcdm.envelope_invalid",
                expected="base64 of an ASCII token",
            ) from exc
    else:
        try:
            content = unquote_to_bytes(body).decode("ascii")
        except UnicodeDecodeError as exc:
            raise _fail("an enveloped credential is not ASCII", code="vcdm.envelope_invalid") from exc
    if not content:
        raise _fail("an enveloped credential is empty", code="vcdm.envelope_invalid")
    return Envelope(media_type=media_type, content=content)


@dataclass(frozen=True)
class PresentationFacts:
    holder: str | None
    envelopes: tuple[Envelope, ...]


def validate_presentation(document: Mapping[str, Any], registry: ContextRegistry) -> PresentationFacts:
    """Apply the VCDM 2.0 presentation rules. Raises :class:`FormatError`."""
    _check_no_vc_vp(document)
    contexts = _check_contexts(document, what="presentation")
    if VERIFIABLE_PRESENTATION not in types_of(document):
        raise _fail(
            "presentation 'type' must include VerifiablePresentation",
            code="vcdm.type_missing",
            found=document.get("type"),
            expected=VERIFIABLE_PRESENTATION,
        )
    holder = node_id(document["holder"]) if "holder" in document else None
    if "holder" in document and not is_absolute_url(holder):
        raise _fail("presentation 'holder' must be a URL", code="vcdm.holder_invalid", found=document["holder"])
    if "iss" in document and holder is not None and document["iss"] != holder:
        raise _fail("JWT 'iss' does not match the holder", code="vcdm.iss_mismatch", found=document["iss"])
    envelopes = tuple(parse_envelope(entry) for entry in as_list(document.get("verifiableCredential", [])))
    _check_terms(document, contexts, registry, what="presentation")
    return PresentationFacts(holder=holder, envelopes=envelopes)
