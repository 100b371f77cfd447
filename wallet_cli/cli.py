"""``tawtiq-wallet``: the graduate's wallet on the command line.

A thin shell over the wallet's modules: each command reads its options, opens the encrypted store, calls the
protocol code (:mod:`wallet_cli.oid4vci`, :mod:`wallet_cli.oid4vp`, :mod:`wallet_cli.shares`,
:mod:`wallet_cli.checking`) and commits only what passed its checks. Results go to stdout (``--json`` for
scripts), progress, warnings and prompts to stderr. Exit codes: 0 success, 1 refused or invalid (a check
failed, a wrong passphrase, a damaged store, a verdict other than valid), 2 the command could not run
(usage, a missing wallet, a service that cannot be reached, a verdict that could not be reached).

Environment: ``TAWTIQ_WALLET_DIR`` (the wallet directory), ``TAWTIQ_WALLET_PASSPHRASE`` or
``TAWTIQ_WALLET_PASSPHRASE_FILE``, ``TAWTIQ_WALLET_BACKUP_PASSPHRASE``, ``TAWTIQ_WALLET_TX_CODE``,
``TAWTIQ_WALLET_CA_FILE`` (extra TLS trust anchors, for a development issuer).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Final

import typer

from wallet_cli.commands import look, manage, present, receive, share, verifiers
from wallet_cli.commands.runtime import APP_NAME

app = typer.Typer(
    name=APP_NAME,
    help="Tawtiq wallet (توثيق): receive your baccalaureate diploma, keep it encrypted, show it to universities "
    "and employers — only what you choose.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
verifiers_app = typer.Typer(
    help="Your known verifiers: a request from any other address is marked UNKNOWN before you disclose anything.",
    short_help="Your list of known verifiers.",
    no_args_is_help=True,
)
app.add_typer(verifiers_app, name="verifiers")

#: The installed distribution whose version ``--version`` prints.
DISTRIBUTION: Final = "tawtiq"


def _print_version(wanted: bool) -> None:
    if not wanted:
        return
    try:
        number = version(DISTRIBUTION)
    except PackageNotFoundError:
        number = f"unknown (the {DISTRIBUTION} distribution is not installed)"
    typer.echo(f"{APP_NAME} {number}")
    raise typer.Exit


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    # No docstring: the app's help stays the one given to typer.Typer above.
    del show_version


app.command()(manage.init)
app.command()(receive.receive)
app.command("list")(look.list_diplomas)
app.command()(look.show)
app.command()(manage.delete)
app.command("present")(present.present_command)
app.command()(share.share)
app.command("shares")(share.list_shares)
app.command()(share.unshare)
app.command("verify")(look.verify_command)
app.command("verify-printed")(look.verify_printed_command)
app.command("export")(manage.export_command)
app.command("import")(manage.import_command)
app.command("passphrase")(manage.change_passphrase)
verifiers_app.command("list")(verifiers.verifiers_list)
verifiers_app.command("add")(verifiers.verifiers_add)
verifiers_app.command("remove")(verifiers.verifiers_remove)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    app(args=list(argv) if argv is not None else None, prog_name=APP_NAME)


if __name__ == "__main__":  # pragma: no cover
    main()
