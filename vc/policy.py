"""Verification policies: what a verifier accepts, separate from whether a credential is authentic.

The pipeline in :mod:`vc.verify` establishes authenticity with fixed checks; a :class:`Policy` decides
acceptability: which issuers are trusted for which credential types (a versioned :class:`TrustList`),
whether holder binding is required and with which audience and nonce, which algorithms are allowed,
which claims must be disclosed and which schemas apply. Empty sets refuse; the only way to trust
everything is a constructor with ``unsafe`` in its name, which says so when used.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, TypeAlias

from vc.claims import ClaimPath, as_claim_path
from vc.errors import ConfigurationError, FormatError
from vc.jose import DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS
from vc.urls import is_absolute_url
from vc.vcdm import ContextRegistry

#: Largest input the pipeline parses; anything longer is refused before parsing.
DEFAULT_MAX_INPUT_BYTES: Final = 64 * 1024
#: Any credential type, in a trust-list entry.
ANY_TYPE: Final = "*"

#: Validates a processed credential payload; returns human-readable problems (empty when valid).
SchemaValidator: TypeAlias = Callable[[Mapping[str, Any]], Sequence[str]]


class UnsafePolicyWarning(UserWarning):
    """A policy weakens a check; it must never be used in production."""


@dataclass(frozen=True)
class TrustDecision:
    trusted: bool
    code: str
    message: str


@dataclass(frozen=True)
class TrustList:
    """Trusted issuer identifiers and the credential types (W3C ``type`` or SD-JWT VC ``vct``) each may issue."""

    version: str
    issuers: Mapping[str, frozenset[str]]
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    _unsafe_any: bool = False

    @classmethod
    def unsafe_trust_everything(cls, version: str = "unsafe-any") -> TrustList:
        """Trust every issuer for every type. For test suites only; warns when used."""
        warnings.warn(
            "trust list accepts every issuer: verification proves only authenticity, not trust",
            UnsafePolicyWarning,
            stacklevel=2,
        )
        return cls(version=version, issuers={}, _unsafe_any=True)

    @classmethod
    def from_document(cls, document: Any) -> TrustList:
        """Parse a trust-list document::

            {"version": "2026-11-28.1",
             "issuers": [{"id": "https://bac.example.ma",
                          "name": {"ar": "…", "fr": "…", "en": "…"},
                          "credential_types": ["BaccalaureateDiplomaCredential", "urn:…"]}]}

        Raises :class:`FormatError` (``trust_list.invalid``) naming the offending entry.
        """

        def bad(message: str, found: Any = None, expected: Any = None) -> FormatError:
            return FormatError(message, code="trust_list.invalid", found=found, expected=expected)

        if not isinstance(document, Mapping):
            raise bad("trust list must be a JSON object", type(document).__name__, "an object")
        version = document.get("version")
        if not isinstance(version, str) or not version:
            raise bad("trust list has no 'version'", version, "a non-empty string")
        entries = document.get("issuers")
        if not isinstance(entries, list):
            raise bad("trust list 'issuers' must be an array", type(entries).__name__, "an array")
        issuers: dict[str, frozenset[str]] = {}
        names: dict[str, Mapping[str, str]] = {}
        for position, entry in enumerate(entries):
            where = f"issuers[{position}]"
            if not isinstance(entry, Mapping):
                raise bad(f"{where} must be an object", entry)
            identifier = entry.get("id")
            if not is_absolute_url(identifier):
                raise bad(f"{where}.id must be a URL", identifier, "e.g. https://bac.example.ma")
            assert isinstance(identifier, str)
            if identifier in issuers:
                raise bad(f"{where}.id is listed twice", identifier)
            types = entry.get("credential_types")
            if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
                raise bad(f"{where}.credential_types must be a non-empty array of strings", types)
            issuers[identifier] = frozenset(types)
            display = entry.get("name", {})
            if not isinstance(display, Mapping) or not all(isinstance(v, str) for v in display.values()):
                raise bad(f"{where}.name must map languages to strings", display)
            names[identifier] = dict(display)
        return cls(version=version, issuers=issuers, names=names)

    def decide(self, issuer: str | None, types: Sequence[str]) -> TrustDecision:
        """Whether ``issuer`` is trusted for every one of ``types``."""
        if self._unsafe_any:
            return TrustDecision(True, "trust.unsafe_any", "UNSAFE: every issuer is trusted (test mode)")
        if not self.issuers:
            return TrustDecision(False, "trust.list_empty", "the trust list names no issuer, so none is trusted")
        if issuer is None or issuer not in self.issuers:
            return TrustDecision(False, "trust.issuer_untrusted", f"issuer {issuer!r} is not on the trust list")
        allowed = self.issuers[issuer]
        if not types and ANY_TYPE not in allowed:
            return TrustDecision(False, "trust.type_missing", "the credential names no type to check against")
        refused = [t for t in types if t not in allowed and ANY_TYPE not in allowed]
        if refused:
            return TrustDecision(
                False,
                "trust.type_not_allowed",
                f"issuer {issuer} is not trusted for {refused}; trusted for {sorted(allowed)}",
            )
        return TrustDecision(True, "trust.ok", f"issuer {issuer} is trusted for {list(types)}")


@dataclass(frozen=True)
class HolderBinding:
    """Key-binding requirements (RFC 9901 §7.3). ``None`` for audience or nonce means "not checked"."""

    required: bool = True
    audience: str | None = None
    nonce: str | None = None
    max_age: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Policy:
    """Everything a verifier decides for itself. ``trust`` and ``contexts`` have no safe default.

    ``require_status``: a credential (not a presentation) without a status reference (W3C ``credentialStatus``,
    SD-JWT VC ``status``) fails the policy check with ``policy.status_required``, rather than passing with its
    status unchecked (``status.none``). An issuer that puts a status reference in every credential it issues
    asks its verifiers for this, so a credential without one cannot be taken as never revocable.
    """

    trust: TrustList
    contexts: ContextRegistry
    holder_binding: HolderBinding = HolderBinding()
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS
    required_disclosures: tuple[ClaimPath, ...] = ()
    require_status: bool = False
    schemas: Mapping[str, SchemaValidator] = field(default_factory=dict)
    clock_skew: timedelta = timedelta(seconds=60)
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    unsafe_skip_enveloped_proofs: bool = False

    def __post_init__(self) -> None:
        unknown = self.algorithms - SUPPORTED_ALGORITHMS
        if unknown:
            raise ConfigurationError(
                "policy allows algorithms this engine does not support",
                code="policy.algorithm_unknown",
                found=sorted(unknown),
                expected=sorted(SUPPORTED_ALGORITHMS),
            )
        object.__setattr__(self, "required_disclosures", tuple(as_claim_path(p) for p in self.required_disclosures))
        if self.unsafe_skip_enveloped_proofs:
            warnings.warn(
                "policy skips the proofs of enveloped credentials: only the presentation's own proof is checked",
                UnsafePolicyWarning,
                stacklevel=3,
            )
