"""COSE_Sign1 (RFC 9052 §4.2, §4.4) over the engine's keys: signing through any :class:`~vc.jose.Signer`, strict
parsing of untrusted bytes, verification with a :class:`~vc.jose.PublicKey`.

Written on cbor2 (:mod:`vc.cbor`) rather than taken from a COSE library: the COSE libraries on PyPI (python-cwt,
pycose) sign with private keys they hold as their own key objects, which an issuer key inside a PKCS#11 token never
is, and decode with cbor2 unbounded before any check. COSE_Sign1 itself is a four-item array and a fixed
``Sig_structure``; the signature bytes of ES256/ES384/ES512 and EdDSA are exactly those of JWS (raw ``r||s``), so
:meth:`~vc.jose.Signer.sign` and :meth:`~vc.jose.PublicKey.verify` serve both formats unchanged. The W3C VC-JOSE-COSE
suite's messages (made elsewhere, with P-256, P-384 and Ed25519 keys) are verified in ``tests/vc/test_cose.py``.

Header rules (RFC 9052 §3): ``alg`` must be in the protected header; no label may be in both buckets; a ``crit``
header is refused (this engine understands no critical extension); keys are never taken from the message (``x5chain``
and COSE_Key headers are ignored, the caller's resolver supplies the key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import cbor2

from vc.cbor import COSE_SIGN1_TAG, DEFAULT_MAX_BYTES, dumps, loads
from vc.errors import FormatError
from vc.jose import PublicKey, Signer

#: COSE algorithm identifiers (IANA COSE Algorithms) of the JOSE algorithms the engine signs and verifies.
COSE_ALGORITHMS: Final = {"ES256": -7, "ES384": -35, "ES512": -36, "EdDSA": -8}
_JOSE_NAMES: Final = {number: name for name, number in COSE_ALGORITHMS.items()}

#: Common header labels (RFC 9052 §3.1).
ALG: Final = 1
CRIT: Final = 2
CONTENT_TYPE: Final = 3
KID: Final = 4
TYP: Final = 16  # RFC 9596


@dataclass(frozen=True, slots=True)
class Sign1:
    """A parsed, not yet verified, COSE_Sign1 message."""

    protected: Mapping[int | str, Any]
    protected_bytes: bytes
    unprotected: Mapping[int | str, Any]
    payload: bytes
    signature: bytes

    @property
    def algorithm(self) -> str:
        """The JOSE name of the protected ``alg`` (checked by :func:`parse_sign1`)."""
        return _JOSE_NAMES[self.protected[ALG]]

    @property
    def kid(self) -> bytes | None:
        """The ``kid``, protected or not (a bstr)."""
        value = self.protected.get(KID, self.unprotected.get(KID))
        return value if isinstance(value, bytes) else None

    def header(self, label: int) -> Any:
        """A header parameter, protected first."""
        return self.protected.get(label, self.unprotected.get(label))

    @property
    def to_be_signed(self) -> bytes:
        """``Sig_structure`` for a COSE_Sign1 with no external AAD (RFC 9052 §4.4)."""
        return dumps(["Signature1", self.protected_bytes, b"", self.payload])

    def verify(self, key: PublicKey) -> None:
        """Verify the signature with ``key``. Raises :class:`SignatureError`."""
        key.verify(algorithm=self.algorithm, message=self.to_be_signed, signature=self.signature)


def sign1(payload: bytes, *, key: Signer, kid: bytes | None, headers: Mapping[int, Any] | None = None) -> bytes:
    """A tagged COSE_Sign1 over ``payload`` signed by ``key``: ``alg`` and ``kid`` (when given) and ``headers`` in
    the protected bucket, nothing unprotected.

    Raises :class:`FormatError` ``cose.algorithm`` when the key's algorithm has no COSE identifier here.
    """
    algorithm = key.algorithm
    if algorithm not in COSE_ALGORITHMS:
        raise FormatError(
            "this key's algorithm cannot sign COSE here",
            code="cose.algorithm",
            found=algorithm,
            expected=sorted(COSE_ALGORITHMS),
        )
    protected: dict[int, Any] = {ALG: COSE_ALGORITHMS[algorithm]}
    if kid is not None:
        protected[KID] = kid
    protected.update(headers or {})
    protected_bytes = dumps(protected)
    to_be_signed = dumps(["Signature1", protected_bytes, b"", payload])
    signature = key.sign(to_be_signed)
    return dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected_bytes, {}, payload, signature]))


def parse_sign1(data: bytes, *, what: str = "COSE_Sign1", max_bytes: int = DEFAULT_MAX_BYTES) -> Sign1:
    """Parse a tagged COSE_Sign1 (tag 18) from untrusted bytes (bounded by :func:`vc.cbor.loads`).

    Raises :class:`FormatError`: the ``cbor.*`` codes, ``cose.not_sign1`` (not a tagged four-item array of the
    right types), ``cose.detached`` (no payload), ``cose.header_invalid`` (a header that is not a map, a label in
    both buckets, ``alg`` unprotected or missing, a ``kid`` that is not a bstr), ``cose.crit_unsupported`` and
    ``cose.algorithm`` (an algorithm this engine does not verify).
    """
    item = loads(data, what=what, max_bytes=max_bytes, allowed_tags=frozenset({COSE_SIGN1_TAG}))
    if not isinstance(item, cbor2.CBORTag) or item.tag != COSE_SIGN1_TAG:
        raise FormatError(
            f"{what} is not a tagged COSE_Sign1",
            code="cose.not_sign1",
            found=f"tag {item.tag}" if isinstance(item, cbor2.CBORTag) else type(item).__name__,
            expected="tag 18 around [protected, unprotected, payload, signature]",
        )
    value = item.value
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or len(value) != 4:
        raise FormatError(
            f"{what} is not a four-item array",
            code="cose.not_sign1",
            found=f"{len(value)} items" if isinstance(value, Sequence) else type(value).__name__,
            expected="[protected, unprotected, payload, signature]",
        )
    protected_bytes, unprotected, payload, signature = value
    if payload is None:
        raise FormatError(f"{what} has a detached payload", code="cose.detached", expected="the payload inside")
    types = (
        ("protected header", protected_bytes, bytes),
        ("unprotected header", unprotected, Mapping),
        ("payload", payload, bytes),
        ("signature", signature, bytes),
    )
    for name, part, kind in types:
        if not isinstance(part, kind):
            raise FormatError(
                f"{what}'s {name} has the wrong type",
                code="cose.not_sign1",
                found=type(part).__name__,
                expected="a byte string" if kind is bytes else "a map",
            )
    protected = _protected_map(protected_bytes, what=what)
    _check_headers(protected, unprotected, what=what)
    return Sign1(
        protected=protected,
        protected_bytes=protected_bytes,
        unprotected=unprotected,
        payload=payload,
        signature=signature,
    )


def _protected_map(protected_bytes: bytes, *, what: str) -> Mapping[int | str, Any]:
    if not protected_bytes:
        return {}
    protected = loads(protected_bytes, what=f"{what}'s protected header", max_depth=4)
    if not isinstance(protected, Mapping):
        raise FormatError(
            f"{what}'s protected header is not a map",
            code="cose.header_invalid",
            found=type(protected).__name__,
            expected="a CBOR map",
        )
    return protected


def _check_headers(protected: Mapping[int | str, Any], unprotected: Mapping[int | str, Any], *, what: str) -> None:
    both = sorted(map(str, set(protected).intersection(unprotected)))
    if both:
        raise FormatError(
            f"{what} has header labels in both buckets",
            code="cose.header_invalid",
            found=both,
            expected="each label once (RFC 9052 §3)",
        )
    if CRIT in protected or CRIT in unprotected:
        raise FormatError(
            f"{what} marks headers as critical",
            code="cose.crit_unsupported",
            found=protected.get(CRIT, unprotected.get(CRIT)),
            expected="no 'crit' header",
        )
    if ALG not in protected:
        raise FormatError(
            f"{what} has no protected 'alg'",
            code="cose.header_invalid",
            found="alg unprotected" if ALG in unprotected else "no alg",
            expected="alg in the protected header",
        )
    algorithm = protected[ALG]
    if isinstance(algorithm, bool) or algorithm not in _JOSE_NAMES:
        raise FormatError(
            f"{what} uses an algorithm this verifier does not accept",
            code="cose.algorithm",
            found=algorithm,
            expected=dict(_JOSE_NAMES),
        )
    kid = protected.get(KID, unprotected.get(KID))
    if kid is not None and not isinstance(kid, bytes):
        raise FormatError(
            f"{what}'s kid is not a byte string", code="cose.header_invalid", found=type(kid).__name__, expected="bstr"
        )
