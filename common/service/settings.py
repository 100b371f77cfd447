"""The base of every service's one settings object (pydantic-settings), with the fields all services have.

A service subclasses :class:`ServiceSettings`, sets its own ``env_prefix`` in ``model_config`` and adds its
fields, with units in the names. Validation happens once, when the object is built.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import ArgumentError

from vc.errors import ConfigurationError

from .database import database_url


class ServiceSettings(BaseSettings):
    """Fields every service has: its database, its request-body bound, its migration policy, its log level."""

    model_config = SettingsConfigDict(frozen=True)

    #: SQLAlchemy URL: SQLite (``sqlite:///path``, the embedded default) or PostgreSQL (``postgresql://…``, read
    #: as ``postgresql+psycopg://``). ``None`` lets a service default to a file in its data directory.
    database_url: str | None = None
    #: Largest HTTP request body accepted; larger ones are refused with 413 before they are read.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    #: Apply pending migrations at start-up (see :mod:`common.service.database`); off: refuse an old schema.
    auto_migrate: bool = True
    #: Log level of the service's process (DEBUG, INFO, WARNING, ERROR).
    log_level: str = Field(default="INFO", pattern=r"^(?i:debug|info|warning|error)$")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        try:
            parsed = database_url(value)
        except (ConfigurationError, ArgumentError) as exc:
            scheme = value.split(":", 1)[0]
            raise ValueError(
                f"the database URL must be a PostgreSQL (postgresql://...) or SQLite (sqlite:///path) URL; "
                f"found a {scheme!r} URL"
            ) from exc
        if parsed.get_backend_name() == "sqlite" and not value.startswith("sqlite:///"):
            raise ValueError("a SQLite database URL names a file: sqlite:///path")
        return parsed.render_as_string(hide_password=False)
