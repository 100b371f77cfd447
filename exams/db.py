"""The exam year's database: the ministry's (the issuer's database URL and settings), its own migrations.

The exam year's tables live beside the issuer's in one database, so a deliberation writes the issuer's
``graduate`` rows in the same transaction as its results. Its Alembic migrations keep their own version table
(``exams_alembic_version``) and advisory-lock key, and are applied by ``tawtiq exam db-upgrade`` (after the
issuer's ``tawtiq db upgrade``). Sessions, transactions and times are the issuer's (:mod:`issuer.db`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy.engine import Engine

from common.service.database import Migrations

#: Alembic's bookkeeping table of the exam year, distinct from the issuer's in the shared database.
VERSION_TABLE: Final = "exams_alembic_version"
#: The exam year's migrations ("tawtiq-exam" as the advisory-lock key).
MIGRATIONS: Final = Migrations(
    directory=Path(__file__).resolve().parent / "migrations",
    command="tawtiq exam db-upgrade",
    lock_key=0x7461777469710010,
    version_table=VERSION_TABLE,
)


def upgrade(engine: Engine, *, revision: str = "head") -> str | None:
    """Apply the exam year's migrations up to ``revision`` (safe on every start-up and from several processes)."""
    return MIGRATIONS.upgrade(engine, revision=revision)


def require_current(engine: Engine) -> None:
    """Raise :class:`vc.ConfigurationError` ``db.not_migrated`` (naming ``tawtiq exam db-upgrade``) unless at head."""
    MIGRATIONS.require_current(engine)
