"""The audit log: every state change (who, what, when, why), in a keyed hash chain so tampering shows.

Event ``n`` stores ``hash = HMAC-SHA-256(audit key, prev_hash || "\\n" || canonical JSON of (seq, at,
actor, action, target, reason, details))`` with ``prev_hash`` the hash of event ``n - 1`` (64 zeros for
the first). Changing, inserting or deleting an event breaks every later hash, and without the audit key
nobody can recompute them: :func:`verify_chain` does, and names the first event that does not match.

The audit key is not in the database: it is derived with HKDF-SHA-256 from the key passphrase
(:func:`audit_key_from_passphrase`), so write access to the database alone cannot forge a chain. Writers
find it on their engine (:func:`with_audit_key`); a session whose engine has none cannot append.

Databases that had events before the chain was keyed keep them as they were: ``audit_head.keyed_from_seq``
(set by migration ``0003`` to the next sequence number) is the first keyed event; earlier events are
checked as the plain SHA-256 chain they were written as (new events are always keyed). The switch-over
point is itself in the database: moving it forward to pass rewritten events off as plain ones is seen only
against a checkpoint, which records it; ``tawtiq audit verify`` says how many events predate the key.
``audit_head`` holds the last sequence number and hash: every writer locks it, so the chain stays linear
however many processes write.

Cutting the log's tail and rewinding the head to the last remaining event leaves a valid chain; only a
copy of the head kept elsewhere shows it. :mod:`issuer.audit_checkpoint` signs such copies, and
:func:`verify_chain` checks the chain against them (:class:`Checkpoint`).

Details never hold personal data: a graduate appears as the pseudonym of their CNIE number
(:meth:`issuer.secrets.IssuerSecrets.pseudonym_of`) and a diploma by its credential id.

:func:`append` is called last in the transaction of the change it records, so the head lock is held
for as short a time as possible; the event commits or rolls back with the change.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlmodel import Session, col

from common.service.database import SQLITE_BUSY_SECONDS
from issuer.db import create_database_engine, reading, snapshot
from issuer.models import GENESIS_HASH, AuditEvent, AuditHead, table
from vc.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from issuer.settings import Settings

#: The engine execution option that carries the audit key's source (see :func:`with_audit_key`).
AUDIT_KEY_OPTION: Final = "tawtiq_audit_key"
_HKDF_SALT: Final = b"tawtiq audit chain"
_HKDF_INFO: Final = b"tawtiq audit chain HMAC-SHA-256 key v1"

#: Where the audit key comes from: called once, when the first event is appended or checked.
AuditKeySource = Callable[[], bytes]


def audit_key_from_passphrase(passphrase: bytes) -> bytes:
    """The 256-bit audit key: HKDF-SHA-256 of the key passphrase, with a salt and label of its own.

    The passphrase is checked for strength where it is loaded (:func:`keys.load_passphrase`); the audit
    key shares nothing else with the key store, which encrypts with its own derivation.
    """
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(passphrase)


def audit_key_source(settings: Settings) -> AuditKeySource:
    """The audit key of this deployment: derived from ``TAWTIQ_KEY_PASSPHRASE`` (also with a PKCS#11 store).

    Calling it raises :class:`ConfigurationError` if the passphrase is missing, weak or a default.
    """
    return lambda: audit_key_from_passphrase(settings.key_passphrase_bytes())


def with_audit_key(engine: Engine, source: AuditKeySource) -> Engine:
    """``engine`` with the audit key's source attached: sessions on it can append events.

    ``source`` is called at most once, on first use, so commands that never touch the log need no key.
    """
    return engine.execution_options(**{AUDIT_KEY_OPTION: functools.cache(source)})


def keyed_engine(settings: Settings, *, sqlite_busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    """The database engine the settings name, with their audit key (for code that writes to the log)."""
    engine = create_database_engine(settings.resolved_database_url, sqlite_busy_seconds=sqlite_busy_seconds)
    return with_audit_key(engine, audit_key_source(settings))


def has_audit_key(engine: Engine) -> bool:
    """Whether :func:`with_audit_key` gave ``engine`` an audit key."""
    return AUDIT_KEY_OPTION in engine.get_execution_options()


def audit_key_of(bind: Engine | Connection | Session) -> bytes:
    """The audit key attached to ``bind``'s engine. Raises :class:`ConfigurationError` ``audit.no_key``."""
    options = bind.connection().get_execution_options() if isinstance(bind, Session) else bind.get_execution_options()
    source = options.get(AUDIT_KEY_OPTION)
    if source is None:
        raise ConfigurationError(
            "the audit log's key is not configured for this database connection",
            code="audit.no_key",
            found="an engine without an audit key",
            expected="an engine from issuer.audit.with_audit_key (the key derives from TAWTIQ_KEY_PASSPHRASE)",
        )
    key = source()
    if not isinstance(key, bytes) or len(key) < 32:
        raise ConfigurationError(
            "the audit key is too short", code="audit.weak_key", found=len(key), expected="at least 32 bytes"
        )
    return key


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(
    *,
    key: bytes | None,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    reason: str | None,
    details: str,
) -> str:
    """The chained hash of one event (``details`` as stored: canonical JSON text), hex.

    HMAC-SHA-256 with ``key``; ``key=None`` only for the plain SHA-256 of events written before keying.
    """
    body = _canonical(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target": target,
            "reason": reason,
            "details": details,
        }
    )
    message = f"{prev_hash}\n{body}".encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def append(
    session: Session | Connection,
    *,
    actor: str,
    action: str,
    target: str,
    at: datetime,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add an event to the chain inside ``session``'s transaction (an ORM session or the Core connection of a
    transaction; nothing is returned: building the ORM object of every event cost a fifth of an append, and no
    caller read it; :func:`recent` reads events back).

    ``action`` is a dotted verb (``diploma.revoke``), ``target`` what it acted on (a credential id, a
    session, a ``kid``), ``details`` a JSON object without personal data. Raises
    :class:`ConfigurationError` ``audit.no_key`` if the session's engine has no audit key.
    """
    # Core statements built once, not the ORM: this runs in every state-changing request, last, under the head lock.
    connection = session.connection() if isinstance(session, Session) else session
    key = audit_key_of(connection)
    prev_seq, prev_hash = connection.execute(_HEAD_FOR_UPDATE).one()
    seq = prev_seq + 1
    values = {
        "seq": seq,
        "at": at,
        "actor": actor[:200],
        "action": action,
        "target": target[:200],
        "reason": reason,
        "details": _canonical(dict(details or {})),
        "prev_hash": prev_hash,
    }
    values["hash"] = event_hash(
        key=key,
        prev_hash=prev_hash,
        seq=seq,
        at=at,
        actor=values["actor"],
        action=action,
        target=values["target"],
        reason=reason,
        details=values["details"],
    )
    if connection.dialect.name == "postgresql":  # one round trip: the head moves in the INSERT's statement
        moving = {f"event_{name}": value for name, value in values.items()}
        connection.execute(_INSERT_EVENT_MOVING_HEAD, {**moving, "new_seq": seq, "new_hash": values["hash"]})
    else:
        connection.execute(_INSERT_EVENT, values)
        connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": values["hash"]})
    if isinstance(session, Session):
        session.flush()


_HEADS, _EVENTS = table(AuditHead), table(AuditEvent)
_HEAD_FOR_UPDATE: Final = select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.id == 1).with_for_update()
_INSERT_EVENT: Final = insert(_EVENTS)
_EVENT_COLUMNS: Final = ("seq", "at", "actor", "action", "target", "reason", "details", "prev_hash", "hash")
_MOVE_HEAD: Final = update(_HEADS).where(_HEADS.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
#: PostgreSQL: the event inserted and the (locked) head moved to it in one statement (a data-modifying WITH). Its
#: parameters are named after no column (``event_seq``...): a parameter named after one would be set by the UPDATE too.
_INSERT_EVENT_MOVING_HEAD: Final = (
    insert(_EVENTS)
    .values({name: bindparam(f"event_{name}") for name in _EVENT_COLUMNS})
    .add_cte(_MOVE_HEAD.cte("moved_head"))
)


@dataclass(frozen=True)
class Checkpoint:
    """A copy of the chain's head kept outside the database: at ``at``, event ``seq`` had hash ``hash``.

    ``keyed_from_seq`` is the chain's first keyed event then (it never changes afterwards). Built from a
    signed file by :func:`issuer.audit_checkpoint.read_checkpoint`, which checked its signature.
    """

    seq: int
    hash: str
    keyed_from_seq: int
    at: datetime


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: ``ok`` and, when not, the first bad event and why."""

    ok: bool
    events: int
    head_seq: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str = GENESIS_HASH
    keyed_from_seq: int = 1
    checkpoints: int = 0


