"""Another issuer's JWK Set read as RFC 7517 defines it, into a key history.

Our own publication carries every member (:meth:`keys.KeyHistory.to_jwks`: ``kid`` as the RFC 7638 thumbprint,
``alg``, ``use``, ``nbf``) and our own store reads it back strictly (:meth:`keys.KeyHistory.from_jwks`). A standard
SD-JWT VC issuer publishes less, and a verifier must read it all the same. Here only ``kty`` is required:

* ``alg`` missing → derived from the key (EC P-256 → ES256, P-384 → ES384, P-521 → ES512, OKP Ed25519 → EdDSA,
  RSA → RS256); the engine still checks the token's algorithm against the policy's allowed set and the key's;
* ``use`` missing → accepted; ``use`` other than ``"sig"`` (or ``key_ops`` without ``"verify"``) → the key is left
  out as not for signatures;
* ``kid`` → any string, matched as a string (a key without one is known by its RFC 7638 thumbprint);
* ``nbf`` missing → no lower bound; our window members (``nbf``, ``tawtiq_retired_at``, ``revoked``) are honoured
  when present, and so are the compromised keys we list under ``tawtiq_compromised_keys`` (out of ``keys``, so
  that a standard verifier never uses them), so our own publication reads the same here as strictly.

Keys we cannot use — another key type or curve, an ``alg`` that does not fit the key, bad key material, not for
signatures — are left out as RFC 7517 §5 recommends, and remembered with the reason
(:attr:`keys.KeyHistory.unusable`) so that a token naming one is refused saying why. The set itself is refused
(:class:`vc.FormatError`) when it is not a JWK Set, holds private key members, repeats a ``kid``, or has a window
member that is not a NumericDate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from keys.history import (
    _EPOCH,
    _KEY_MEMBERS,
    COMPROMISED_KEYS_MEMBER,
    NOT_BEFORE_MEMBER,
    RETIRED_AT_MEMBER,
    KeyEntry,
    KeyHistory,
    _not_revoked,
    _numeric_date,
    _published_jwk,
    _refuse_exp,
    _revoked_at,
    compromised_jwks,
)
from vc.errors import ConfigurationError, FormatError, KeyResolutionError
from vc.jose import PublicKey


def foreign_key_history(document: Mapping[str, Any]) -> KeyHistory:
    """Read another issuer's JWK Set (see the module docstring). Raises :class:`vc.FormatError`:
    ``key.jwks_invalid``, ``key.jwk_invalid``, ``key.jwk_private``, ``key.jwk_time_invalid``,
    ``key.jwk_exp_unsupported``, ``key.duplicate_kid``, ``key.window_invalid``."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise FormatError(
            "JWK Set has no 'keys' array",
            code="key.jwks_invalid",
            found=type(document).__name__ if not isinstance(document, Mapping) else sorted(document),
            expected='{"keys": [...]}',
        )
    entries: list[KeyEntry] = []
    unusable: list[tuple[str, str]] = []
    listed = [(f"keys[{index}]", jwk) for index, jwk in enumerate(document["keys"])]
    listed += [(f"{COMPROMISED_KEYS_MEMBER}[{index}]", jwk) for index, jwk in enumerate(compromised_jwks(document))]
    for where, jwk in listed:
        if where.startswith(COMPROMISED_KEYS_MEMBER) and isinstance(jwk, Mapping) and "revoked" not in jwk:
            raise _not_revoked(where)
        entry_or_reason = _foreign_entry(jwk, where=where)
        if isinstance(entry_or_reason, KeyEntry):
            entries.append(entry_or_reason)
        elif isinstance(jwk.get("kid"), str):
            unusable.append((jwk["kid"], entry_or_reason))
    kids = [entry.kid for entry in entries] + [kid for kid, _ in unusable]
    repeated = sorted({kid for kid in kids if kids.count(kid) > 1})
    if repeated:
        raise FormatError("two JWKs share a kid", code="key.duplicate_kid", found=repeated[0])
    return KeyHistory(tuple(entries), unusable=tuple(unusable))


def _foreign_entry(jwk: Any, *, where: str) -> KeyEntry | str:
    """The key's entry, or why it may not verify signatures here. Raises for what makes the whole set wrong."""
    jwk = _published_jwk(jwk, where=where)
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise FormatError(f"{where} 'kid' is not a string", code="key.jwk_invalid", found=kid, expected="a string")
    _refuse_exp(jwk, where=where)
    not_before = _numeric_date(jwk, NOT_BEFORE_MEMBER, where=where) if NOT_BEFORE_MEMBER in jwk else _EPOCH
    retired_at = _numeric_date(jwk, RETIRED_AT_MEMBER, where=where) if RETIRED_AT_MEMBER in jwk else None
    compromised_at = _revoked_at(jwk, where=where)
    kty, use, key_ops = jwk.get("kty"), jwk.get("use"), jwk.get("key_ops")
    if kty not in _KEY_MEMBERS:
        return f"key type {kty!r} is not supported (EC, OKP or RSA)"
    if use is not None and use != "sig":
        return f"'use' is {use!r}, not 'sig'"
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return f"'key_ops' {key_ops!r} does not include 'verify'"
    public = _public_key(jwk, kty=kty, kid=kid)
    if isinstance(public, str):
        return public
    return _entry(public, not_before=not_before, retired_at=retired_at, compromised_at=compromised_at, where=where)


def _public_key(jwk: Mapping[str, Any], *, kty: str, kid: str | None) -> PublicKey | str:
    material = {name: jwk[name] for name in _KEY_MEMBERS[kty] if name in jwk}
    if "alg" in jwk:
        material["alg"] = jwk["alg"]
    try:
        public = PublicKey.from_jwk(material)
    except (FormatError, KeyResolutionError) as exc:
        return f"{exc.summary} (found {exc.found!r})" if exc.found is not None else exc.summary
    return PublicKey(key=public.key, jwk=public.jwk, kid=kid, algorithm=public.algorithm)


def _entry(
    public: PublicKey,
    *,
    not_before: datetime,
    retired_at: datetime | None,
    compromised_at: datetime | None,
    where: str,
) -> KeyEntry:
    try:
        return KeyEntry(
            key=public, not_before=not_before, retired_at=retired_at, compromised_at=compromised_at, foreign=True
        )
    except ConfigurationError as exc:
        raise FormatError(f"{where}: {exc.summary}", code=exc.code, found=exc.found, expected=exc.expected) from exc
