"""Diploma records: created in bulk for a cohort (exactly once, resumable), looked up, superseded.

``cohort issue`` turns every graduate of a session who has no record yet into a record: the claims
snapshot (copied inside the database from the imported row), a credential id derived from the session,
the CNIE and the version (:meth:`issuer.secrets.IssuerSecrets.record_id`) and the record's own status
slot. It works in batches; each batch is one transaction that

1. locks the session (a PostgreSQL advisory lock; SQLite's write lock), so two runs never interleave;
2. selects the next graduates without a record, in id order (keyset pagination: memory stays flat);
3. allocates their status slots, inserts the records and the slots with one set-based statement each;
4. appends one audit event (count, first and last id, digest of the ids), and commits.

Killed at any moment (``kill -9``), a run loses at most its open batch, which rolls back whole; run
again, it finds exactly the graduates still without a record. Ids are deterministic and
``(graduate, version)`` is unique, so no interleaving or re-run can create a duplicate or leave a gap.

A record is never edited. A correction supersedes it (:func:`supersede`): in one transaction the old
record is revoked (reason ``superseded``, ``replaced_by`` set) and the corrected one created as version
``n + 1`` with ``replaces`` pointing back. :func:`supersede_in` and :func:`create_record` (one graduate's first
record) do the same inside a caller's transaction, for a correction that changes other tables with the record.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Engine, bindparam, func, select, text
from sqlmodel import Session, col

import schemas
from issuer import audit
from issuer.cohort_file import canonical_subject
from issuer.db import affected, bind_time, is_sqlite, reading, writing
from issuer.errors import ConflictError, InputError, NotFoundError
from issuer.models import ACTIVE, REVOKED, Diploma, Graduate
from issuer.secrets import IssuerSecrets, load_secrets
from issuer.settings import Settings
from issuer.status import Owner, Slot, StatusAction, allocate, change_status, record_slots

_CREDENTIAL_ID: Final = re.compile(r"(urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass(frozen=True)
class IssueSummary:
    """What a ``cohort issue`` run did."""

    session: str
    created: int
    batches: int
    already: int
    remaining: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "created": self.created,
            "batches": self.batches,
            "already_had_record": self.already,
            "remaining": self.remaining,
        }


def _session_lock_key(session_name: str) -> int:
    return int.from_bytes(hashlib.sha256(b"cohort-issue\x00" + session_name.encode()).digest()[:8], "big", signed=True)


def issue_cohort(
    engine: Engine,
    *,
    settings: Settings,
    session_name: str,
    actor: str,
    clock: Callable[[], datetime],
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
) -> IssueSummary:
    """Create a record for every graduate of ``session_name`` who has none (see the module docstring).

    ``progress(done, total)`` is called after each batch; ``limit`` stops after that many records (for
    tests and staged roll-outs). Raises :class:`~issuer.errors.StatusAllocationError` when the status
    registry is full (the failing batch creates nothing).
    """
    size = batch_size or settings.cohort_batch_size
    with reading(engine) as db:
        secrets = load_secrets(db)
        total = db.execute(
            text("SELECT COUNT(*) FROM graduate WHERE session = :s").bindparams(s=session_name)
        ).scalar_one()
        done_before = db.execute(
            text("SELECT COUNT(DISTINCT graduate_id) FROM diploma WHERE session = :s").bindparams(s=session_name)
        ).scalar_one()
    to_do = int(total) - int(done_before)
    if limit is not None:
        to_do = min(to_do, limit)
    created = batches = 0
    last_id = 0
    while created < to_do:
        now = clock()
        with writing(engine) as db:
            if not is_sqlite(db):
                db.execute(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_session_lock_key(session_name)))
            rows = db.execute(
                text(
                    "SELECT g.id, g.cnie FROM graduate g WHERE g.session = :s AND g.id > :last "
                    "AND NOT EXISTS (SELECT 1 FROM diploma d WHERE d.graduate_id = g.id) ORDER BY g.id LIMIT :n"
                ).bindparams(s=session_name, last=last_id, n=min(size, to_do - created))
            ).all()
            if not rows:
                break
            graduate_ids = [int(row[0]) for row in rows]
            ids = [secrets.record_id(session=session_name, cnie=row[1], version=1) for row in rows]
            slots = allocate(db, len(rows), settings=settings, now=now)
            _insert_records(db, graduate_ids=graduate_ids, ids=ids, now=now, actor=actor)
            owners = [
                Owner(graduate_id, 1, record_id) for graduate_id, record_id in zip(graduate_ids, ids, strict=True)
            ]
            record_slots(db, slots, owners=owners, copy_ids=[None] * len(ids))
            audit.append(
                db,
                actor=actor,
                action="diploma.create_batch",
                target=session_name,
                at=now,
                details={
                    "count": len(ids),
                    "first_graduate": graduate_ids[0],
                    "last_graduate": graduate_ids[-1],
                    "ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
                },
            )
            last_id = graduate_ids[-1]
        created += len(rows)
        batches += 1
        if progress is not None:
            progress(created, to_do)
    with reading(engine) as db:
        remaining = db.execute(
            text(
                "SELECT COUNT(*) FROM graduate g WHERE g.session = :s "
                "AND NOT EXISTS (SELECT 1 FROM diploma d WHERE d.graduate_id = g.id)"
            ).bindparams(s=session_name)
        ).scalar_one()
    return IssueSummary(session_name, created, batches, int(done_before), int(remaining))


def _insert_records(db: Session, *, graduate_ids: list[int], ids: list[str], now: datetime, actor: str) -> None:
    """One set-based INSERT ... SELECT: the claims are copied inside the database, never through Python."""
    when = bind_time(db, now)
    if is_sqlite(db):
        payload = orjson.dumps(
            [[graduate_id, record_id] for graduate_id, record_id in zip(graduate_ids, ids, strict=True)]
        )
        statement = text(
            "INSERT INTO diploma (id, graduate_id, session, version, claims, status, created_at, actor) "
            "SELECT json_extract(j.value, '$[1]'), g.id, g.session, 1, g.subject, :active, :now, :actor "
            "FROM json_each(:payload) j JOIN graduate g ON g.id = json_extract(j.value, '$[0]') "
            "ORDER BY json_extract(j.value, '$[1]')"
        ).bindparams(payload=payload.decode(), active=ACTIVE, now=when, actor=actor)
    else:
        statement = text(
            "INSERT INTO diploma (id, graduate_id, session, version, claims, status, created_at, actor) "
            "SELECT v.id, g.id, g.session, 1, g.subject, :active, :now, :actor "
            "FROM unnest(CAST(:gids AS bigint[]), CAST(:ids AS text[])) AS v(gid, id) JOIN graduate g ON g.id = v.gid "
            "ORDER BY v.id"
        ).bindparams(
            bindparam("gids", value=graduate_ids), bindparam("ids", value=ids), active=ACTIVE, now=when, actor=actor
        )
    inserted = affected(db.execute(statement))
    if inserted != len(ids):  # pragma: no cover - the NOT EXISTS guard and the session lock prevent it
        raise ConflictError(
            "records were created concurrently", code="diploma.concurrent", found=inserted, expected=len(ids)
        )


# ------------------------------------------------------------------------------------------ lookups


@dataclass(frozen=True)
class RecordView:
    """A record as shown to operators (``tawtiq diploma show``) and back-office clients."""

    id: str
    session: str
    version: int
    status: str
    status_reason: str | None
    status_changed_at: datetime | None
    replaces: str | None
    replaced_by: str | None
    created_at: datetime
    claims: dict[str, Any]
    status_slots: tuple[tuple[int, int], ...]
    copies: int

    def as_dict(self, *, include_claims: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "session": self.session,
            "version": self.version,
            "status": self.status,
            "status_reason": self.status_reason,
            "status_changed_at": self.status_changed_at.isoformat() if self.status_changed_at else None,
            "replaces": self.replaces,
            "replaced_by": self.replaced_by,
            "created_at": self.created_at.isoformat(),
            "status_slots": [{"shard": shard, "index": index} for shard, index in self.status_slots],
            "copies": self.copies,
        }
        if include_claims:
            data["claims"] = self.claims
        return data


def view(db: Session, diploma: Diploma) -> RecordView:
    slots = db.execute(
        text(
            "SELECT shard, idx FROM status_slot WHERE graduate_id = :g AND version = :v AND copy_id IS NULL "
            "ORDER BY shard, idx"
        ).bindparams(g=diploma.graduate_id, v=diploma.version)
    ).all()
    copies = db.execute(
        text("SELECT COUNT(*) FROM credential_copy WHERE diploma_id = :d").bindparams(d=diploma.id)
    ).scalar_one()
    return RecordView(
        id=diploma.id,
        session=diploma.session,
        version=diploma.version,
        status=diploma.status,
        status_reason=diploma.status_reason,
        status_changed_at=diploma.status_changed_at,
        replaces=diploma.replaces,
        replaced_by=diploma.replaced_by,
        created_at=diploma.created_at,
        claims=json.loads(diploma.claims),
        status_slots=tuple((int(s), int(i)) for s, i in slots),
        copies=int(copies),
    )


def records_of(db: Session, *, cnie: str, session_name: str | None = None) -> list[Diploma]:
    """Every record (all versions, all sessions unless one is named) of a CNIE number, newest first."""
    statement = (
        select(Diploma)
        .join(Graduate, col(Graduate.id) == col(Diploma.graduate_id))
        .where(col(Graduate.cnie) == schemas.normalise_identifier(cnie))
        .order_by(col(Diploma.session).desc(), col(Diploma.version).desc())
    )
    if session_name is not None:
        statement = statement.where(col(Diploma.session) == session_name)
    return list(db.execute(statement).scalars().all())


def is_credential_id(value: str) -> bool:
    return _CREDENTIAL_ID.fullmatch(value.strip()) is not None


def resolve(db: Session, identifier: str, *, session_name: str | None = None, lock: bool = False) -> Diploma:
    """The record named by a credential id (``urn:uuid:...`` or the bare UUID), or the current record of a CNIE.

    For a CNIE, "current" is the newest version that has not been superseded; several sessions need
    ``session_name``. Raises :class:`NotFoundError` ``diploma.unknown`` or :class:`InputError`
    ``diploma.ambiguous`` (listing the candidates' ids and sessions).
    """
    value = identifier.strip()
    if is_credential_id(value):
        record_id = value.lower() if value.lower().startswith("urn:uuid:") else f"urn:uuid:{value.lower()}"
        statement = select(Diploma).where(col(Diploma.id) == record_id)
        if lock:
            statement = statement.with_for_update()
        diploma: Diploma | None = db.execute(statement).scalar_one_or_none()
        if diploma is None:
            raise NotFoundError("no diploma has this credential id", code="diploma.unknown", found=record_id)
        return diploma
    current = [record for record in records_of(db, cnie=value, session_name=session_name) if record.replaced_by is None]
    if not current:
        raise NotFoundError(
            "no diploma record for this CNIE number" + (f" in session {session_name}" if session_name else ""),
            code="diploma.unknown",
            found="a CNIE number without a record (value withheld)",
            expected="a CNIE imported and issued with `tawtiq cohort import` and `tawtiq cohort issue`",
        )
    if len(current) > 1:
        raise InputError(
            "this CNIE number has records in several sessions; name one with --session",
            code="diploma.ambiguous",
            found=[f"{record.session}: {record.id}" for record in current],
            expected="--session YYYY-normale|rattrapage, or the credential id",
        )
    return current[0]


# ------------------------------------------------------------------------------------------ supersession


def supersede(
    engine: Engine,
    *,
    settings: Settings,
    identifier: str,
    subject: schemas.DiplomaSubject | Mapping[str, Any],
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[str, str]:
    """Revoke a record and create its corrected version in one transaction; returns ``(old_id, new_id)``.

    ``subject`` is the complete corrected subject, typed or as claims (parsed here); it must keep the
    graduate's CNIE number and session. Raises :class:`InputError` ``diploma.correction_invalid`` (with the
    schema problems), :class:`ConflictError` ``status.revoked_final`` if the record is already revoked or
    superseded.
    """
    corrected = corrected_subject(subject)
    with writing(engine) as db:
        return supersede_in(
            db, settings=settings, identifier=identifier, subject=corrected, reason=reason, actor=actor, now=now
        )


def supersede_in(
    db: Session,
    *,
    settings: Settings,
    identifier: str,
    subject: schemas.DiplomaSubject | Mapping[str, Any],
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[str, str]:
    """:func:`supersede` inside the caller's transaction (a correction that changes other tables with the record)."""
    corrected = corrected_subject(subject)
    secrets: IssuerSecrets = load_secrets(db)
    old = resolve(db, identifier, lock=True)
    old = db.execute(select(Diploma).where(col(Diploma.id) == old.id).with_for_update()).scalar_one()
    graduate = db.get(Graduate, old.graduate_id)
    assert graduate is not None
    if old.replaced_by is not None or old.status == REVOKED:
        raise ConflictError(
            "this record is already revoked or superseded; correct its current version",
            code="status.revoked_final",
            found=old.status,
            expected=old.replaced_by or "an active or suspended record",
        )
    if str(corrected.cnie) != graduate.cnie:
        raise InputError(
            "a correction cannot change the CNIE number",
            code="diploma.correction_invalid",
            found="another CNIE number (value withheld)",
            expected="the graduate's CNIE number",
        )
    if corrected.session.claim() != json.loads(old.claims).get("session"):
        raise InputError(
            "a correction cannot change the session",
            code="diploma.correction_invalid",
            found=corrected.session.claim(),
            expected=json.loads(old.claims).get("session"),
        )
    version = (
        int(
            db.execute(
                select(func.max(col(Diploma.version))).where(col(Diploma.graduate_id) == graduate.id)
            ).scalar_one()
        )
        + 1
    )
    new_id = secrets.record_id(session=old.session, cnie=graduate.cnie, version=version)
    new = Diploma(
        id=new_id,
        graduate_id=graduate.id,  # type: ignore[arg-type]
        session=old.session,
        version=version,
        claims=canonical_subject(corrected),
        status=ACTIVE,
        replaces=old.id,
        created_at=now,
        actor=actor,
    )
    db.add(new)
    db.flush()
    slots: Sequence[Slot] = allocate(db, 1, settings=settings, now=now)
    record_slots(db, slots, owners=[Owner(new.graduate_id, version, new_id)], copy_ids=[None])
    change_status(
        db,
        diploma_id=old.id,
        action=StatusAction.REVOKE,
        reason=f"superseded by {new_id}: {reason}",
        actor=actor,
        now=now,
        replaced_by=new_id,
    )
    audit.append(
        db,
        actor=actor,
        action="diploma.supersede",
        target=new_id,
        at=now,
        reason=reason,
        details={"replaces": old.id, "version": version, "graduate": secrets.pseudonym_of(graduate.cnie)},
    )
    return old.id, new_id


