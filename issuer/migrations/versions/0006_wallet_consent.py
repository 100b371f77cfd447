"""The graduate's consent in the authorization code flow: the login is kept until they confirm or refuse.

* ``wallet_authorization.logged_in_at`` / ``acr`` — when the eID login ended and at which level of assurance (the
  record it opens is ``diploma_id``); the code is made only once the graduate confirms on the issuer's page.
* ``wallet_authorization.refused_at`` — when the graduate refused: nothing is issued for the request.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wallet_authorization") as table:
        table.add_column(sa.Column("logged_in_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("acr", sa.String(length=200), nullable=True))
        table.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wallet_authorization") as table:
        table.drop_column("refused_at")
        table.drop_column("acr")
        table.drop_column("logged_in_at")
