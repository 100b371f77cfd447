"""The diploma page's tables: the holder keys and copies the ministry keeps for graduates who share from the
portal (sealed), and the share links made from them (:mod:`portal.diploma`).

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
        "portal_custody",
        sa.Column("graduate_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("key_sealed", sa.LargeBinary, nullable=False),
        sa.Column("diploma_id", sa.String(64), nullable=False),
        sa.Column("copy_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "portal_shares",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("graduate_id", sa.BigInteger, sa.ForeignKey("portal_custody.graduate_id"), nullable=False),
        sa.Column("link_id", sa.String(64), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("verifier", sa.String(300), nullable=False),
        sa.Column("claims", sa.Text, nullable=False),
        sa.Column("revoke_token_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_portal_shares_graduate_id", "portal_shares", ["graduate_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_shares_graduate_id", "portal_shares")
    op.drop_table("portal_shares")
    op.drop_table("portal_custody")
