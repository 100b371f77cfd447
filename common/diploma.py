"""The baccalaureate diploma's verification set-up, built once for every party: the pinned JSON-LD contexts, the
schema validators, a trust list for the diploma's types, and the policy that puts them together.

The engine (:mod:`vc.policy`) knows nothing of the diploma and :mod:`schemas` nothing of the engine; this module
joins them, so the issuer, the verifier, the wallet, the demo and the benchmarks check a diploma the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from types import MappingProxyType
from typing import Any, Final

import schemas
from vc.claims import ClaimPath
from vc.jose import DEFAULT_ALGORITHMS
from vc.policy import DEFAULT_MAX_INPUT_BYTES, HolderBinding, Policy, SchemaValidator, TrustList
from vc.vcdm import ContextRegistry

#: The diploma's credential types in both profiles: the W3C ``type`` and the SD-JWT VC ``vct``.
DIPLOMA_TYPES: Final = frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT})
#: Claims a verifier may ask a wallet for only on behalf of an authenticated relying party: the personal ones that
#: are never disclosed by default (CNIE number, birth date, place of birth, Massar code). Asking for them is what
#: a harvester would do; the others (names, stream, session, mention…) anyone may ask for.
PROTECTED_CLAIMS: Final = frozenset(schemas.PRIVATE_CLAIMS)


@cache
def diploma_contexts() -> ContextRegistry:
    """The JSON-LD contexts a W3C diploma is issued and checked against (credentials v2, examples, ours)."""
    return ContextRegistry(schemas.pinned_contexts())


@cache
def diploma_validators() -> Mapping[str, SchemaValidator]:
    """The diploma's schema validators for a policy, keyed by W3C ``type`` and by ``vct`` (read-only, built once)."""
    return MappingProxyType(schemas.schema_validators())


def diploma_trust_list(issuer: str, *, version: str, types: frozenset[str] = DIPLOMA_TYPES) -> TrustList:
    """A trust list naming one issuer, trusted for the diploma in both profiles (or for ``types``)."""
    return TrustList(version=version, issuers={issuer: types})


def diploma_policy(
    *,
    trust: TrustList,
    holder_binding: HolderBinding,
    required_disclosures: Sequence[ClaimPath] = (),
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    check_schemas: bool = True,
) -> Policy:
    """The policy that accepts a diploma from ``trust``: the pinned contexts, the diploma's schemas (unless
    ``check_schemas`` is false), a status reference in every diploma (``policy.status_required``: the ministry
    issues none without one, so one without it is not the ministry's), and the caller's holder binding, required
    disclosures, algorithms and input bound.

    Raises :class:`~vc.errors.ConfigurationError` for algorithms the engine does not support.
    """
    return Policy(
        trust=trust,
        contexts=diploma_contexts(),
        holder_binding=holder_binding,
        algorithms=algorithms,
        required_disclosures=tuple(required_disclosures),
        require_status=True,
        schemas=diploma_validators() if check_schemas else {},
        max_input_bytes=max_input_bytes,
    )


def printed_subject(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The subject claims of an offline QR's report (:mod:`vc.offline`), with the stream named: the code carries the
    stream's code only (``streamCode``), its Arabic and French names come from the ministry's reference data (a code
    the data does not know is shown as the code)."""
    subject = {name: value for name, value in claims.items() if name in schemas.SUBJECT_CLAIMS}
    code = claims.get("streamCode")
    if isinstance(code, str):
        entry = next((item for item in schemas.reference_data()["streams"] if item["code"] == code), None)
        subject["stream"] = {"code": code, "ar": entry["ar"], "fr": entry["fr"]} if entry else {"code": code}
    return subject
