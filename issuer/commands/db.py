"""``tawtiq db upgrade|status|purge``: the issuer database's migrations and housekeeping."""

from __future__ import annotations

import typer

from issuer.commands.shell import (
    EXIT_ERROR,
    JsonOption,
    clock,
    current_settings,
    handled_errors,
    open_engine,
    print_json,
)

db_app = typer.Typer(help="The issuer's database: migrations and housekeeping.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(json_output: JsonOption = False) -> None:
    """Apply the database migrations (idempotent; safe with several processes)."""
    from issuer.db import upgrade

    with handled_errors():
        settings = current_settings()
        revision = upgrade(open_engine(settings, migrated=False))
    if json_output:
        print_json({"revision": revision})
    else:
        typer.echo(f"database at revision {revision}")


@db_app.command("status")
def db_status(json_output: JsonOption = False) -> None:
    """Show the database's migration revision and the newest one."""
    from issuer.db import current_revision, head_revision

    with handled_errors():
        settings = current_settings()
        current = current_revision(open_engine(settings, migrated=False))
    result = {"current": current, "head": head_revision(), "up_to_date": current == head_revision()}
    if json_output:
        print_json(result)
    else:
        typer.echo(
            f"current {current or '(empty)'}, head {result['head']}"
            + ("" if result["up_to_date"] else " — run `tawtiq db upgrade`")
        )
    if not result["up_to_date"]:
        raise typer.Exit(EXIT_ERROR)


@db_app.command("purge")
def db_purge(json_output: JsonOption = False) -> None:
    """Delete expired OpenID4VCI state (used nonces, access tokens and offers expired for a day)."""
    from issuer.oid4vci import purge_expired

    with handled_errors():
        purged = purge_expired(open_engine(current_settings()), now=clock.now())
    if json_output:
        print_json(purged)
    else:
        typer.echo(", ".join(f"{count} {name}" for name, count in purged.items()) + " purged")
