"""The issuer's tables (SQLModel), the single source of the schema that the Alembic migrations create.

Concepts, and the table of each:

* ``issuer_secret`` — random keys created by the first migration: keyed hashes for logs, credential ids,
  offer codes and nonces. They never leave the database.
* ``cohort_import`` / ``import_row`` / ``graduate`` — deliberated results: an import (one file), its rows
  while the import is checked (a staging table emptied in the same transaction), and the graduates it
  added (one per session and CNIE; the claims as validated, in canonical JSON).
* ``diploma`` — the record: an immutable claims snapshot under an unguessable credential id, its status
  (``active``, ``suspended``, ``revoked``) and the supersession links (``replaces``/``replaced_by``).
* ``status_shard`` / ``status_slot`` / ``status_publication`` — the status registry: fixed-size shards,
  one slot per index ever allocated (never reused; a slot belongs to a record or to one signed copy), and
  the signed list documents as last published.
* ``credential_copy`` — every signed copy handed out (no personal data: which record, which profile, which
  slot, the holder key's thumbprint and the issuer ``kid``).
* ``key_reissue`` — the records re-issued because a key that signed one of their copies was declared
  compromised: one row per (kid, record) with the new offer, so a repeated run makes no second offer.
* ``credential_offer`` / ``access_token`` / ``nonce_use`` — OpenID4VCI state shared by every replica:
  secrets are stored as hashes only.
* ``wallet_authorization`` — the OpenID4VCI authorization code flow: a wallet's authorization request while the
  graduate logs in with the eID (the login's state and PKCE verifier, the wallet's redirect URI and challenge),
  then the record it would open while the graduate is asked to consent, then the code given to the wallet (as a
  hash) once they confirm, or their refusal; single use.
* ``api_token`` — back-office API tokens (hashed) and their roles.
* ``audit_event`` / ``audit_head`` — the keyed hash-chained audit log and its head.

Times are timezone-aware UTC in Python (:class:`UTCDateTime`); JSON documents are stored as text so the
snapshot keeps its exact bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, Table, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

#: An auto-incrementing 64-bit key (SQLite only auto-increments INTEGER PRIMARY KEY).
BIG_ID: Final = BigInteger().with_variant(Integer(), "sqlite")

#: Diploma states.
ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
REVOKED: Final = "revoked"
DIPLOMA_STATES: Final = (ACTIVE, SUSPENDED, REVOKED)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes are refused; pass an aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - SQLite through raw SQL
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: The issuer's own registry, so its metadata holds its tables only (other services share the process).
issuer_registry = registry()


class IssuerTable(SQLModel, registry=issuer_registry):
    """Base of the issuer's tables."""


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class IssuerSecret(IssuerTable, table=True):
    __tablename__ = "issuer_secret"

    name: str = Field(primary_key=True, max_length=64)
    value: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))


class CohortImport(IssuerTable, table=True):
    __tablename__ = "cohort_import"

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    session: str = Field(max_length=32, index=True)
    source_name: str = Field(max_length=255)
    source_sha256: str = Field(max_length=64)
    rows_total: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    imported_at: datetime = _when()
    actor: str = Field(max_length=200)


class ImportRow(IssuerTable, table=True):
    """A checked row of an import in progress, under the import's run number (negative, never an import's id).

    Nothing but the import reads these rows; they are deleted when it ends, or by a later import if its process died.
    """

    __tablename__ = "import_row"
    __table_args__ = (
        Index("ix_import_row_cnie", "import_id", "cnie"),
        Index("ix_import_row_massar", "import_id", "massar_code"),
    )

    import_id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    row_number: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    cnie: str = Field(max_length=16)
    massar_code: str = Field(max_length=16)
    subject: str = Field(sa_column=Column(Text(), nullable=False))


