"""Initial schema: graduates, diploma records, status registry, OpenID4VCI state, API tokens, audit log

Also creates the issuer's random secrets (keyed hashes for logs, credential ids, offer codes, nonces)
and the head of the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The secrets this revision creates (a snapshot: later revisions add their own).
SECRET_NAMES = ("pseudonym", "credential_id", "offer", "nonce")


def upgrade() -> None:

    op.create_table(
        "access_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("diploma_id", sa.String(length=64), nullable=False),
        sa.Column("configuration_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("copies_issued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cohort_import",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cohort_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_import_session"), ["session"], unique=False)

    op.create_table(
        "credential_copy",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("diploma_id", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("holder_thumbprint", sa.String(length=64), nullable=True),
        sa.Column("issuer_kid", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credential_copy", schema=None) as batch_op:
        batch_op.create_index("ix_credential_copy_diploma", ["diploma_id"], unique=False)

    op.create_table(
        "credential_offer",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("diploma_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_attempts", sa.Integer(), nullable=False),
        sa.Column("configuration_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("credential_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_offer_diploma_id"), ["diploma_id"], unique=False)

    op.create_table(
        "diploma",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("graduate_id", sa.BigInteger(), nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaces", sa.String(length=64), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("graduate_id", "version", name="uq_diploma_graduate_version"),
    )
    with op.batch_alter_table("diploma", schema=None) as batch_op:
        batch_op.create_index("ix_diploma_session", ["session"], unique=False)
        batch_op.create_index("ix_diploma_status", ["status"], unique=False)

    op.create_table(
        "graduate",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("cnie", sa.String(length=16), nullable=False),
        sa.Column("massar_code", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session", "cnie", name="uq_graduate_session_cnie"),
        sa.UniqueConstraint("session", "massar_code", name="uq_graduate_session_massar"),
    )
    with op.batch_alter_table("graduate", schema=None) as batch_op:
        batch_op.create_index("ix_graduate_cnie", ["cnie"], unique=False)

    op.create_table(
        "import_row",
        sa.Column("import_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("row_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cnie", sa.String(length=16), nullable=False),
        sa.Column("massar_code", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "row_number"),
    )
    with op.batch_alter_table("import_row", schema=None) as batch_op:
        batch_op.create_index("ix_import_row_cnie", ["import_id", "cnie"], unique=False)
        batch_op.create_index("ix_import_row_massar", ["import_id", "massar_code"], unique=False)

    op.create_table(
        "issuer_secret",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "nonce_use",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash"),
    )
    op.create_table(
        "status_publication",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shard", "kind"),
    )
    op.create_table(
        "status_shard",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("permutation_key", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "status_slot",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("diploma_id", sa.String(length=64), nullable=False),
        sa.Column("copy_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("shard", "idx"),
    )
    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.create_index("ix_status_slot_diploma", ["diploma_id"], unique=False)

    secrets = sa.table("issuer_secret", sa.column("name", sa.String()), sa.column("value", sa.LargeBinary()))
    op.bulk_insert(secrets, [{"name": name, "value": os.urandom(32)} for name in SECRET_NAMES])
    head = sa.table(
        "audit_head", sa.column("id", sa.Integer()), sa.column("seq", sa.BigInteger()), sa.column("hash", sa.String())
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    with op.batch_alter_table("status_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_status_slot_diploma")

    op.drop_table("status_slot")
    op.drop_table("status_shard")
    op.drop_table("status_publication")
    op.drop_table("nonce_use")
    op.drop_table("issuer_secret")
    with op.batch_alter_table("import_row", schema=None) as batch_op:
        batch_op.drop_index("ix_import_row_massar")
        batch_op.drop_index("ix_import_row_cnie")

    op.drop_table("import_row")
    with op.batch_alter_table("graduate", schema=None) as batch_op:
        batch_op.drop_index("ix_graduate_cnie")

    op.drop_table("graduate")
    with op.batch_alter_table("diploma", schema=None) as batch_op:
        batch_op.drop_index("ix_diploma_status")
        batch_op.drop_index("ix_diploma_session")

    op.drop_table("diploma")
    with op.batch_alter_table("credential_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_offer_diploma_id"))

    op.drop_table("credential_offer")
    with op.batch_alter_table("credential_copy", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_copy_diploma")

    op.drop_table("credential_copy")
    with op.batch_alter_table("cohort_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_import_session"))

    op.drop_table("cohort_import")
    op.drop_table("audit_head")
    op.drop_table("audit_event")
    op.drop_table("api_token")
    op.drop_table("access_token")
