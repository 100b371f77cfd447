"""The status registry: one table of allocated indexes, published as W3C Bitstring and IETF Token Status Lists.

Registry
    The registry is split into shards of a fixed size (``TAWTIQ_STATUS_LIST_SIZE``, at least 131,072).
    Every record and every signed copy of a diploma gets its own slot ``(shard, index)``, allocated in
    the transaction that creates the record or copy: the shard's counter row is locked and advanced and
    the counter mapped through the shard's keyed permutation (:mod:`issuer.permutation`), so indexes are
    random-looking and never reused. A slot points at its diploma; the diploma's status is the status of
    all its slots. If no index can be allocated (every shard full and ``TAWTIQ_STATUS_MAX_SHARDS``
    reached), :class:`~issuer.errors.StatusAllocationError` rolls the whole transaction back: nothing is
    issued without its status entry.

Publication (wire format)
    Each shard ``n`` is published three ways, all derived from the registry at the time of signing:

    * ``GET /status/bitstring/revocation-<n>`` — a W3C ``BitstringStatusListCredential`` secured as
      ``vc+jwt`` (media type ``application/vc+jwt``), ``statusPurpose: revocation``; bit ``i`` is 1 when
      the diploma owning slot ``i`` is revoked. ``id`` is the URL itself; ``validUntil`` and
      ``credentialSubject.ttl`` (milliseconds) are set.
    * ``GET /status/bitstring/suspension-<n>`` — the same for ``statusPurpose: suspension``.
    * ``GET /status/tsl/<n>`` — an IETF Token Status List (``statuslist+jwt``, media type
      ``application/statuslist+jwt``) with 2-bit entries: 0 valid, 1 invalid (revoked), 2 suspended;
      ``sub`` is the URL itself; ``iat``, ``exp`` and ``ttl`` (seconds) are set.

    W3C credentials carry two ``BitstringStatusListEntry`` entries (revocation and suspension) with the
    same index; SD-JWT VCs carry ``status.status_list = {"idx": i, "uri": ".../status/tsl/<n>"}``.

    Responses carry a strong ``ETag`` (a digest of the token), ``Cache-Control: public,
    max-age=<TAWTIQ_STATUS_TTL_SECONDS>`` and answer ``304`` to a matching ``If-None-Match``; ``HEAD`` answers
    the headers alone. Both cost one read of the shard's version row while the process holds that version's
    document (revalidations never load, encode or sign the list). A status
    change bumps the version of every shard holding one of the diploma's slots; the next request for
    such a list signs a new document, so a revocation reaches verifiers (and CDNs) within the TTL.
    Unchanged lists are re-signed when half their validity has passed, so a cached copy never expires.
    A stored list whose ``ttl`` is not the current setting is re-signed at the next request after the
    service starts (:func:`expire_lists_with_other_ttl`), so a shorter TTL takes effect at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, NamedTuple

import orjson
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col

from common.service.reads import Query, Reads
from issuer import audit
from issuer.db import is_sqlite, reading, writing
from issuer.errors import ConflictError, NotFoundError, StatusAllocationError
from issuer.keyring import Keyring
from issuer.models import (
    ACTIVE,
    REVOKED,
    SUSPENDED,
    CredentialCopy,
    Diploma,
    StatusPublication,
    StatusShard,
    StatusSlot,
    UTCDateTime,
    table,
)
from issuer.permutation import IndexPermutation
from issuer.settings import Settings
from vc import BitOrder, ContextRegistry, StatusList, issue_bitstring_status_list, issue_token_status_list
from vc.encoding import b64url_json_object
from vc.errors import TawtiqError
from vc.statuslist import STATUS_INVALID, STATUS_SUSPENDED


class ListKind(StrEnum):
    """The three publications of a shard."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    TOKEN = "tsl"  # noqa: S105 - a list kind, not a secret


