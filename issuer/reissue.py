"""Re-issuing what a compromised key signed: its copies are revoked one by one and each record gets a new offer.

A compromised key verifies nothing any more (:mod:`keys.history`), so every copy it signed — the ministry's honest
ones included — fails everywhere. The issuer recorded the ``kid`` of every copy (``credential_copy.issuer_kid``), so
it knows exactly which records are touched. For each, in one transaction: the copies that key signed are revoked on
their own (``status_slot.revoked_at``, in both list formats; the record itself stays as it is), an OpenID4VCI offer
(pre-authorized code and PIN) is made for an active record, and a ``key_reissue`` row notes it, so that running
again makes no second offer for the same record (exactly once, resumable). The offers are returned as
:class:`Notice` rows for the ministry's channels to deliver; nothing here writes files.

A suspended or revoked record has its copies revoked all the same but gets no offer (a suspended one is offered
with ``tawtiq diploma offer`` once reinstated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

import schemas
from issuer import audit
from issuer.models import ACTIVE, CredentialCopy, Diploma, Graduate, KeyReissue, StatusShard, StatusSlot
from issuer.oid4vci import create_offer
from issuer.secrets import IssuerSecrets
from issuer.settings import Settings


@dataclass(frozen=True)
class ReissuePlan:
    """What a compromise of ``kid`` touches: records with a copy it signed, not yet re-issued for it."""

    kid: str
    records: int
    copies: int
    already_reissued: int


@dataclass(frozen=True)
class Notice:
    """One graduate to reach: the record, the masked CNIE, and the new offer (``offer_uri`` and ``tx_code`` empty
    when the record is not active and gets no offer). Holds a PIN: only ever written to a private file."""

    credential_id: str
    masked_cnie: str
    status: str
    offer_uri: str
    tx_code: str
    expires_at: str


def plan(db: Session, *, kid: str) -> ReissuePlan:
    """Count the records and copies a compromise of ``kid`` still has to re-issue (read only)."""
    done = select(col(KeyReissue.diploma_id)).where(col(KeyReissue.kid) == kid)
    pending = (col(CredentialCopy.issuer_kid) == kid) & col(CredentialCopy.diploma_id).not_in(done)
    records, copies = db.execute(
        select(func.count(func.distinct(CredentialCopy.diploma_id)), func.count()).where(pending)
    ).one()
    already = db.execute(select(func.count()).select_from(KeyReissue).where(col(KeyReissue.kid) == kid)).scalar_one()
    return ReissuePlan(kid=kid, records=int(records), copies=int(copies), already_reissued=int(already))


def reissue(
    db: Session,
    *,
    kid: str,
    settings: Settings,
    secrets: IssuerSecrets,
    actor: str,
    now: datetime,
    reason: str,
) -> list[Notice]:
    """Revoke every copy ``kid`` signed and make one offer per active record not yet re-issued for ``kid``; every
    status list is signed again (by the active key) on its next request.

    Runs in the caller's transaction; the caller commits (or rolls back) it whole. Returns one :class:`Notice`
    per record handled now (none on a repeated run) and audits ``key.reissue`` when there was anything to do.
    """
    done = select(col(KeyReissue.diploma_id)).where(col(KeyReissue.kid) == kid)
    diploma_ids = sorted(
        db.execute(
            select(col(CredentialCopy.diploma_id))
            .where(col(CredentialCopy.issuer_kid) == kid, col(CredentialCopy.diploma_id).not_in(done))
            .distinct()
        ).scalars()
    )
    notices: list[Notice] = []
    revoked_copies = 0
    shards: set[int] = set()
    for diploma_id in diploma_ids:
        diploma = db.execute(select(Diploma).where(col(Diploma.id) == diploma_id).with_for_update()).scalar_one()
        copy_ids = list(
            db.execute(
                select(col(CredentialCopy.id)).where(
                    col(CredentialCopy.diploma_id) == diploma_id, col(CredentialCopy.issuer_kid) == kid
                )
            ).scalars()
        )
        shards.update(
            db.execute(select(col(StatusSlot.shard)).where(col(StatusSlot.copy_id).in_(copy_ids)).distinct()).scalars()
        )
        db.execute(
            update(StatusSlot)
            .where(col(StatusSlot.copy_id).in_(copy_ids), col(StatusSlot.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        revoked_copies += len(copy_ids)
        cnie = db.execute(select(col(Graduate.cnie)).where(col(Graduate.id) == diploma.graduate_id)).scalar_one()
        masked = schemas.mask_identifier(cnie)
        if diploma.status == ACTIVE:
            offer = create_offer(db, diploma=diploma, settings=settings, secrets=secrets, actor=actor, now=now)
            db.add(
                KeyReissue(
                    kid=kid, diploma_id=diploma_id, offer_id=offer.reference, copies=len(copy_ids), created_at=now
                )
            )
            notice = Notice(
                diploma_id, masked, diploma.status, offer.offer_uri, offer.tx_code, offer.expires_at.isoformat()
            )
        else:
            db.add(KeyReissue(kid=kid, diploma_id=diploma_id, offer_id="", copies=len(copy_ids), created_at=now))
            notice = Notice(diploma_id, masked, diploma.status, "", "", "")
        notices.append(notice)
    # Every list document signed so far may carry the compromised key's signature: a new version of every shard
    # has each list signed again, by the active key, on its next request (on every replica).
    db.execute(update(StatusShard).values(version=col(StatusShard.version) + 1))
    db.flush()
    if notices:
        audit.append(
            db,
            actor=actor,
            action="key.reissue",
            target=kid,
            at=now,
            reason=reason,
            details={
                "records": len(notices),
                "offers": sum(1 for notice in notices if notice.offer_uri),
                "copies_revoked": revoked_copies,
                "shards": sorted(shards),
            },
        )
    return notices