class Graduate(IssuerTable, table=True):
    __tablename__ = "graduate"
    __table_args__ = (
        UniqueConstraint("session", "cnie", name="uq_graduate_session_cnie"),
        UniqueConstraint("session", "massar_code", name="uq_graduate_session_massar"),
        Index("ix_graduate_cnie", "cnie"),
        Index("ix_graduate_session_id", "session", "id"),  # cohort issue walks a session in id order
    )

    id: int | None = Field(default=None, sa_column=Column(BIG_ID, primary_key=True, autoincrement=True))
    session: str = Field(max_length=32)
    cnie: str = Field(max_length=16)
    massar_code: str = Field(max_length=16)
    subject: str = Field(sa_column=Column(Text(), nullable=False))
    import_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    row_number: int = Field(sa_column=Column(BigInteger(), nullable=False))
    created_at: datetime = _when()


class Diploma(IssuerTable, table=True):
    """A diploma record: what every signed copy of it says, and its status."""

    __tablename__ = "diploma"
    __table_args__ = (
        UniqueConstraint("graduate_id", "version", name="uq_diploma_graduate_version"),
        Index("ix_diploma_status", "status"),
        Index("ix_diploma_session", "session"),
    )

    id: str = Field(primary_key=True, max_length=64)
    graduate_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    session: str = Field(max_length=32)
    version: int = 1
    claims: str = Field(sa_column=Column(Text(), nullable=False))
    status: str = Field(default=ACTIVE, max_length=16)
    status_reason: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    status_changed_at: datetime | None = _when(nullable=True)
    replaces: str | None = Field(default=None, max_length=64)
    replaced_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = _when()
    actor: str = Field(max_length=200)


class StatusShard(IssuerTable, table=True):
    """A fixed-size shard of the status registry, published as three lists."""

    __tablename__ = "status_shard"

    id: int = Field(sa_column=Column(Integer(), primary_key=True, autoincrement=False))
    size: int
    allocated: int = 0
    permutation_key: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    version: int = 0
    created_at: datetime = _when()