MEDIA_TYPES: Final = {
    ListKind.REVOCATION: "application/vc+jwt",
    ListKind.SUSPENSION: "application/vc+jwt",
    ListKind.TOKEN: "application/statuslist+jwt",
}
_BITSTRING_NAME: Final = re.compile(r"(revocation|suspension)-([1-9][0-9]{0,8})")
_SHARD_NUMBER: Final = re.compile(r"[1-9][0-9]{0,8}")


@dataclass(frozen=True, slots=True)
class Slot:
    """An allocated status-list index."""

    shard: int
    index: int


def bitstring_url(settings: Settings, shard: int, purpose: ListKind) -> str:
    """URL of a shard's W3C Bitstring list for ``purpose`` (revocation or suspension)."""
    return settings.url(f"/status/bitstring/{purpose.value}-{shard}")


def token_list_url(settings: Settings, shard: int) -> str:
    """URL of a shard's IETF Token Status List."""
    return settings.url(f"/status/tsl/{shard}")


def parse_bitstring_name(name: str) -> tuple[int, ListKind]:
    """``revocation-3`` -> ``(3, REVOCATION)``. Raises :class:`NotFoundError` for anything else."""
    match = _BITSTRING_NAME.fullmatch(name)
    if match is None:
        raise NotFoundError(
            "no such status list",
            code="status.list_unknown",
            found=name[:80],
            expected="revocation-<n> or suspension-<n>",
        )
    return int(match.group(2)), ListKind(match.group(1))


def parse_shard_number(name: str) -> int:
    """``3`` -> ``3``. Raises :class:`NotFoundError` for anything else."""
    if _SHARD_NUMBER.fullmatch(name) is None:
        raise NotFoundError("no such status list", code="status.list_unknown", found=name[:80], expected="<n> >= 1")
    return int(name)


# ------------------------------------------------------------------------------------------ allocation


def allocate(session: Session | Connection, count: int, *, settings: Settings, now: datetime) -> list[Slot]:
    """Allocate ``count`` fresh slots inside the write transaction of ``session`` (an ORM session or a Core
    connection).

    Locks the open shard's row until the transaction ends, so concurrent allocators never share an
    index; opens new shards as needed. Raises :class:`StatusAllocationError` when the registry is full.
    """
    connection = session.connection() if isinstance(session, Session) else session
    if count <= 0:
        return []
    # One statement when the open shard has room for them all (every issuance but one per shard): the row is
    # locked and advanced by the UPDATE, which answers the counter it moved to. A writer that waited for the
    # lock sees the advanced row and checks the room again.
    taken = connection.execute(_TAKE_FROM_OPEN_SHARD, {"take": count}).first()
    if taken is not None:
        shard, size, allocated, key = taken
        permutation = IndexPermutation(key=key, size=size)
        return [Slot(shard, index) for index in permutation.many(allocated - count, count)]
    slots: list[Slot] = []
    remaining = count
    while remaining > 0:
        open_shard = _open_shard(connection, settings=settings, now=now)
        take = min(remaining, open_shard.size - open_shard.allocated)
        permutation = IndexPermutation(key=open_shard.permutation_key, size=open_shard.size)
        slots.extend(Slot(open_shard.id, index) for index in permutation.many(open_shard.allocated, take))
        connection.execute(_ADVANCE_SHARD, {"shard": open_shard.id, "new_allocated": open_shard.allocated + take})
        remaining -= take
    return slots


class _OpenShard(NamedTuple):
    id: int
    size: int
    allocated: int
    permutation_key: bytes


