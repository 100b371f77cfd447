"""The issuer's database: the common engine and transactions (:mod:`common.service.database`), its migrations.

Everything about engines, SQLite pragmas, file modes, write transactions and the migration policy lives in
the common module; this one names the issuer's migrations (``issuer/migrations``, Alembic's default version
table, migrated by ``tawtiq db upgrade``) and keeps the functions the issuer's modules and commands call.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy.engine import Engine
from sqlmodel import Session

from common.service.database import (
    Migrations,
    affected,
    create_database_engine,
    is_sqlite,
    reading,
    snapshot,
    writing,
)

__all__ = [
    "MIGRATIONS",
    "affected",
    "bind_time",
    "create_database_engine",
    "current_revision",
    "head_revision",
    "is_sqlite",
    "reading",
    "require_current",
    "snapshot",
    "upgrade",
    "writing",
]

#: The issuer's migrations; the advisory-lock key is the one the issuer has always used.
MIGRATIONS: Final = Migrations(
    directory=Path(__file__).resolve().parent / "migrations", command="tawtiq db upgrade", lock_key=7403170001
)


def bind_time(session: Session, moment: datetime) -> Any:
    """``moment`` as the database stores it, for raw SQL parameters (see :class:`issuer.models.UTCDateTime`)."""
    from issuer.models import UTCDateTime

    return UTCDateTime().process_bind_param(moment, session.get_bind().dialect)


def upgrade(engine: Engine, *, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision`` (safe on every start-up and from several processes)."""
    return MIGRATIONS.upgrade(engine, revision=revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    return MIGRATIONS.current(engine)


def head_revision() -> str:
    """The newest revision shipped with this code."""
    return MIGRATIONS.head()


def require_current(engine: Engine) -> None:
    """Raise :class:`vc.ConfigurationError` ``db.not_migrated`` (naming ``tawtiq db upgrade``) unless at head."""
    MIGRATIONS.require_current(engine)
