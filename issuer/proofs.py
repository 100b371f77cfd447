"""Key proofs of the OpenID4VCI ``jwt`` proof type (OpenID4VCI 1.0 §F.1, F.4), checked without I/O.

A wallet proves it holds the key a copy will be bound to with a JWT::

    header  {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": {<the holder's public key>}}
    payload {"aud": "<credential issuer identifier>", "iat": <now>, "nonce": "<c_nonce from POST /nonce>"}

signed with that key. :func:`check_jwt_proof` applies every rule of §F.4, numbered below, and returns the
holder's key; :class:`ProofError` and :class:`NonceError` carry the description of the OAuth error the
credential endpoint answers with (``invalid_proof`` / ``invalid_nonce``). Whether the nonce is one this
issuer handed out and is still unused is checked by :mod:`issuer.oid4vci`, which owns the state.

Accepted key types follow the configured algorithms (``TAWTIQ_PROOF_ALGORITHMS``; by default ES256 on
P-256, ES384, ES512 and EdDSA): the key's curve must match ``alg``. The key must be given as ``jwk``
(the only binding method this issuer advertises); ``kid``, ``x5c``, ``key_attestation`` and
``trust_chain`` are refused, and so are private key members. The key handed back, and so the ``cnf.jwk``
the ministry signs, holds only the public members its key type defines (:data:`PUBLIC_MEMBERS`), re-encoded
from the key itself: whatever else the wallet put in its ``jwk`` (``kid``, ``alg``, ``use``, ``ext``, private
extensions) never reaches a signed credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from vc import CredentialError, PublicKey
from vc.encoding import json_object
from vc.jose import REFUSED_ALGORITHMS, parse_compact

PROOF_TYPE: Final = "openid4vci-proof+jwt"
MAX_PROOF_LENGTH: Final = 8_192
#: The public members of each key type (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2): all that ``cnf.jwk`` carries.
PUBLIC_MEMBERS: Final = {"EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x"), "RSA": ("kty", "n", "e")}
#: Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class ProofError(Exception):
    """A proof is invalid (OAuth error ``invalid_proof``)."""


class NonceError(Exception):
    """A proof's nonce is not acceptable (OAuth error ``invalid_nonce``)."""


@dataclass(frozen=True)
class ProofRules:
    """What a proof must satisfy: audience, algorithms, age window."""

    audience: str
    algorithms: frozenset[str]
    max_age: timedelta
    clock_skew: timedelta


@dataclass(frozen=True)
class ValidProof:
    """A proof that passed every check: the holder's key, the nonce it carries, when it was made."""

    key: PublicKey
    nonce: str
    issued_at: datetime


def check_jwt_proof(proof: Any, *, rules: ProofRules, now: datetime) -> ValidProof:
    """Check one ``jwt`` proof and return the key it proves. Raises :class:`ProofError` or :class:`NonceError`."""
    # (1) A compact JWS of bounded size.
    if not isinstance(proof, str) or not proof:
        raise ProofError("each proof must be a JWT string")
    if len(proof) > MAX_PROOF_LENGTH:
        raise ProofError(f"a proof is longer than {MAX_PROOF_LENGTH} characters")
    try:
        jws = parse_compact(proof, what="proof")
    except CredentialError as exc:
        raise ProofError(f"the proof is not a compact JWS ({exc.summary})") from exc
    header = jws.header
    # (2) §F.4: explicitly typed.
    if header.get("typ") != PROOF_TYPE:
        raise ProofError(f"the proof header 'typ' must be {PROOF_TYPE}, found {_short(header.get('typ'))}")
    # (3) §F.4: an asymmetric algorithm this issuer accepts; never none or a MAC.
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm in REFUSED_ALGORITHMS or algorithm.startswith("HS"):
        raise ProofError(f"the proof algorithm {_short(algorithm)} is refused; use one of {sorted(rules.algorithms)}")
    if algorithm not in rules.algorithms:
        raise ProofError(
            f"the proof algorithm {_short(algorithm)} is not supported; use one of {sorted(rules.algorithms)}"
        )
    if "crit" in header:
        raise ProofError("the proof header has 'crit' extensions this issuer does not understand")
    # (4) §F.1: the key as 'jwk' (kid, x5c and attestations are not supported here).
    for unsupported in ("kid", "x5c", "key_attestation", "trust_chain"):
        if unsupported in header:
            raise ProofError(f"the proof header has '{unsupported}'; give the holder key as 'jwk'")
    jwk = header.get("jwk")
    if not isinstance(jwk, Mapping):
        raise ProofError("the proof header has no 'jwk' object with the holder's public key")
    # (5) §F.4: no private key in the header; a supported key type matching 'alg'; only its public members kept.
    private = sorted(name for name in jwk if name in PRIVATE_MEMBERS)
    if private:
        public = PUBLIC_MEMBERS.get(str(jwk.get("kty")), PUBLIC_MEMBERS["EC"])
        raise ProofError(
            f"the proof 'jwk' carries private key members {private}; send only the public key "
            f"({', '.join(public)}) and keep the private key on the device"
        )
    try:
        key = PublicKey.from_key(PublicKey.from_jwk(jwk).key)
    except CredentialError as exc:
        raise ProofError(f"the proof 'jwk' is not an acceptable public key ({exc.summary})") from exc
    if key.algorithm != algorithm:
        raise ProofError(f"the proof key is a {key.algorithm} key but 'alg' is {algorithm}")
    # (6) §F.4: the signature verifies with that key.
    try:
        key.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)
    except CredentialError as exc:
        raise ProofError("the proof signature does not verify with the key in its header") from exc
    try:
        claims = json_object(jws.payload, what="proof payload")
    except CredentialError as exc:
        raise ProofError(f"the proof payload is not a JSON object ({exc.summary})") from exc
    # (7) §F.1: 'aud' is the credential issuer identifier.
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if rules.audience not in audiences:
        raise ProofError(f"the proof 'aud' must be {rules.audience}, found {_short(audience)}")
    # (8) §F.1, §13.4: 'iat' within the acceptable window.
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        raise ProofError("the proof has no numeric 'iat'")
    try:
        issued_at = datetime.fromtimestamp(issued, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProofError("the proof 'iat' is not a valid time") from exc
    if issued_at > now + rules.clock_skew:
        raise ProofError("the proof 'iat' is in the future; check the device clock")
    if issued_at < now - rules.max_age - rules.clock_skew:
        raise ProofError(f"the proof is too old: 'iat' must be within {int(rules.max_age.total_seconds())} s")
    expiry = claims.get("exp")
    if expiry is not None and (
        not isinstance(expiry, int | float) or isinstance(expiry, bool) or expiry <= now.timestamp()
    ):
        raise ProofError("the proof has expired ('exp')")
    # (9) §F.1: the server-provided nonce (this issuer has a nonce endpoint, so it is required).
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ProofError("the proof has no 'nonce'; get one from the nonce endpoint")
    return ValidProof(key=key, nonce=nonce, issued_at=issued_at)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "..."