_SHARDS: Final = table(StatusShard)
_OPEN_SHARD_FOR_UPDATE: Final = (
    select(_SHARDS.c.id, _SHARDS.c.size, _SHARDS.c.allocated, _SHARDS.c.permutation_key)
    .where(_SHARDS.c.allocated < _SHARDS.c.size)
    .order_by(_SHARDS.c.id)
    .limit(1)
    .with_for_update()
)
_ADVANCE_SHARD: Final = (
    update(_SHARDS).where(_SHARDS.c.id == bindparam("shard")).values(allocated=bindparam("new_allocated"))
)
_TAKE_FROM_OPEN_SHARD: Final = (
    update(_SHARDS)
    .where(
        _SHARDS.c.id == select(func.min(_SHARDS.c.id)).where(_SHARDS.c.allocated < _SHARDS.c.size).scalar_subquery(),
        _SHARDS.c.allocated + bindparam("take") <= _SHARDS.c.size,
    )
    .values(allocated=_SHARDS.c.allocated + bindparam("take"))
    .returning(_SHARDS.c.id, _SHARDS.c.size, _SHARDS.c.allocated, _SHARDS.c.permutation_key)
)


def _open_shard(session: Connection, *, settings: Settings, now: datetime) -> _OpenShard:
    for _ in range(100):
        row = session.execute(_OPEN_SHARD_FOR_UPDATE).first()
        if row is not None:
            return _OpenShard(row[0], row[1], row[2], row[3])
        highest = session.execute(select(func.max(col(StatusShard.id)))).scalar() or 0
        if highest >= settings.status_max_shards:
            raise StatusAllocationError(
                "the status registry is full: no status-list index can be allocated, so nothing was issued",
                found=f"{highest} shards, all full",
                expected=f"raise TAWTIQ_STATUS_MAX_SHARDS (now {settings.status_max_shards})",
            )
        values = {
            "id": highest + 1,
            "size": settings.status_list_size,
            "allocated": 0,
            "permutation_key": secrets.token_bytes(32),
            "version": 0,
            "created_at": now,
        }
        dialect_insert = sqlite.insert if is_sqlite(session) else postgresql.insert
        statement = dialect_insert(table(StatusShard)).values(**values).on_conflict_do_nothing()
        session.execute(statement)
    raise StatusAllocationError("could not open a status-list shard", found="100 attempts")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Owner:
    """The record a slot belongs to: its natural key and its credential id."""

    graduate_id: int
    version: int
    diploma_id: str