def verify_chain(engine: Engine, *, checkpoints: Sequence[Checkpoint] = (), batch: int = 5_000) -> ChainReport:
    """Recompute every hash in order, in one snapshot; stream the log in batches (flat memory).

    Events from ``audit_head.keyed_from_seq`` on are checked with the audit key of ``engine`` (raises
    :class:`ConfigurationError` ``audit.no_key`` without one), earlier ones as plain SHA-256. Each of
    ``checkpoints`` must find its event with its hash, the head at or after it and the same switch-over
    to keying; the report names the first event where the log and a checkpoint disagree.
    """
    key = audit_key_of(engine)
    by_seq = {checkpoint.seq: checkpoint for checkpoint in sorted(checkpoints, key=lambda c: c.at)}
    with snapshot(engine) as session:
        head = session.execute(select(AuditHead).where(col(AuditHead.id) == 1)).scalar_one()
        keyed_from = head.keyed_from_seq

        def report(first_bad: int | None = None, problem: str | None = None) -> ChainReport:
            return ChainReport(
                problem is None,
                count,
                head.seq,
                first_bad,
                problem,
                head_hash=head.hash,
                keyed_from_seq=keyed_from,
                checkpoints=len(checkpoints),
            )

        count = 0
        for checkpoint in checkpoints:
            if checkpoint.keyed_from_seq != keyed_from:
                return report(
                    min(keyed_from, checkpoint.keyed_from_seq),
                    f"the log says events are keyed from event {keyed_from}, but the checkpoint of "
                    f"{_when(checkpoint)} says from event {checkpoint.keyed_from_seq}: the switch-over was moved",
                )
        previous_hash = GENESIS_HASH
        expected_seq = 1
        for event in _stream(session, batch):
            if event.seq != expected_seq:
                return report(expected_seq, f"event {expected_seq} is missing (next is {event.seq})")
            if event.prev_hash != previous_hash:
                return report(event.seq, "prev_hash does not match the previous event")
            recomputed = event_hash(
                key=key if event.seq >= keyed_from else None,
                prev_hash=event.prev_hash,
                seq=event.seq,
                at=event.at,
                actor=event.actor,
                action=event.action,
                target=event.target,
                reason=event.reason,
                details=event.details,
            )
            if not hmac.compare_digest(recomputed, event.hash):
                return report(event.seq, "the event's content does not match its hash")
            seen = by_seq.get(event.seq)
            if seen is not None and not hmac.compare_digest(seen.hash, event.hash):
                return report(
                    event.seq,
                    f"event {event.seq} differs from the one the checkpoint of {_when(seen)} saw: "
                    "the log was rewritten",
                )
            previous_hash = event.hash
            expected_seq += 1
            count += 1
        if head.seq != count or head.hash != previous_hash:
            return report(count + 1, f"the head names event {head.seq} but the log ends at {count}")
        latest = max(checkpoints, key=lambda c: c.seq, default=None)
        if latest is not None and latest.seq > count:
            return report(
                count + 1,
                f"the log ends at event {count}, but the checkpoint of {_when(latest)} saw event {latest.seq}: "
                "events were cut and the head rewound",
            )
        return report()


def _when(checkpoint: Checkpoint) -> str:
    return checkpoint.at.isoformat(timespec="seconds")


def _stream(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent).where(col(AuditEvent.seq) > last).order_by(col(AuditEvent.seq)).limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def recent(engine: Engine, *, limit: int = 50) -> list[AuditEvent]:
    """The last ``limit`` events, newest first."""
    with reading(engine) as session:
        return list(
            session.execute(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(limit)).scalars().all()
        )