class StatusSlot(IssuerTable, table=True):
    """One allocated index: it belongs to a record (``copy_id`` null) or to one signed copy.

    The owner is found by ``(graduate_id, version)``, the record's natural key: bulk creation adds slots
    in graduate order, so this index grows at its end instead of at random places (as an index on the
    random credential id would); ``diploma_id`` is kept for people reading the table.
    """

    __tablename__ = "status_slot"
    __table_args__ = (Index("ix_status_slot_owner", "graduate_id", "version"),)

    shard: int = Field(sa_column=Column(Integer(), primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(Integer(), primary_key=True, autoincrement=False))
    graduate_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    version: int = Field(sa_column=Column(Integer(), nullable=False))
    diploma_id: str = Field(max_length=64)
    copy_id: str | None = Field(default=None, max_length=64)
    #: Set when this one copy is revoked on its own (its signing key was compromised), whatever the record's status.
    revoked_at: datetime | None = _when(nullable=True)


class StatusPublication(IssuerTable, table=True):
    """The signed list document of one shard as last published, shared by every replica."""

    __tablename__ = "status_publication"

    shard: int = Field(sa_column=Column(Integer(), primary_key=True, autoincrement=False))
    kind: str = Field(primary_key=True, max_length=16)
    version: int
    token: str = Field(sa_column=Column(Text(), nullable=False))
    etag: str = Field(max_length=80)
    issued_at: datetime = _when()
    refresh_after: datetime = _when()
    expires_at: datetime = _when()


class CredentialCopy(IssuerTable, table=True):
    __tablename__ = "credential_copy"
    __table_args__ = (
        Index("ix_credential_copy_diploma", "diploma_id"),
        Index("ix_credential_copy_issuer_kid", "issuer_kid"),
    )

    id: str = Field(primary_key=True, max_length=64)
    diploma_id: str = Field(max_length=64)
    profile: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    shard: int
    idx: int
    holder_thumbprint: str | None = Field(default=None, max_length=64)
    issuer_kid: str = Field(max_length=64)
    issued_at: datetime = _when()
    actor: str = Field(max_length=200)


class KeyReissue(IssuerTable, table=True):
    """A record re-issued because ``kid``, which signed at least one of its copies, was declared compromised."""

    __tablename__ = "key_reissue"

    kid: str = Field(primary_key=True, max_length=64)
    diploma_id: str = Field(primary_key=True, max_length=64)
    offer_id: str = Field(max_length=64)
    copies: int
    created_at: datetime = _when()


class CredentialOffer(IssuerTable, table=True):
    __tablename__ = "credential_offer"

    id: str = Field(primary_key=True, max_length=64)
    diploma_id: str = Field(max_length=64, index=True)
    code_hash: str = Field(max_length=64, unique=True)
    tx_code_hash: str = Field(max_length=64)
    tx_attempts: int = 0
    configuration_ids: str = Field(sa_column=Column(Text(), nullable=False))
    created_at: datetime = _when()
    expires_at: datetime = _when()
    redeemed_at: datetime | None = _when(nullable=True)
    locked_at: datetime | None = _when(nullable=True)
    actor: str = Field(max_length=200)


class AccessToken(IssuerTable, table=True):
    __tablename__ = "access_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    offer_id: str = Field(max_length=64)
    diploma_id: str = Field(max_length=64)
    configuration_ids: str = Field(sa_column=Column(Text(), nullable=False))
    created_at: datetime = _when()
    expires_at: datetime = _when()
    copies_issued: int = 0


class WalletAuthorization(IssuerTable, table=True):
    """A wallet's authorization request (OpenID4VCI §5), from ``/authorize`` to the token it is redeemed for."""

    __tablename__ = "wallet_authorization"

    #: A digest of the eID login's ``state``: the callback finds its request by it.
    id: str = Field(primary_key=True, max_length=64)
    #: A digest of the browser cookie set at ``/authorize``: the callback must come from the same browser.
    browser_hash: str = Field(max_length=64)
    #: The identity port's :class:`common.identity.LoginStart` (JSON), kept until the callback.
    login: str = Field(sa_column=Column(Text(), nullable=False))
    client_id: str = Field(max_length=200)
    redirect_uri: str = Field(sa_column=Column(Text(), nullable=False))
    wallet_state: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    code_challenge: str = Field(max_length=128)
    configuration_ids: str = Field(sa_column=Column(Text(), nullable=False))
    #: The credential offer named by ``issuer_state``, when the wallet came from one.
    offer_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _when()
    expires_at: datetime = _when()
    #: Set once the graduate has logged in: when, at which level of assurance, and the record it would open.
    logged_in_at: datetime | None = _when(nullable=True)
    acr: str | None = Field(default=None, max_length=200)
    diploma_id: str | None = Field(default=None, max_length=64)
    #: Set once the graduate has confirmed on the consent page: the code's digest and its expiry.
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    code_expires_at: datetime | None = _when(nullable=True)
    #: Set when the graduate refused on the consent page: nothing is issued.
    refused_at: datetime | None = _when(nullable=True)
    redeemed_at: datetime | None = _when(nullable=True)


class NonceUse(IssuerTable, table=True):
    """A ``c_nonce`` that has been used (nonces themselves are stateless and MAC-protected)."""

    __tablename__ = "nonce_use"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = _when()


class ApiToken(IssuerTable, table=True):
    __tablename__ = "api_token"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = _when()
    created_by: str = Field(max_length=200)
    revoked_at: datetime | None = _when(nullable=True)
    last_used_at: datetime | None = _when(nullable=True)


class AuditEvent(IssuerTable, table=True):
    __tablename__ = "audit_event"

    seq: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    at: datetime = _when()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    target: str = Field(max_length=200)
    reason: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    details: str = Field(sa_column=Column(Text(), nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(IssuerTable, table=True):
    """The last event of the chain, one row, locked by every writer so the chain stays linear.

    ``keyed_from_seq``: the first event linked with the audit key (earlier ones are a plain SHA-256 chain).
    """

    __tablename__ = "audit_head"

    id: int = Field(sa_column=Column(Integer(), primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(BigInteger(), nullable=False))
    hash: str = Field(max_length=64)
    keyed_from_seq: int = Field(sa_column=Column(BigInteger(), nullable=False))


#: Names of the issuer's random secrets (see :mod:`issuer.secrets`).
SECRET_NAMES: Final = ("pseudonym", "credential_id", "offer", "nonce")
#: ``prev_hash`` of the first audit event.
GENESIS_HASH: Final = "0" * 64

metadata = issuer_registry.metadata


def table(model: type[IssuerTable]) -> Table:
    """The SQLAlchemy table of a model (for Core statements: bulk inserts, deletes)."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found
