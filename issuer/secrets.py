"""The issuer's random secrets and the keyed values derived from them.

Four 256-bit keys are created by the first migration and live only in the database (``issuer_secret``),
so every replica derives the same values:

* ``pseudonym`` — keyed hashes that stand for a CNIE number in logs and audit details
  (``g-`` + 16 hex digits): they correlate events about one graduate without revealing who it is;
* ``credential_id`` — the credential id of a record, ``urn:uuid:<UUID>`` derived from the session, the
  CNIE and the record version: unguessable without the key, and the same however often ``cohort
  issue`` is interrupted and resumed (exactly-once by construction);
* ``offer`` — the pre-authorized code of an offer (derived from the offer id) and the keyed hash of its
  transaction code;
* ``nonce`` — the MAC of stateless ``c_nonce`` values.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import cached_property

from sqlmodel import Session, select

from issuer.models import SECRET_NAMES, IssuerSecret
from vc.encoding import b64url_encode
from vc.errors import ConfigurationError


def sha256_hex(text: str) -> str:
    """Unkeyed SHA-256 (hex) of a high-entropy secret, as stored for lookup (codes, tokens, nonces)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuerSecrets:
    """The four keys; ``repr`` never shows them."""

    pseudonym: bytes = field(repr=False)
    credential_id: bytes = field(repr=False)
    offer: bytes = field(repr=False)
    nonce: bytes = field(repr=False)

    def pseudonym_of(self, cnie: str) -> str:
        """The log pseudonym of a CNIE number: ``g-`` and 16 hex digits."""
        digest = hmac.new(self.pseudonym, b"cnie\x00" + cnie.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"g-{digest[:16]}"

    def record_id(self, *, session: str, cnie: str, version: int) -> str:
        """The credential id of version ``version`` of the record of ``cnie`` in ``session``.

        ``urn:uuid:`` and the first 128 bits of HMAC-SHA256 with the UUID version-4 and variant bits set
        (so it reads as the random UUID it is indistinguishable from).
        """
        digest = self._record_mac.copy()
        digest.update(f"diploma\x00{session}\x00{cnie}\x00{version}".encode())
        raw = bytearray(digest.digest()[:16])
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        text = raw.hex()
        return f"urn:uuid:{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    @cached_property
    def _record_mac(self) -> hmac.HMAC:
        return hmac.new(self.credential_id, digestmod=hashlib.sha256)

    def offer_code(self, offer_id: str) -> str:
        """The pre-authorized code of offer ``offer_id`` (43 base64url characters)."""
        digest = hmac.new(self.offer, b"pre-authorized_code\x00" + offer_id.encode(), hashlib.sha256).digest()
        return b64url_encode(digest)

    def tx_code_hash(self, offer_id: str, tx_code: str) -> str:
        """The keyed hash stored for the transaction code of an offer."""
        message = f"tx_code\x00{offer_id}\x00{tx_code}".encode()
        return hmac.new(self.offer, message, hashlib.sha256).hexdigest()

    def nonce_mac(self, payload: bytes) -> bytes:
        """The 128-bit MAC of a ``c_nonce`` payload."""
        return hmac.new(self.nonce, b"c_nonce\x00" + payload, hashlib.sha256).digest()[:16]


def load_secrets(session: Session) -> IssuerSecrets:
    """Read the secrets. Raises :class:`ConfigurationError` ``db.secrets_missing`` if the database is not migrated."""
    rows = {row.name: row.value for row in session.exec(select(IssuerSecret)).all()}
    missing = [name for name in SECRET_NAMES if name not in rows]
    if missing:
        raise ConfigurationError(
            "the issuer's secrets are missing from the database; run `tawtiq db upgrade`",
            code="db.secrets_missing",
            found=missing,
        )
    return IssuerSecrets(**{name: bytes(rows[name]) for name in SECRET_NAMES})
