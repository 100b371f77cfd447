"""The printed diploma's offline QR for a record: :func:`offline_credential`.

The compact credential (:mod:`vc.offline`, ``TQ1:``) holds what a person checks on the paper — names in both scripts,
CNIE, birth date, stream, session, average, mention, the credential id — and the record's own status reference
(its slot in the shard's Token Status List), signed now with the issuer's current key. A verifier checks the
signature with the issuer's keys it already holds, without a network, and adds the record's status when it can
reach the list: revoking or suspending the record reaches the paper too.

Only an active record is printed. Each call is one audit event (``credential.offline_qr``: the key, no personal
data), written in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from common.qr import PRINTED_ERROR, qr_png, qr_svg, qr_version
from issuer import audit
from issuer.errors import ConflictError
from issuer.issuance import recorded_subject
from issuer.keyring import Keyring
from issuer.models import ACTIVE, Diploma
from issuer.settings import Settings
from issuer.status import token_list_url
from vc import ConfigurationError, OfflineDiploma, issue_offline
from vc.statuslist import TokenStatusReference


@dataclass(frozen=True)
class OfflineQr:
    """A record's offline QR: the ``TQ1:`` text, the key that signed it and the QR version it needs at level Q."""

    diploma_id: str
    text: str
    kid: str
    version: int

    def png(self, *, scale: int = 8) -> bytes:
        """The QR code as PNG, at error correction Q."""
        return qr_png(self.text, scale=scale, error=PRINTED_ERROR)

    def svg(self, *, scale: int = 6) -> bytes:
        """The QR code as SVG, at error correction Q."""
        return qr_svg(self.text, scale=scale, error=PRINTED_ERROR, title="Tawtiq TQ1")


def offline_credential(
    db: Session, *, diploma: Diploma, settings: Settings, keyring: Keyring, actor: str, now: datetime
) -> OfflineQr:
    """Sign the offline QR of ``diploma`` (see the module docstring) inside ``db``'s (writing) transaction.

    Raises :class:`ConflictError` ``diploma.not_active`` for a revoked or suspended record,
    :class:`ConfigurationError` ``diploma.no_status_slot`` for a record without its own status slot,
    ``diploma.snapshot_invalid`` for a stored subject that no longer validates, and the key ring's errors.
    """
    if diploma.status != ACTIVE:
        raise ConflictError(
            f"the diploma is {diploma.status}; no offline QR is printed for it",
            code="diploma.not_active",
            found=diploma.status,
            expected="an active diploma",
        )
    slot = db.execute(
        text(
            "SELECT shard, idx FROM status_slot WHERE graduate_id = :g AND version = :v AND copy_id IS NULL "
            "ORDER BY shard, idx LIMIT 1"
        ).bindparams(g=diploma.graduate_id, v=diploma.version)
    ).first()
    if slot is None:
        raise ConfigurationError(
            "the record has no status slot of its own, so a printed copy could never be revoked",
            code="diploma.no_status_slot",
            found=diploma.id,
            expected="a slot allocated when the record was created",
        )
    subject = recorded_subject(diploma)
    key = keyring.signing_key(at=now)
    printed = OfflineDiploma(
        credential_id=diploma.id,
        family_name_ar=subject.family_name.ar,
        family_name_lat=subject.family_name.lat,
        given_name_ar=subject.given_name.ar,
        given_name_lat=subject.given_name.lat,
        birth_date=subject.birth_date,
        cnie=str(subject.cnie),
        stream=subject.stream.code,
        session_year=subject.session.year,
        session_type=subject.session.type,
        average=subject.general_average,
        mention=subject.mention,
    )
    shard, index = int(slot[0]), int(slot[1])
    credential = issue_offline(
        printed,
        issuer=settings.issuer_url,
        key=key,
        issued_at=now,
        status=TokenStatusReference(index=index, uri=token_list_url(settings, shard)),
    )
    audit.append(
        db,
        actor=actor,
        action="credential.offline_qr",
        target=diploma.id,
        at=now,
        details={"kid": key.kid, "shard": shard, "index": index},
    )
    return OfflineQr(diploma.id, credential, key.kid or key.public.thumbprint(), qr_version(credential, error="q"))
