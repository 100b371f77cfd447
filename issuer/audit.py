"""The audit log: every state change (who, what, when, why), hash-chained so tampering shows.

Event ``n`` stores ``hash = SHA-256(prev_hash || "\\n" || canonical JSON of (seq, at, actor, action,
target, reason, details))`` with ``prev_hash`` the hash of event ``n - 1`` (64 zeros for the first).
Changing, inserting or deleting an event breaks every later hash; :func:`verify_chain` recomputes them and
names the first event that does not match. ``audit_head`` holds the last sequence number and hash: every
writer locks it, so the chain stays linear however many processes write, and truncating the log's tail
shows as a head that no event matches.

Details never hold personal data: a graduate appears as the pseudonym of their CNIE number
(:meth:`issuer.secrets.IssuerSecrets.pseudonym_of`) and a diploma by its credential id.

:func:`append` is called last in the transaction of the change it records, so the head lock is held
for as short a time as possible; the event commits or rolls back with the change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from issuer.db import reading, snapshot
from issuer.models import GENESIS_HASH, AuditEvent, AuditHead


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(
    *, prev_hash: str, seq: int, at: datetime, actor: str, action: str, target: str, reason: str | None, details: str
) -> str:
    """The chained hash of one event (``details`` as stored: canonical JSON text)."""
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
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    at: datetime,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the chain inside ``session``'s transaction and return it.

    ``action`` is a dotted verb (``diploma.revoke``), ``target`` what it acted on (a credential id, a
    session, a ``kid``), ``details`` a JSON object without personal data.
    """
    head = session.execute(select(AuditHead).where(col(AuditHead.id) == 1).with_for_update()).scalar_one()
    seq = head.seq + 1
    stored_details = _canonical(dict(details or {}))
    digest = event_hash(
        prev_hash=head.hash,
        seq=seq,
        at=at,
        actor=actor[:200],
        action=action,
        target=target[:200],
        reason=reason,
        details=stored_details,
    )
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor[:200],
        action=action,
        target=target[:200],
        reason=reason,
        details=stored_details,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(event)
    head.seq = seq
    head.hash = digest
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: ``ok`` and, when not, the first bad event and why."""

    ok: bool
    events: int
    head_seq: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(engine: Engine, *, batch: int = 5_000) -> ChainReport:
    """Recompute every hash in order, in one snapshot; stream the log in batches (flat memory)."""
    with snapshot(engine) as session:
        head = session.execute(select(AuditHead).where(col(AuditHead.id) == 1)).scalar_one()
        previous_hash = GENESIS_HASH
        expected_seq = 1
        count = 0
        for event in _stream(session, batch):
            if event.seq != expected_seq:
                return ChainReport(
                    False, count, head.seq, expected_seq, f"event {expected_seq} is missing (next is {event.seq})"
                )
            if event.prev_hash != previous_hash:
                return ChainReport(False, count, head.seq, event.seq, "prev_hash does not match the previous event")
            recomputed = event_hash(
                prev_hash=event.prev_hash,
                seq=event.seq,
                at=event.at,
                actor=event.actor,
                action=event.action,
                target=event.target,
                reason=event.reason,
                details=event.details,
            )
            if recomputed != event.hash:
                return ChainReport(False, count, head.seq, event.seq, "the event's content does not match its hash")
            previous_hash = event.hash
            expected_seq += 1
            count += 1
        if head.seq != count or head.hash != previous_hash:
            return ChainReport(
                False, count, head.seq, count + 1, f"the head names event {head.seq} but the log ends at {count}"
            )
        return ChainReport(True, count, head.seq)


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