def record_slots(
    session: Session | Connection,
    slots: Sequence[Slot],
    *,
    owners: Sequence[Owner],
    copy_ids: Sequence[str | None],
    copies: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Store who owns each slot, in one set-based INSERT (a JSON array on SQLite, arrays on PostgreSQL).

    ``copies`` are ``credential_copy`` rows (every column, by name) to insert with them: on PostgreSQL in the same
    statement (a data-modifying WITH, one round trip), on SQLite by an INSERT before it.
    """
    if not len(slots) == len(owners) == len(copy_ids):
        raise ValueError("one owner and one copy id (or None) per slot")
    if copies and len(copies) != len(slots):
        raise ValueError("one slot per copy")
    if copies and is_sqlite(session):
        session.execute(insert(table(CredentialCopy)), list(copies))
    if not slots:
        return
    # Inserted in index order: neighbouring keys land on the same B-tree pages, which random order scatters.
    rows = sorted(zip(slots, owners, copy_ids, strict=True), key=lambda row: (row[0].shard, row[0].index))
    slots, owners, copy_ids = [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]
    if is_sqlite(session):
        payload = orjson.dumps(
            [
                [slot.shard, slot.index, owner.graduate_id, owner.version, owner.diploma_id, copy]
                for slot, owner, copy in zip(slots, owners, copy_ids, strict=True)
            ]
        ).decode()
        statement = text(
            "INSERT INTO status_slot (shard, idx, graduate_id, version, diploma_id, copy_id) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]') "
            "FROM json_each(:payload)"
        ).bindparams(payload=payload)
    else:
        dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
        statement = text((_INSERT_COPIES_POSTGRESQL if copies else "") + _INSERT_SLOTS_POSTGRESQL).bindparams(
            bindparam("shards", value=[slot.shard for slot in slots]),
            bindparam("indexes", value=[slot.index for slot in slots]),
            bindparam("graduates", value=[owner.graduate_id for owner in owners]),
            bindparam("versions", value=[owner.version for owner in owners]),
            bindparam("diplomas", value=[owner.diploma_id for owner in owners]),
            bindparam("copies", value=list(copy_ids)),
            *(
                bindparam(f"copy_{name}", value=[_copy_value(name, row[name], dialect) for row in copies])
                for name in _COPY_COLUMNS
            )
            if copies
            else (),
        )
    session.execute(statement)


_INSERT_SLOTS_POSTGRESQL: Final = (
    "INSERT INTO status_slot (shard, idx, graduate_id, version, diploma_id, copy_id) "
    "SELECT * FROM unnest(CAST(:shards AS integer[]), CAST(:indexes AS integer[]), "
    "CAST(:graduates AS bigint[]), CAST(:versions AS integer[]), CAST(:diplomas AS text[]), "
    "CAST(:copies AS text[]))"
)
#: The columns of ``credential_copy``, in the order of :data:`_INSERT_COPIES_POSTGRESQL`.
_COPY_COLUMNS: Final = (
    "id",
    "diploma_id",
    "profile",
    "channel",
    "shard",
    "idx",
    "holder_thumbprint",
    "issuer_kid",
    "issued_at",
    "actor",
)
_INSERT_COPIES_POSTGRESQL: Final = (
    "WITH copies AS (INSERT INTO credential_copy (id, diploma_id, profile, channel, shard, idx, holder_thumbprint, "
    "issuer_kid, issued_at, actor) SELECT * FROM unnest(CAST(:copy_id AS text[]), CAST(:copy_diploma_id AS text[]), "
    "CAST(:copy_profile AS text[]), CAST(:copy_channel AS text[]), CAST(:copy_shard AS integer[]), "
    "CAST(:copy_idx AS integer[]), CAST(:copy_holder_thumbprint AS text[]), CAST(:copy_issuer_kid AS text[]), "
    "CAST(:copy_issued_at AS timestamptz[]), CAST(:copy_actor AS text[]))) "
)


def _copy_value(name: str, value: Any, dialect: Dialect) -> Any:
    # The time as the column's type binds it (the instant in UTC; a naive time is refused).
    return _TIMES.process_bind_param(value, dialect) if name == "issued_at" else value


_TIMES: Final = UTCDateTime()


# ------------------------------------------------------------------------------------------ status changes


class StatusAction(StrEnum):
    REVOKE = "revoke"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


_TARGET_STATE: Final = {StatusAction.REVOKE: REVOKED, StatusAction.SUSPEND: SUSPENDED, StatusAction.REINSTATE: ACTIVE}


@dataclass(frozen=True)
class StatusChange:
    """What a status change did: the diploma, its state before and after, how many copies it covers."""

    diploma_id: str
    before: str
    after: str
    changed: bool
    copies: int
    shards: tuple[int, ...]


def change_status(
    session: Session,
    *,
    diploma_id: str,
    action: StatusAction,
    reason: str,
    actor: str,
    now: datetime,
    replaced_by: str | None = None,
) -> StatusChange:
    """Revoke, suspend or reinstate a diploma and, with it, every signed copy (one transaction).

    Revocation is final: suspending or reinstating a revoked diploma raises :class:`ConflictError`
    ``status.revoked_final``. Repeating a change is a no-op (``changed`` false, nothing audited).
    Raises :class:`NotFoundError` ``diploma.unknown``.
    """
    diploma = session.execute(
        select(Diploma).where(col(Diploma.id) == diploma_id).with_for_update()
    ).scalar_one_or_none()
    if diploma is None:
        raise NotFoundError("no diploma has this credential id", code="diploma.unknown", found=diploma_id)
    target = _TARGET_STATE[action]
    copies = session.execute(
        select(func.count()).select_from(CredentialCopy).where(col(CredentialCopy.diploma_id) == diploma_id)
    ).scalar_one()
    shards = tuple(
        session.execute(
            select(col(StatusSlot.shard))
            .where(col(StatusSlot.graduate_id) == diploma.graduate_id, col(StatusSlot.version) == diploma.version)
            .distinct()
            .order_by(col(StatusSlot.shard))
        ).scalars()
    )
    if diploma.status == target:
        return StatusChange(diploma_id, diploma.status, diploma.status, False, copies, shards)
    if diploma.status == REVOKED:
        raise ConflictError(
            "the diploma is revoked and revocation is final; issue a corrected diploma instead",
            code="status.revoked_final",
            found=f"revoked at {diploma.status_changed_at.isoformat() if diploma.status_changed_at else '?'}",
            expected=f"a diploma that is not revoked (to {action.value} it)",
        )
    before = diploma.status
    diploma.status = target
    diploma.status_reason = reason
    diploma.status_changed_at = now
    if replaced_by is not None:
        diploma.replaced_by = replaced_by
    session.add(diploma)
    if shards:
        session.execute(
            update(StatusShard).where(col(StatusShard.id).in_(shards)).values(version=col(StatusShard.version) + 1)
        )
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=f"diploma.{action.value}",
        target=diploma_id,
        at=now,
        reason=reason,
        details={"before": before, "after": target, "copies": copies, "shards": list(shards)},
    )
    return StatusChange(diploma_id, before, target, True, copies, shards)


# ------------------------------------------------------------------------------------------ publication


@dataclass(frozen=True)
class PublishedList:
    """A signed list document as served."""

    token: str
    etag: str
    media_type: str
    ttl_seconds: int
    issued_at: datetime
    expires_at: datetime
    version: int


#: The shard's version, read on every request for its lists (:meth:`StatusPublisher.held`).
_SHARD_VERSION: Final = Query(select(_SHARDS.c.version).where(_SHARDS.c.id == bindparam("shard")))


class StatusPublisher:
    """Builds, signs, stores and serves the list documents; shared by all requests of a process.

    Every request reads the shard's version (one indexed row); the signed document is reused while the
    version is unchanged and it is less than half-way through its validity. Documents are stored in
    ``status_publication`` so every replica serves the same bytes (and the same ``ETag``).
    """

    def __init__(self, *, engine: Engine, settings: Settings, keyring: Keyring, contexts: ContextRegistry) -> None:
        self._engine = engine
        self._settings = settings
        self._keyring = keyring
        self._contexts = contexts
        self._memo: dict[tuple[int, ListKind], tuple[PublishedList, datetime]] = {}
        self._lock = threading.Lock()

    def held(self, *, shard: int, kind: ListKind, now: datetime) -> PublishedList | None:
        """The current document of ``kind`` for ``shard`` if this process holds it (one indexed read of the shard's
        version on a connection kept for reads, :mod:`common.service.reads`), else None: an unknown shard, a
        version this process has not signed or loaded, or a document past half its validity (:meth:`get` then)."""
        memo = self._memo.get((shard, kind))
        if memo is None or now >= memo[1]:
            return None
        current = Reads.of(self._engine).one(_SHARD_VERSION, shard=shard)
        if current is None or memo[0].version != current.version:
            return None
        return memo[0]

    def get(self, *, shard: int, kind: ListKind, now: datetime) -> PublishedList:
        """The current document of ``kind`` for ``shard``. Raises :class:`NotFoundError` for an unknown shard.

        While this process holds the document of the shard's current version (:meth:`held`: one indexed row,
        one statement), it is answered without loading, encoding or signing anything.
        """
        published = self.held(shard=shard, kind=kind, now=now)
        return published if published is not None else self.load(shard=shard, kind=kind, now=now)

    def load(self, *, shard: int, kind: ListKind, now: datetime) -> PublishedList:
        """:meth:`get` for a caller that already asked :meth:`held` (blocking: it may read the list's entries, sign
        and store a new document). Raises :class:`NotFoundError` for an unknown shard."""
        with reading(self._engine) as session:
            version = session.execute(
                select(col(StatusShard.version)).where(col(StatusShard.id) == shard)
            ).scalar_one_or_none()
            if version is None:
                raise NotFoundError("no such status list", code="status.list_unknown", found=f"{kind.value} {shard}")
            memo = self._memo.get((shard, kind))
            if memo is not None and memo[0].version == version and now < memo[1]:
                return memo[0]
            stored = session.get(StatusPublication, (shard, kind.value))
            if stored is not None and stored.version == version and now < stored.refresh_after:
                published = self._from_row(stored, kind)
                self._remember(shard, kind, published, stored.refresh_after)
                return published
            entries = self._entries(session, shard=shard, kind=kind)
            size = session.execute(select(col(StatusShard.size)).where(col(StatusShard.id) == shard)).scalar_one()
        published, refresh_after = self._sign(
            shard=shard, kind=kind, size=size, entries=entries, version=version, now=now
        )
        self._store(shard=shard, kind=kind, published=published, refresh_after=refresh_after)
        self._remember(shard, kind, published, refresh_after)
        return published

    def _remember(self, shard: int, kind: ListKind, published: PublishedList, refresh_after: datetime) -> None:
        with self._lock:
            self._memo[(shard, kind)] = (published, refresh_after)

    def _from_row(self, row: StatusPublication, kind: ListKind) -> PublishedList:
        return PublishedList(
            token=row.token,
            etag=row.etag,
            media_type=MEDIA_TYPES[kind],
            ttl_seconds=self._settings.status_ttl_seconds,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            version=row.version,
        )

    @staticmethod
    def _entries(session: Session, *, shard: int, kind: ListKind) -> list[tuple[int, int]]:
        """The set entries of one list: slots of revoked or suspended records, and copies revoked on their own
        (``status_slot.revoked_at``: their signing key was compromised), which are revoked whatever the record."""
        states = {
            ListKind.REVOCATION: (REVOKED,),
            ListKind.SUSPENSION: (SUSPENDED,),
            ListKind.TOKEN: (REVOKED, SUSPENDED),
        }
        slot_revoked = col(StatusSlot.revoked_at).is_not(None)
        if kind is ListKind.SUSPENSION:
            wanted = col(Diploma.status).in_(states[kind]) & ~slot_revoked
        else:
            wanted = col(Diploma.status).in_(states[kind]) | slot_revoked
        rows = session.execute(
            select(col(StatusSlot.idx), col(Diploma.status), slot_revoked)
            .join(
                Diploma,
                (col(Diploma.graduate_id) == col(StatusSlot.graduate_id))
                & (col(Diploma.version) == col(StatusSlot.version)),
            )
            .where(col(StatusSlot.shard) == shard, wanted)
        ).all()
        if kind is ListKind.TOKEN:
            values = {REVOKED: STATUS_INVALID, SUSPENDED: STATUS_SUSPENDED}
            return [(index, STATUS_INVALID if revoked else values[state]) for index, state, revoked in rows]
        return [(index, 1) for index, _, _ in rows]

    def _sign(
        self, *, shard: int, kind: ListKind, size: int, entries: list[tuple[int, int]], version: int, now: datetime
    ) -> tuple[PublishedList, datetime]:
        settings = self._settings
        issued_at = now.replace(microsecond=0)
        ttl = timedelta(seconds=settings.status_ttl_seconds)
        expires_at = issued_at + timedelta(seconds=settings.status_validity_seconds)
        refresh_after = issued_at + timedelta(seconds=settings.status_validity_seconds // 2)
        key = self._keyring.signing_key(at=now)
        if kind is ListKind.TOKEN:
            status_list = StatusList.from_entries(size=size, bits=2, order=BitOrder.LSB_FIRST, entries=entries)
            token = issue_token_status_list(
                uri=token_list_url(settings, shard),
                issuer=settings.issuer_url,
                status_list=status_list,
                key=key,
                issued_at=issued_at,
                expires_at=expires_at,
                ttl=ttl,
            )
        else:
            status_list = StatusList.from_entries(size=size, bits=1, order=BitOrder.MSB_FIRST, entries=entries)
            token = issue_bitstring_status_list(
                uri=bitstring_url(settings, shard, kind),
                issuer=settings.issuer_url,
                purpose=kind.value,
                status_list=status_list,
                key=key,
                issued_at=issued_at,
                contexts=self._contexts,
                valid_until=expires_at,
                ttl=ttl,
            )
        etag = '"' + hashlib.sha256(token.encode("ascii")).hexdigest()[:40] + '"'
        published = PublishedList(
            token=token,
            etag=etag,
            media_type=MEDIA_TYPES[kind],
            ttl_seconds=settings.status_ttl_seconds,
            issued_at=issued_at,
            expires_at=expires_at,
            version=version,
        )
        return published, refresh_after

    def _store(self, *, shard: int, kind: ListKind, published: PublishedList, refresh_after: datetime) -> None:
        values = {
            "shard": shard,
            "kind": kind.value,
            "version": published.version,
            "token": published.token,
            "etag": published.etag,
            "issued_at": published.issued_at,
            "refresh_after": refresh_after,
            "expires_at": published.expires_at,
        }
        publications = table(StatusPublication)
        with writing(self._engine) as session:
            dialect_insert = sqlite.insert if is_sqlite(session) else postgresql.insert
            statement = dialect_insert(publications).values(**values)
            statement = statement.on_conflict_do_update(
                index_elements=[publications.c.shard, publications.c.kind],
                set_={name: statement.excluded[name] for name in values if name not in ("shard", "kind")},
                where=publications.c.version <= statement.excluded.version,
            )
            session.execute(statement)


def expire_lists_with_other_ttl(engine: Engine, *, ttl_seconds: int, now: datetime) -> int:
    """Make every stored list whose ``ttl`` is not ``ttl_seconds`` due for re-signing now; returns how many.

    A signed list carries the TTL it was signed with, and a stored one is otherwise reused until half its
    validity has passed (up to 12 hours by default): without this, lowering ``TAWTIQ_STATUS_TTL_SECONDS``
    would leave verifiers caching lists for the old TTL that long. Called when a service starts; the next
    request for such a list signs a new document (:meth:`StatusPublisher.get`). A token that cannot be read
    is re-signed too.
    """
    with reading(engine) as session:
        stored = session.execute(
            select(col(StatusPublication.shard), col(StatusPublication.kind), col(StatusPublication.token))
        ).all()
    stale = [(shard, kind) for shard, kind, token in stored if _signed_ttl_seconds(token, kind) != ttl_seconds]
    if not stale:
        return 0
    publications = table(StatusPublication)
    with writing(engine) as session:
        session.execute(
            update(publications)
            .where(publications.c.shard == bindparam("s"), publications.c.kind == bindparam("k"))
            .values(refresh_after=now),
            [{"s": shard, "k": kind} for shard, kind in stale],
        )
    return len(stale)


def _signed_ttl_seconds(token: str, kind: str) -> float | None:
    """The ``ttl`` a stored list was signed with, in seconds (``None`` if absent or unreadable)."""
    try:
        payload = b64url_json_object(token.split(".")[1], what="status list payload")
    except (IndexError, TawtiqError):
        return None
    if kind == ListKind.TOKEN.value:
        ttl = payload.get("ttl")
        return float(ttl) if isinstance(ttl, int | float) else None
    subject = payload.get("credentialSubject")
    ttl_ms = subject.get("ttl") if isinstance(subject, dict) else None
    return ttl_ms / 1000 if isinstance(ttl_ms, int | float) else None
