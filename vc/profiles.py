"""Credential profiles (DESIGN.md §3) and issuance in each of them.

* ``vc+sd-jwt`` — W3C VCDM 2.0 secured with SD-JWT (VC-JOSE-COSE §3.2); the diploma's default.
* ``dc+sd-jwt`` — IETF SD-JWT VC (plain JSON claims, ``vct``), spoken over OpenID4VCI/VP.
* ``vc+jwt`` — an unselective W3C credential (VC-JOSE-COSE §3.1), e.g. a status-list credential.
* ``vp+jwt`` / ``vp+sd-jwt`` — W3C presentations with enveloped credentials (the W3C test suite's forms).
* ``vc+cose`` / ``vp+cose`` — a W3C credential or presentation as the payload of a COSE_Sign1 (VC-JOSE-COSE §3.3,
  :mod:`vc.cose`), transmitted as standard base64 without padding, as the W3C test suite does.

The payload of the W3C profiles *is* the credential (no ``vc``/``vp`` claims); ``iss`` and ``iat`` are
added so that generic JWT tooling finds the issuer and the key history knows when it was signed.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from vc import sdjwt
from vc.claims import ClaimPath, format_claim_path
from vc.cose import CONTENT_TYPE, TYP, sign1
from vc.encoding import json_dumps
from vc.errors import ConfigurationError
from vc.jose import PublicKey, Signer, sign_compact
from vc.sdjwt import DEFAULT_DECOYS, DecoyPolicy, RandomBytes
from vc.statuslist import TokenStatusReference
from vc.vcdm import ContextRegistry, node_id, validate_credential, validate_presentation


class Profile(StrEnum):
    """A securing format, named by its JWS ``typ``."""

    VC_SD_JWT = "vc+sd-jwt"
    DC_SD_JWT = "dc+sd-jwt"
    VC_JWT = "vc+jwt"
    VP_JWT = "vp+jwt"
    VP_SD_JWT = "vp+sd-jwt"
    VC_COSE = "vc+cose"
    VP_COSE = "vp+cose"

    @property
    def cose(self) -> bool:
        """Secured with COSE_Sign1 (``typ`` is then the media type, ``application/vc+cose``)."""
        return self in (Profile.VC_COSE, Profile.VP_COSE)

    @property
    def selective(self) -> bool:
        return self in (Profile.VC_SD_JWT, Profile.DC_SD_JWT, Profile.VP_SD_JWT)

    @property
    def presentation(self) -> bool:
        return self in (Profile.VP_JWT, Profile.VP_SD_JWT, Profile.VP_COSE)

    @property
    def w3c(self) -> bool:
        return self is not Profile.DC_SD_JWT

    @property
    def content_type(self) -> str | None:
        """The JWS ``cty`` of W3C profiles (VC-JOSE-COSE §3.1.1): ``vc`` or ``vp``."""
        if not self.w3c:
            return None
        return "vp" if self.presentation else "vc"

    @property
    def media_type(self) -> str:
        return f"application/{self.value}"


#: W3C members that stay in clear whatever the caller asks (DESIGN.md §3).
W3C_NEVER_DISCLOSABLE: Final = frozenset({"@context", "type", "issuer", "validFrom", "credentialStatus", "cnf"})
#: SD-JWT VC claims that must not be selectively disclosable (SD-JWT VC §3.2.2.2).
SD_JWT_VC_NEVER_DISCLOSABLE: Final = frozenset({"iss", "nbf", "exp", "cnf", "vct", "status", "vct#integrity"})


def _refuse_never_disclosable(paths: tuple[ClaimPath, ...], forbidden: frozenset[str]) -> None:
    # A path inside one of them (type[1], status.status_list.idx) would let the holder withhold part of it.
    refused = [format_claim_path(path) for path in paths if path and path[0] in forbidden]
    if refused:
        raise ConfigurationError(
            "these claims can never be selectively disclosable",
            code="issue.not_disclosable",
            found=refused,
            expected=f"none of {sorted(forbidden)}",
        )


def issue_w3c(
    document: Mapping[str, Any],
    *,
    profile: Profile,
    key: Signer,
    contexts: ContextRegistry,
    issued_at: datetime,
    disclosable: Iterable[ClaimPath] = (),
    holder: PublicKey | None = None,
    random_bytes: RandomBytes = os.urandom,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
) -> str:
    """Sign a W3C credential or presentation in ``profile``.

    The document is validated against VCDM 2.0 and the pinned ``contexts`` first (unknown top-level
    properties refuse issuance). Returns the compact JWT or SD-JWT. Raises :class:`FormatError` for an
    invalid document and :class:`ConfigurationError` for an impossible request. COSE profiles return the
    COSE_Sign1 in standard base64 without padding.
    """
    if not profile.w3c:
        raise ConfigurationError("not a W3C profile", code="issue.profile", found=profile, expected="vc+*/vp+*")
    paths = tuple(disclosable)
    if paths and not profile.selective:
        raise ConfigurationError(
            "only SD-JWT profiles have selectively disclosable claims", code="issue.profile", found=profile
        )
    if profile.presentation:
        facts = validate_presentation(document, contexts)
        issuer = facts.holder
    else:
        issuer = validate_credential(document, contexts).issuer
    _refuse_never_disclosable(paths, W3C_NEVER_DISCLOSABLE)
    claims: dict[str, Any] = dict(document)
    if issuer is not None:
        claims.setdefault("iss", issuer)
    claims.setdefault("iat", int(issued_at.timestamp()))
    if profile.cose:
        headers = {TYP: profile.media_type, CONTENT_TYPE: f"application/{profile.content_type}"}
        kid = key.kid.encode("utf-8") if key.kid is not None else None
        message = sign1(json_dumps(claims), key=key, kid=kid, headers=headers)
        return base64.b64encode(message).decode("ascii").rstrip("=")
    header = {"typ": profile.value, "cty": profile.content_type}
    if not profile.selective:
        return sign_compact(header=header, payload=json_dumps(claims), key=key)
    return sdjwt.issue(
        claims, key=key, header=header, disclosable=paths, holder=holder, random_bytes=random_bytes, decoys=decoys
    )


def issue_sd_jwt_vc(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    vct: str,
    key: Signer,
    issued_at: datetime,
    disclosable: Iterable[ClaimPath] = (),
    holder: PublicKey | None = None,
    status: TokenStatusReference | None = None,
    random_bytes: RandomBytes = os.urandom,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
) -> str:
    """Issue an IETF SD-JWT VC (``typ: dc+sd-jwt``) with ``iss``, ``vct``, ``iat`` and optional status."""
    paths = tuple(disclosable)
    _refuse_never_disclosable(paths, SD_JWT_VC_NEVER_DISCLOSABLE)
    clashes = sorted({"iss", "vct", "iat", "cnf", "status"}.intersection(claims))
    if clashes:
        raise ConfigurationError(
            "claims must not set registered SD-JWT VC claims; pass them as arguments",
            code="issue.registered_claim",
            found=clashes,
        )
    payload: dict[str, Any] = {"iss": issuer, "vct": vct, "iat": int(issued_at.timestamp()), **claims}
    if status is not None:
        payload["status"] = {"status_list": {"idx": status.index, "uri": status.uri}}
    return sdjwt.issue(
        payload,
        key=key,
        header={"typ": Profile.DC_SD_JWT.value},
        disclosable=paths,
        holder=holder,
        random_bytes=random_bytes,
        decoys=decoys,
    )


def issuer_of(document: Mapping[str, Any]) -> str | None:
    """The issuer identifier a payload names in clear: ``iss``, else the W3C ``issuer``/``holder``."""
    iss = document.get("iss")
    if isinstance(iss, str):
        return iss
    return node_id(document.get("issuer")) or node_id(document.get("holder"))
