"""The portal's tables: logins under way, sessions (keyed digests of their ids), staff roles.

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


def upgrade() -> None:
    op.create_table(
        "portal_logins",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("start", sa.Text, nullable=False),
        sa.Column("next_path", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("cnie", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("acr", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("display_name_ar", sa.String(300), nullable=False),
        sa.Column("staff", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_portal_sessions_expires_at", "portal_sessions", ["expires_at"])
    op.create_table(
        "portal_staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cnie", sa.String(16), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("cnie", "role", "scope", name="uq_portal_staff_cnie_role_scope"),
    )
    op.create_index("ix_portal_staff_cnie", "portal_staff", ["cnie"])


def downgrade() -> None:
    op.drop_index("ix_portal_staff_cnie", "portal_staff")
    op.drop_table("portal_staff")
    op.drop_index("ix_portal_sessions_expires_at", "portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_table("portal_logins")
