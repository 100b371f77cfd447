"""Signed checkpoints of the audit chain: its head, kept outside the database, so a cut log shows.

A checkpoint is a compact JWS signed by the issuer's signing key (the one its credentials use, through
the key store), with header ``typ`` ``tawtiq-audit-checkpoint+jwt`` and the payload::

    {"iss": "<issuer URL>", "iat": <NumericDate>, "seq": <last event>, "hash": "<its chained hash>",
     "keyed_from": <first keyed event>}

``tawtiq audit checkpoint --out FILE`` writes one after checking the chain; the file is meant to leave
the machine (printed, mailed, committed elsewhere). ``tawtiq audit verify --checkpoint FILE`` reads it
back here (:func:`read_checkpoint`: format, ``typ``, header rules, issuer, then the signature with the
key the issuer's key history names for that ``kid`` and time) and :func:`issuer.audit.verify_chain`
checks the chain still holds that event with that hash and does not end before it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from issuer.audit import ChainReport, Checkpoint
from keys import KeyHistory
from vc import Signer
from vc.encoding import json_dumps, json_object
from vc.errors import FormatError
from vc.jose import SUPPORTED_ALGORITHMS, check_header, parse_compact, sign_compact

CHECKPOINT_TYP: Final = "tawtiq-audit-checkpoint+jwt"
_WHAT: Final = "audit checkpoint"


def sign_checkpoint(*, report: ChainReport, issuer: str, signer: Signer, now: datetime) -> str:
    """The compact JWS of the head ``report`` found, signed by ``signer`` at ``now``.

    Only an intact chain is worth a checkpoint: the caller checks ``report.ok`` first.
    """
    payload = {
        "iss": issuer,
        "iat": int(now.timestamp()),
        "seq": report.head_seq,
        "hash": report.head_hash,
        "keyed_from": report.keyed_from_seq,
    }
    return sign_compact(header={"typ": CHECKPOINT_TYP}, payload=json_dumps(payload), key=signer)


def read_checkpoint(token: str, *, history: KeyHistory, issuer: str) -> Checkpoint:
    """Parse and verify a checkpoint. Raises :class:`vc.errors.FormatError` for anything but a checkpoint
    of ``issuer``, :class:`vc.errors.SignatureError` or :class:`vc.errors.KeyResolutionError` when its
    signature does not verify with the key ``history`` names for it.
    """
    # (1) a compact JWS whose header says it is an audit checkpoint and passes the header rules
    jws = parse_compact(token.strip(), what=_WHAT)
    if jws.typ != CHECKPOINT_TYP:
        raise FormatError(
            f"{_WHAT} has the wrong type", code="audit.checkpoint_typ", found=jws.typ, expected=CHECKPOINT_TYP
        )
    algorithm = check_header(jws.header, allowed=SUPPORTED_ALGORITHMS, what=_WHAT)
    # (2) the payload's fields, typed
    claims = json_object(jws.payload, what=f"{_WHAT} payload")
    if claims.get("iss") != issuer:
        raise FormatError(
            f"{_WHAT} is from another issuer", code="audit.checkpoint_issuer", found=claims.get("iss"), expected=issuer
        )
    issued_at = datetime.fromtimestamp(_integer(claims, "iat", minimum=0), UTC)
    checkpoint = Checkpoint(
        seq=_integer(claims, "seq", minimum=0),
        hash=_digest(claims.get("hash")),
        keyed_from_seq=_integer(claims, "keyed_from", minimum=1),
        at=issued_at,
    )
    # (3) the signature, with the issuer's key for this kid at the time the checkpoint claims
    key = history.key_for(kid=jws.kid, algorithm=algorithm, signed_at=issued_at)
    key.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)
    return checkpoint


def _integer(claims: dict[str, Any], name: str, *, minimum: int) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FormatError(
            f"{_WHAT} claim '{name}' is not valid",
            code="audit.checkpoint_claim",
            found=value,
            expected=f"an integer ≥ {minimum}",
        )
    return value


def _digest(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise FormatError(
            f"{_WHAT} claim 'hash' is not valid",
            code="audit.checkpoint_claim",
            found=value,
            expected="64 lowercase hex digits",
        )
    return value
