"""The verifier's first schema: issuer-metadata and status-list caches, trust-list copy, OpenID4VP transactions,
share links and their nonces, rate buckets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "verifier_issuer_metadata",
        sa.Column("issuer", sa.String(2048), primary_key=True),
        sa.Column("jwks", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(512), nullable=True),
        _moment("fetched_at"),
        _moment("fresh_until"),
    )
    op.create_table(
        "verifier_status_lists",
        sa.Column("uri", sa.String(2048), primary_key=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("etag", sa.String(512), nullable=True),
        _moment("fetched_at"),
        _moment("fresh_until"),
    )
    op.create_table(
        "verifier_trust_lists",
        sa.Column("source", sa.String(2048), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        _moment("fetched_at"),
    )
    op.create_table(
        "verifier_oid4vp_transactions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("request_handle", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("dcql_query", sa.Text(), nullable=False),
        _moment("created_at"),
        _moment("expires_at"),
        sa.Column("status", sa.String(16), nullable=False),
        _moment("retrieved_at", nullable=True),
        _moment("answered_at", nullable=True),
        sa.Column("result_key", sa.LargeBinary(), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("wallet_error", sa.String(256), nullable=True),
    )
    op.create_index(
        "ix_verifier_oid4vp_transactions_request_handle",
        "verifier_oid4vp_transactions",
        ["request_handle"],
        unique=True,
    )
    op.create_index("ix_verifier_oid4vp_transactions_state", "verifier_oid4vp_transactions", ["state"], unique=True)
    op.create_table(
        "verifier_share_nonces",
        sa.Column("nonce", sa.String(64), primary_key=True),
        _moment("created_at"),
        _moment("expires_at"),
        _moment("used_at", nullable=True),
    )
    op.create_table(
        "verifier_shares",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("revoke_hash", sa.String(64), nullable=False),
        _moment("created_at"),
        _moment("expires_at"),
        _moment("revoked_at", nullable=True),
    )
    op.create_index("ix_verifier_shares_expires_at", "verifier_shares", ["expires_at"])
    op.create_table(
        "verifier_rate_buckets",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("window_start", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "verifier_rate_buckets",
        "verifier_shares",
        "verifier_share_nonces",
        "verifier_oid4vp_transactions",
        "verifier_trust_lists",
        "verifier_status_lists",
        "verifier_issuer_metadata",
    ):
        op.drop_table(table)
