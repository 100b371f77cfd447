"""Relying parties authenticated by an API token (only SHA-256 digests of the tokens are stored), and the name of
the relying party an OpenID4VP transaction was created for.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verifier_relying_parties",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("verifier_oid4vp_transactions") as batch:
        batch.add_column(sa.Column("client_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("verifier_oid4vp_transactions") as batch:
        batch.drop_column("client_name")
    op.drop_table("verifier_relying_parties")
