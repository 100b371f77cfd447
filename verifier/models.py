"""The verifier's database tables: every piece of state that must survive a restart or be shared by replicas.

Nothing personal is stored in clear. OpenID4VP results and share-link presentations are sealed (see
:mod:`verifier.sealing`) under keys derived from the transaction id or share-link id, which the database keeps
only as SHA-256 digests; a copy of the database alone reveals no claim. Client addresses appear only as keyed
hashes in rate buckets. The schema is created and evolved by the Alembic migrations in ``verifier/migrations``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel


class IssuerMetadataRow(SQLModel, table=True):
    """A trusted issuer's published key set, as last fetched."""

    __tablename__ = "verifier_issuer_metadata"

    issuer: str = Field(primary_key=True, max_length=2048)
    #: The JWK Set (JSON text) taken from the issuer's metadata.
    jwks: str = Field(sa_column=Column(Text, nullable=False))
    etag: str | None = Field(default=None, max_length=512)
    fetched_at: datetime
    fresh_until: datetime


class StatusListRow(SQLModel, table=True):
    """A status-list document (the signed token as served) and when it was last fetched or revalidated."""

    __tablename__ = "verifier_status_lists"

    uri: str = Field(primary_key=True, max_length=2048)
    token: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    etag: str | None = Field(default=None, max_length=512)
    fetched_at: datetime
    fresh_until: datetime


class TrustListRow(SQLModel, table=True):
    """The last good copy of a trust list fetched from a URL, used when the URL cannot be reached at start-up."""

    __tablename__ = "verifier_trust_lists"

    source: str = Field(primary_key=True, max_length=2048)
    document: str = Field(sa_column=Column(Text, nullable=False))
    fetched_at: datetime


class OpenID4VPTransactionRow(SQLModel, table=True):
    """One cross-device OpenID4VP request: what was asked, its single-use nonce, and (sealed) its result."""

    __tablename__ = "verifier_oid4vp_transactions"

    #: SHA-256 (hex) of the transaction id; the id itself is the bearer secret for reading the result.
    id_hash: str = Field(primary_key=True, max_length=64)
    #: Public handle in the request_uri.
    request_handle: str = Field(unique=True, index=True, max_length=64)
    #: Public ``state`` the wallet sends back to the response_uri.
    state: str = Field(unique=True, index=True, max_length=64)
    nonce: str = Field(max_length=64)
    #: The DCQL query sent to the wallet (JSON text).
    dcql_query: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    expires_at: datetime
    #: ``pending`` → ``retrieved`` → ``answered`` | ``failed``.
    status: str = Field(max_length=16)
    retrieved_at: datetime | None = None
    answered_at: datetime | None = None
    #: X25519 public key the result is sealed to (its private half is derived from the transaction id).
    result_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    #: The verification result, sealed to ``result_key``.
    result: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    wallet_error: str | None = Field(default=None, max_length=256)
    #: The authenticated relying party the request was made for (shown to the wallet), or None for an anonymous one.
    client_name: str | None = Field(default=None, max_length=200)
    #: SHA-256 (hex) of the response code in the ``redirect_uri`` the wallet got back (the holder's bearer secret).
    response_code_hash: str | None = Field(default=None, unique=True, index=True, max_length=64)
    #: The result as the holder may read it, sealed to a key derived from the response code.
    holder_result: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class ShareNonceRow(SQLModel, table=True):
    """A nonce handed to a wallet for one share-link presentation; single use, short-lived."""

    __tablename__ = "verifier_share_nonces"

    nonce: str = Field(primary_key=True, max_length=64)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class ShareRow(SQLModel, table=True):
    """A share link. Its presentation is sealed under the link id and erased when the link ends."""

    __tablename__ = "verifier_shares"

    #: SHA-256 (hex) of the link id.
    id_hash: str = Field(primary_key=True, max_length=64)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    #: SHA-256 (hex) of the revoke token.
    revoke_hash: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime = Field(index=True)
    revoked_at: datetime | None = None


class RelyingPartyRow(SQLModel, table=True):
    """A relying party the operator registered: its name and the SHA-256 digest of its API token (never the token)."""

    __tablename__ = "verifier_relying_parties"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime
    revoked_at: datetime | None = None


class RateBucketRow(SQLModel, table=True):
    """Requests counted for one (action, keyed client hash) in one fixed window."""

    __tablename__ = "verifier_rate_buckets"

    key: str = Field(primary_key=True, max_length=128)
    window_start: int = Field(primary_key=True)
    count: int = 0
