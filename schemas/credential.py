"""The diploma as a credential document, in both profiles, built from a credential subject.

Plain data shaping shared by the issuer, the demo and the tests, so the two profiles always carry the
same claims: the W3C VCDM 2.0 credential (secured as ``vc+sd-jwt``) and the IETF SD-JWT VC claim set
(``dc+sd-jwt``). Which claims are selectively disclosable is decided here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from schemas.diploma import (
    DIPLOMA_CONTEXT_URL,
    DIPLOMA_CREDENTIAL_TYPE,
    DIPLOMA_SCHEMA_URL,
    DIPLOMA_SUBJECT_TYPE,
    DIPLOMA_VCT,
    SUBJECT_CLAIMS,
)
from schemas.labels import value_label
from schemas.resources import CREDENTIALS_V2_CONTEXT_URL
from schemas.subject import DiplomaSubject, marked_text
from schemas.validation import validate_credential, validate_subject

#: Claim paths (as tuples) of the W3C profile that are selectively disclosable: every subject claim.
W3C_DISCLOSABLE: Final[tuple[tuple[str, ...], ...]] = tuple(("credentialSubject", name) for name in SUBJECT_CLAIMS)
#: Claim paths of the SD-JWT VC profile that are selectively disclosable: every subject claim.
SD_JWT_VC_DISCLOSABLE: Final[tuple[tuple[str, ...], ...]] = tuple((name,) for name in SUBJECT_CLAIMS)

#: A subject as the builders take it: the typed value, or its claims (a verifier's or a test's document).
Subject = DiplomaSubject | Mapping[str, Any]


def subject_claims(subject: Subject) -> Mapping[str, Any]:
    """The claims of ``subject``: a :class:`DiplomaSubject` becomes claims here, where credentials are built."""
    return subject.claims() if isinstance(subject, DiplomaSubject) else subject


@dataclass(frozen=True, slots=True)
class BitstringEntry:
    """Where a diploma's bit sits in a W3C Bitstring status list."""

    purpose: str
    list_url: str
    index: int

    def as_json(self) -> dict[str, str]:
        return {
            "id": f"{self.list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }


def valid_from(subject: Subject) -> str:
    """The credential's ``validFrom``: the start (UTC) of the deliberation day."""
    if isinstance(subject, DiplomaSubject):
        return f"{subject.deliberation_date.isoformat()}T00:00:00Z"
    return f"{date.fromisoformat(subject['deliberationDate']).isoformat()}T00:00:00Z"


def w3c_credential(
    subject: Subject,
    *,
    issuer: str,
    credential_id: str,
    status: Sequence[BitstringEntry],
) -> dict[str, Any]:
    """The unsecured W3C VCDM 2.0 diploma credential (diplomas have no ``validUntil``)."""
    claims = subject_claims(subject)
    return {
        "@context": [CREDENTIALS_V2_CONTEXT_URL, DIPLOMA_CONTEXT_URL],
        "id": credential_id,
        "type": ["VerifiableCredential", DIPLOMA_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": valid_from(subject),
        "credentialSubject": {"type": DIPLOMA_SUBJECT_TYPE, **{k: v for k, v in claims.items() if k != "type"}},
        "credentialStatus": [entry.as_json() for entry in status],
        "credentialSchema": {"id": DIPLOMA_SCHEMA_URL, "type": "JsonSchema"},
    }


def sd_jwt_vc_claims(
    subject: Subject, *, issuer: str, status_index: int | None = None, status_uri: str | None = None
) -> dict[str, Any]:
    """The SD-JWT VC claim set: ``iss``, ``vct``, optional Token Status List reference, then the claims."""
    claims: dict[str, Any] = {"iss": issuer, "vct": DIPLOMA_VCT}
    if status_index is not None and status_uri is not None:
        claims["status"] = {"status_list": {"idx": status_index, "uri": status_uri}}
    given = subject_claims(subject)
    claims.update({name: given[name] for name in SUBJECT_CLAIMS if name in given})
    return claims


def display_value(claim: str, value: Any, locale: str) -> str:
    """A claim value as a person reads it in ``locale`` (``ar``, ``fr`` or ``en``).

    Characters a subject's text may not hold are shown by code point (:func:`schemas.marked_text`): a value
    from another issuer, not bound by our import's rule, cannot hide text or reorder what surrounds it.
    """
    return marked_text(_display_value(claim, value, locale))


def _display_value(claim: str, value: Any, locale: str) -> str:
    if claim in ("mention", "optionLanguage") and isinstance(value, str):
        return value_label(claim, value, locale)
    if isinstance(value, Mapping):
        if claim == "session":
            kind = value_label("session.type", str(value.get("type")), locale)
            return f"{value.get('year')} — {kind}"
        if locale == "ar" and "ar" in value:
            return str(value["ar"])
        for key in ("lat", "fr", "ar", "code"):
            if key in value:
                return str(value[key])
    if claim == "generalAverage" and isinstance(value, int | float):
        return f"{value:.2f} / 20"
    return str(value)


def schema_validators() -> dict[str, Callable[[Mapping[str, Any]], list[str]]]:
    """Validators for a verifier's policy, keyed by credential type and by ``vct``.

    Each takes a processed (disclosed) credential payload and returns the problems as messages.
    """

    def w3c(payload: Mapping[str, Any]) -> list[str]:
        return [problem.message for problem in validate_credential(payload)]

    def sd_jwt_vc(payload: Mapping[str, Any]) -> list[str]:
        subject = {name: value for name, value in payload.items() if name in SUBJECT_CLAIMS}
        return [problem.message for problem in validate_subject(subject, complete=False)]

    return {DIPLOMA_CREDENTIAL_TYPE: w3c, DIPLOMA_VCT: sd_jwt_vc}