def create_record(db: Session, *, settings: Settings, graduate_id: int, actor: str, now: datetime) -> str:
    """The first record of one graduate, inside the caller's transaction (as :func:`issue_cohort` makes them, for a
    graduate added on their own, e.g. admitted after a correction); returns its credential id.

    Raises :class:`ConflictError` ``diploma.concurrent`` if the graduate already has a record.
    """
    graduate = db.get(Graduate, graduate_id)
    assert graduate is not None
    if db.execute(select(func.count()).where(col(Diploma.graduate_id) == graduate_id)).scalar_one():
        raise ConflictError(
            "this graduate already has a record", code="diploma.concurrent", found=graduate_id, expected="none"
        )
    record_id = load_secrets(db).record_id(session=graduate.session, cnie=graduate.cnie, version=1)
    db.add(
        Diploma(
            id=record_id,
            graduate_id=graduate_id,
            session=graduate.session,
            version=1,
            claims=graduate.subject,
            status=ACTIVE,
            created_at=now,
            actor=actor,
        )
    )
    db.flush()
    slots = allocate(db, 1, settings=settings, now=now)
    record_slots(db, slots, owners=[Owner(graduate_id, 1, record_id)], copy_ids=[None])
    audit.append(
        db,
        actor=actor,
        action="diploma.create",
        target=record_id,
        at=now,
        details={"graduate": graduate_id},
    )
    return record_id


def corrected_subject(subject: schemas.DiplomaSubject | Mapping[str, Any]) -> schemas.DiplomaSubject:
    """A correction parsed as a complete subject (its texts checked and NFC-normalised, :func:`schemas.checked_text`).

    Raises :class:`InputError` ``diploma.correction_invalid`` with every problem, none echoing a refused text.
    """
    if isinstance(subject, schemas.DiplomaSubject):
        return subject
    try:
        return schemas.DiplomaSubject.parse(subject)
    except schemas.SubjectError as exc:
        raise InputError(
            "the corrected diploma does not validate",
            code="diploma.correction_invalid",
            found=[problem.message for problem in exc.problems],
            expected="a complete, valid diploma subject",
        ) from exc
