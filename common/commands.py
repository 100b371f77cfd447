"""What every service's commands share: the ``db-upgrade`` command and the handling of a database error.

A party registers its command with :func:`add_db_upgrade`, naming its migrations and how to read its database URL
from its settings; the issuer's own commands (``tawtiq db upgrade``) go through its command shell. Only ``typer`` is
imported here up front: the database modules are imported when a command runs, so ``tawtiq --help`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Final

import typer

if TYPE_CHECKING:
    from common.service.database import Migrations

#: The exit code of a command that cannot run: a bad configuration, a database that failed.
EXIT_ERROR: Final = 2


@contextmanager
def database_errors() -> Iterator[None]:
    """End the command with exit code 2 on a database error, saying only its class and SQLSTATE.

    The driver's message can quote stored values (:func:`common.service.database.database_error_summary`).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from common.service.database import database_error_summary

    try:
        yield
    except SQLAlchemyError as exc:
        typer.echo(f"error: the database failed: {database_error_summary(exc)}; nothing of it was kept", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def add_db_upgrade(
    group: typer.Typer, *, service: str, migrations: Callable[[], Migrations], database_url: Callable[[], str]
) -> None:
    """Add ``db-upgrade [--json]`` to ``group``: apply ``service``'s migrations and print the schema revision.

    ``migrations`` and ``database_url`` are called when the command runs (the latter reads the settings, and exits
    with the reason when they are unusable). A database error exits 2 (:func:`database_errors`).
    """

    @group.command("db-upgrade", help=f"Apply the {service}'s database migrations and print the schema revision.")
    def db_upgrade(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    ) -> None:
        from common.service.database import COMMAND_SQLITE_BUSY_SECONDS, create_database_engine

        url = database_url()
        with database_errors():
            engine = create_database_engine(url, sqlite_busy_seconds=COMMAND_SQLITE_BUSY_SECONDS)
            try:
                revision = migrations().upgrade(engine)
            finally:
                engine.dispose()
        typer.echo(json.dumps({"revision": revision}) if as_json else f"{service} database at revision {revision}")
