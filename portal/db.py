"""The portal's migrations on the common policy (:mod:`common.service.database`): applied at start-up under a
lock, or refused with ``TAWTIQ_PORTAL_AUTO_MIGRATE=false`` naming ``tawtiq portal db-upgrade``. Its own version
table keeps the ministry's shared database unambiguous."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from common.service.database import Migrations

#: Alembic's bookkeeping table, named for this service (the database is the issuer's and the exam year's too).
VERSION_TABLE: Final = "portal_alembic_version"
MIGRATIONS: Final = Migrations(
    directory=Path(__file__).resolve().parent / "migrations",
    command="tawtiq portal db-upgrade",
    lock_key=0x74617774697170,  # "tawtiqp",
    version_table=VERSION_TABLE,
)
