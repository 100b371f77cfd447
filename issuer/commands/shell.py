"""What every issuer command shares: reading the settings, opening the database and the key store, the
actor and the clock, printing, and turning our errors into a message on stderr and an exit code.

Exit codes: 0 success, 1 the input was refused (bad file, unknown diploma, revoked is final...), 2 the
command could not run (settings, database not migrated, key passphrase, unreadable file). Heavy modules
are imported inside the functions so that ``tawtiq --help`` stays fast.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, NoReturn

import typer

from common.service.clock import SystemClock

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Engine

    from issuer.keyring import Keyring
    from issuer.settings import Settings

EXIT_REFUSED = 1
EXIT_ERROR = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
SessionOption = Annotated[str, typer.Option("--session", help="Exam session, e.g. 2024-normale or 2024-rattrapage.")]
OptionalSession = Annotated[
    str | None, typer.Option("--session", help="Exam session, when the graduate has records in several.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
IdentifierArgument = Annotated[str, typer.Argument(metavar="ID", help="Credential id or CNIE number.")]

#: The commands' only clock.
clock: Final = SystemClock()


def actor() -> str:
    """Who runs the command, as recorded in the audit log: ``cli:<user name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # pragma: no cover - no user name in a container
        return "cli:unknown"


def err(message: str) -> None:
    """Print a diagnostic on stderr."""
    typer.echo(message, err=True)


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` on stderr and end the command with exit ``code``."""
    err(message)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    """Print a result as indented JSON on stdout."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@contextmanager
def handled_errors() -> Iterator[None]:
    """Turn our errors into a message on stderr and an exit code (1 refused, 2 cannot run).

    A database error prints its class and SQLSTATE only (:func:`common.service.database.database_error_summary`).
    """
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from common.service.database import database_error_summary
    from vc.errors import CredentialError, TawtiqError

    try:
        yield
    except CredentialError as exc:
        fail(f"error: {exc.diagnostics()}", EXIT_REFUSED)
    except TawtiqError as exc:
        fail(f"error: {exc.diagnostics()}", EXIT_ERROR)
    except SQLAlchemyError as exc:
        # Never str(exc): a driver's message can quote the failing row (CNIE numbers, names, birth dates).
        fail(
            f"error: the database failed: {database_error_summary(exc)}; the command's transaction was rolled "
            "back and nothing of it was kept. The details are in the database server's log, not here: "
            "they may hold personal data",
            EXIT_ERROR,
        )
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}" for error in exc.errors()]
        fail("error: the TAWTIQ_* settings are invalid:\n" + "\n".join(lines), EXIT_ERROR)


def current_settings() -> Settings:
    """The validated ``TAWTIQ_*`` settings; raises pydantic's ``ValidationError`` when they are invalid."""
    from issuer.settings import load_settings

    return load_settings()


def open_engine(settings: Settings, *, migrated: bool = True) -> Engine:
    """The database engine, with the audit key; with ``migrated`` (the default) it raises unless the schema
    is current."""
    from common.service.database import COMMAND_SQLITE_BUSY_SECONDS
    from issuer.audit import keyed_engine
    from issuer.db import require_current

    engine = keyed_engine(settings, sqlite_busy_seconds=COMMAND_SQLITE_BUSY_SECONDS)
    if migrated:
        require_current(engine)
    return engine


def open_keyring(settings: Settings) -> Keyring:
    """The key store the settings select, unlocked with its secret (refused when missing or weak)."""
    from issuer.keyring import Keyring

    return Keyring.from_settings(settings)


def parse_instant(text: str | None) -> datetime:
    """An ISO 8601 instant with a time zone, in UTC (now when ``text`` is None); exits 2 otherwise."""
    if text is None:
        return clock.now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"error: not an ISO 8601 instant: {text!r} (e.g. 2026-07-01T12:00:00Z)", EXIT_ERROR)
    if moment.tzinfo is None:
        fail(f"error: {text!r} needs a time zone, e.g. {text}Z", EXIT_ERROR)
    return moment.astimezone(UTC)
