"""Signed copies of a diploma record, in either profile, each with its own status slot.

A copy is what a wallet (OpenID4VCI) or a back-office client (VCALM) receives: the record's claims
signed now with the issuer's current key, optionally bound to the holder's key (``cnf.jwk``). Every copy
gets its own status slot, allocated in the same transaction that records the copy, so revoking or
suspending the record changes every copy's bit; the copy row keeps no personal data.

Profiles and what they carry:

* ``vc+sd-jwt`` — the W3C credential from :func:`schemas.w3c_credential`: ``id`` is the record's
  credential id, two ``BitstringStatusListEntry`` entries (revocation, suspension) share the copy's
  index; every subject claim is selectively disclosable.
* ``dc+sd-jwt`` — the SD-JWT VC from :func:`schemas.sd_jwt_vc_claims` with ``vct`` =
  :data:`schemas.DIPLOMA_VCT` and ``status.status_list = {idx, uri}`` into the 2-bit Token Status List
  (served over https, or plain http on the loopback interface in development, like the issuer itself).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from sqlalchemy import Connection
from sqlmodel import Session

import schemas
from common.diploma import diploma_contexts
from issuer import audit
from issuer.errors import ConflictError
from issuer.keyring import Keyring
from issuer.models import ACTIVE, Diploma, table
from issuer.settings import Settings
from issuer.status import ListKind, Owner, Slot, allocate, bitstring_url, record_slots, token_list_url
from vc import ConfigurationError, Profile, PublicKey, issue

#: The profiles a copy can be issued in.
COPY_PROFILES: Final = (Profile.DC_SD_JWT, Profile.VC_SD_JWT)


@dataclass(frozen=True)
class SignedCopy:
    """One signed copy: its id, the credential as transmitted, its slot and profile."""

    copy_id: str
    credential: str
    slot: Slot
    profile: Profile


class RecordRow(NamedTuple):
    """What signing reads of a diploma record, as a Core row (:data:`RECORD_COLUMNS`, in this order)."""

    id: str
    status: str
    claims: str
    graduate_id: int
    version: int


_DIPLOMAS: Final = table(Diploma)
#: The columns of a :class:`RecordRow`, to select them.
RECORD_COLUMNS: Final = (
    _DIPLOMAS.c.id,
    _DIPLOMAS.c.status,
    _DIPLOMAS.c.claims,
    _DIPLOMAS.c.graduate_id,
    _DIPLOMAS.c.version,
)


def recorded_subject(diploma: Diploma | RecordRow) -> schemas.DiplomaSubject:
    """The subject of a record, parsed from its claims snapshot.

    Raises :class:`ConfigurationError` ``diploma.snapshot_invalid`` when the stored snapshot is no longer
    a valid subject (it was validated when stored: the database or the schema changed since).
    """
    try:
        return schemas.DiplomaSubject.parse(json.loads(diploma.claims))
    except schemas.SubjectError as exc:
        raise ConfigurationError(
            "the record's claims snapshot is not a valid diploma subject; nothing can be signed from it",
            code="diploma.snapshot_invalid",
            found=[f"{diploma.id}: {problem.message}" for problem in exc.problems],
            expected="the complete subject stored by the cohort import or a correction",
        ) from exc


def sign_copies(
    db: Session | Connection,
    *,
    diploma: Diploma | RecordRow,
    profile: Profile,
    holders: Sequence[PublicKey | None],
    channel: str,
    actor: str,
    settings: Settings,
    keyring: Keyring,
    now: datetime,
) -> list[SignedCopy]:
    """Sign ``len(holders)`` copies of ``diploma`` (an ORM object or the Core row of it) in ``profile`` inside
    ``db``'s transaction (an ORM session or a Core connection).

    Each holder key (or ``None`` for an unbound copy) gets one copy. Raises :class:`ConflictError`
    ``diploma.not_active`` for a revoked or suspended record, :class:`ConfigurationError` when no key can
    sign or the profile cannot be issued here, :class:`~issuer.errors.StatusAllocationError` when no
    index can be allocated (the caller's transaction then creates nothing).
    """
    if diploma.status != ACTIVE:
        raise ConflictError(
            f"the diploma is {diploma.status}; no copy can be issued",
            code="diploma.not_active",
            found=diploma.status,
            expected="an active diploma",
        )
    if profile not in COPY_PROFILES:
        raise ConfigurationError(
            "unsupported copy profile", code="issue.profile", found=profile, expected=COPY_PROFILES
        )
    key = keyring.signing_key(at=now)
    subject = recorded_subject(diploma)
    slots = allocate(db, len(holders), settings=settings, now=now)
    copies: list[SignedCopy] = []
    for holder, slot in zip(holders, slots, strict=True):
        if profile is Profile.VC_SD_JWT:
            document = schemas.w3c_credential(
                subject,
                issuer=settings.issuer_url,
                credential_id=diploma.id,
                status=[
                    schemas.BitstringEntry(
                        "revocation", bitstring_url(settings, slot.shard, ListKind.REVOCATION), slot.index
                    ),
                    schemas.BitstringEntry(
                        "suspension", bitstring_url(settings, slot.shard, ListKind.SUSPENSION), slot.index
                    ),
                ],
            )
            credential = issue(
                document,
                key=key,
                issued_at=now,
                profile=Profile.VC_SD_JWT,
                contexts=diploma_contexts(),
                disclosable=schemas.W3C_DISCLOSABLE,
                holder=holder,
            )
        else:
            document = schemas.sd_jwt_vc_claims(
                subject,
                issuer=settings.issuer_url,
                status_index=slot.index,
                status_uri=token_list_url(settings, slot.shard),
            )
            credential = issue(
                document,
                key=key,
                issued_at=now,
                profile=Profile.DC_SD_JWT,
                disclosable=schemas.SD_JWT_VC_DISCLOSABLE,
                holder=holder,
            )
        copies.append(SignedCopy(f"urn:uuid:{uuid.uuid4()}", credential, slot, profile))
    owner = Owner(diploma.graduate_id, diploma.version, diploma.id)
    record_slots(
        db,
        slots,
        owners=[owner] * len(copies),
        copy_ids=[copy.copy_id for copy in copies],
        copies=[
            {
                "id": copy.copy_id,
                "diploma_id": diploma.id,
                "profile": profile.value,
                "channel": channel,
                "shard": copy.slot.shard,
                "idx": copy.slot.index,
                "holder_thumbprint": holder.thumbprint() if holder is not None else None,
                "issuer_kid": key.kid or "",
                "issued_at": now,
                "actor": actor[:200],
            }
            for copy, holder in zip(copies, holders, strict=True)
        ],
    )
    audit.append(
        db,
        actor=actor,
        action="credential.issue",
        target=diploma.id,
        at=now,
        details={
            "profile": profile.value,
            "channel": channel,
            "copies": [copy.copy_id for copy in copies],
            "kid": key.kid,
            "bound": [holder is not None for holder in holders],
        },
    )
    return copies
