"""The outcome an OpenID4VP wallet's holder may read: the digest of the response code sent back in the
``redirect_uri``, and the result sealed to that code.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verifier_oid4vp_transactions") as batch:
        batch.add_column(sa.Column("response_code_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("holder_result", sa.LargeBinary(), nullable=True))
        batch.create_index("ix_verifier_oid4vp_transactions_response_code_hash", ["response_code_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("verifier_oid4vp_transactions") as batch:
        batch.drop_index("ix_verifier_oid4vp_transactions_response_code_hash")
        batch.drop_column("holder_result")
        batch.drop_column("response_code_hash")
