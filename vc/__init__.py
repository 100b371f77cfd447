"""Tawtiq's credential engine: issue, present and verify diplomas as verifiable credentials.

A pure core (no HTTP, database, file or clock access): W3C VCDM 2.0 secured with SD-JWT (``vc+sd-jwt``),
JWS (``vc+jwt``) or COSE (``vc+cose``), IETF SD-JWT VC (``dc+sd-jwt``), RFC 9901 selective disclosure with key
binding, W3C Bitstring and IETF Token status lists, the printed diploma's offline QR (``TQ1:``, :mod:`vc.offline`),
and a verification pipeline that returns a typed report.
Time, randomness, keys, status lists and pinned JSON-LD contexts are passed in.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from vc import sdjwt
from vc.claims import ClaimPath, PathElement, claim_paths, format_claim_path, parse_claim_path
from vc.encoding import json_object
from vc.errors import (
    ConfigurationError,
    CredentialError,
    Fault,
    FormatError,
    TawtiqError,
    UpstreamError,
)
from vc.jose import KeyCandidates, KeyResolver, PublicKey, Signer, SigningKey, StaticKeyResolver, parse_compact
from vc.offline import OfflineCredential, OfflineDiploma, decode_offline, issue_offline
from vc.policy import HolderBinding, Policy, TrustList
from vc.profiles import Profile, issue_sd_jwt_vc, issue_w3c
from vc.report import Check, CheckName, Outcome, StatusInfo, Verdict, VerificationReport
from vc.sdjwt import DEFAULT_DECOYS, NO_DECOYS, DecoyPolicy, RandomBytes
from vc.status import (
    StaticStatusResolver,
    StatusListData,
    StatusResolver,
    StatusSnapshot,
    UnavailableStatusResolver,
    issue_bitstring_status_list,
    issue_token_status_list,
    verify_status_list_token,
)
from vc.statuslist import (
    BitOrder,
    StatusList,
    TokenStatusReference,
    decode_bitstring,
    decode_token_status_list,
    encode_bitstring,
    encode_token_status_list,
    parse_token_status_reference,
)
from vc.vcdm import ContextRegistry
from vc.verify import verify

__all__ = [
    "NO_DECOYS",
    "BitOrder",
    "Check",
    "CheckName",
    "ClaimPath",
    "ConfigurationError",
    "ContextRegistry",
    "CredentialError",
    "DecoyPolicy",
    "Fault",
    "FormatError",
    "HolderBinding",
    "KeyCandidates",
    "KeyResolver",
    "OfflineCredential",
    "OfflineDiploma",
    "Outcome",
    "Policy",
    "Profile",
    "PublicKey",
    "Signer",
    "SigningKey",
    "StaticKeyResolver",
    "StaticStatusResolver",
    "StatusInfo",
    "StatusList",
    "StatusListData",
    "StatusResolver",
    "StatusSnapshot",
    "TawtiqError",
    "TokenStatusReference",
    "TrustList",
    "UnavailableStatusResolver",
    "UpstreamError",
    "Verdict",
    "VerificationReport",
    "decode_bitstring",
    "decode_offline",
    "decode_token_status_list",
    "encode_bitstring",
    "encode_token_status_list",
    "format_claim_path",
    "issue",
    "issue_bitstring_status_list",
    "issue_offline",
    "issue_token_status_list",
    "parse_claim_path",
    "present",
    "verify",
    "verify_status_list_token",
]


def issue(
    document: Mapping[str, Any],
    *,
    key: Signer,
    issued_at: datetime,
    profile: Profile = Profile.VC_SD_JWT,
    contexts: ContextRegistry | None = None,
    disclosable: Iterable[str | Sequence[PathElement]] = (),
    holder: PublicKey | None = None,
    random_bytes: RandomBytes = os.urandom,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
) -> str:
    """Sign ``document`` in ``profile`` and return the compact JWT or SD-JWT.

    W3C profiles take the credential itself and need the pinned ``contexts``. ``dc+sd-jwt`` takes the
    SD-JWT VC claims, with ``iss`` and ``vct`` (and optionally ``status``) among them. ``disclosable``
    names the selectively disclosable claims (``"credentialSubject.cnie"`` or ``["credentialSubject",
    "cnie"]``); ``holder`` binds the credential to the holder's key (``cnf.jwk``).
    Raises :class:`FormatError` for an invalid document, :class:`ConfigurationError` for a bad request.
    """
    paths = claim_paths(disclosable)
    if profile is Profile.DC_SD_JWT:
        claims = dict(document)
        issuer, vct, status = claims.pop("iss", None), claims.pop("vct", None), claims.pop("status", None)
        if not isinstance(issuer, str) or not isinstance(vct, str):
            raise ConfigurationError("an SD-JWT VC needs 'iss' and 'vct' strings", code="issue.registered_claim")
        reference = parse_token_status_reference(status) if status is not None else None
        return issue_sd_jwt_vc(
            claims,
            issuer=issuer,
            vct=vct,
            key=key,
            issued_at=issued_at,
            disclosable=paths,
            holder=holder,
            status=reference,
            random_bytes=random_bytes,
            decoys=decoys,
        )
    if contexts is None:
        raise ConfigurationError("W3C profiles need the pinned JSON-LD contexts", code="issue.contexts_missing")
    return issue_w3c(
        document,
        profile=profile,
        key=key,
        contexts=contexts,
        issued_at=issued_at,
        disclosable=paths,
        holder=holder,
        random_bytes=random_bytes,
        decoys=decoys,
    )


def present(
    credential: str,
    *,
    disclose: Iterable[str | Sequence[PathElement]],
    key: SigningKey | None = None,
    audience: str | None = None,
    nonce: str | None = None,
    now: datetime | None = None,
) -> str:
    """Build what a holder sends: only the disclosures for ``disclose`` (and what they are nested in),
    plus a key-binding JWT for ``audience`` and ``nonce`` when the holder's ``key`` is given.

    Raises :class:`CredentialError` if ``credential`` is not an SD-JWT or a path names no claim.
    """
    parsed = sdjwt.parse(credential.strip())
    payload = json_object(parse_compact(parsed.issuer_jwt).payload, what="SD-JWT payload")
    return sdjwt.present(
        parsed, payload, disclose=claim_paths(disclose), key=key, audience=audience, nonce=nonce, issued_at=now
    )
