"""The development eID provider's commands, added to the ``tawtiq`` command by :func:`register`.

* ``tawtiq serve eid [--host 127.0.0.1] [--port 8300] [--identities FILE] [--clients FILE] [--data-dir DIR]
  [--development]`` — run the stand-in; it refuses to start (exit 2) unless development mode is set, by
  ``--development`` or ``TAWTIQ_EID_DEVELOPMENT=true``;
* ``tawtiq eid identities --from candidates.csv --out identities.json`` — card holders with development PINs;
* ``tawtiq eid client add --client-id portal --redirect-uri URL [--redirect-uri URL...] --out clients.json`` —
  register a relying party and print its fresh secret.

Settings come from ``TAWTIQ_EID_*``; the options override them. Exit codes: 0 done, 1 the input was refused,
2 the command could not run.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from eid.settings import Settings

EXIT_REFUSED = 1
EXIT_ERROR = 2


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from eid.settings import Settings

    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ())) or "settings"
            typer.echo(f"error: TAWTIQ_EID_{where.upper()}: {error.get('msg')}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the ``eid`` command group to ``app`` and ``serve eid`` to ``serve``."""
    group = typer.Typer(
        help="The development eID provider (a stand-in for the national eID): identities and clients.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="eid")
    clients = typer.Typer(help="Relying parties of the development eID provider.", no_args_is_help=True)
    group.add_typer(clients, name="client")

    @serve.command("eid")
    def serve_eid(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8300,
        identities: Annotated[
            Path | None, typer.Option("--identities", help="identities.json (tawtiq eid identities).")
        ] = None,
        clients_file: Annotated[
            Path | None, typer.Option("--clients", help="clients.json (tawtiq eid client add).")
        ] = None,
        data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the signing key is kept.")] = None,
        public_url: Annotated[
            str | None,
            typer.Option(help="The issuer URL clients reach (default TAWTIQ_EID_PUBLIC_URL, else http://HOST:PORT)."),
        ] = None,
        development: Annotated[
            bool, typer.Option("--development", help="Confirm this is development: required to start.")
        ] = False,
    ) -> None:
        """Run the development eID provider (OpenID Connect). Never a real identity provider."""
        from common.serving import serve as serve_app
        from eid.app import create_app
        from eid.settings import DEVELOPMENT_ONLY
        from vc import TawtiqError

        if public_url is None and "TAWTIQ_EID_PUBLIC_URL" not in os.environ:
            public_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
        settings = _settings(
            development=True if development else None,
            public_url=public_url,
            identities_file=identities,
            clients_file=clients_file,
            data_dir=data_dir,
        )
        if not settings.development:
            typer.echo(f"error: {DEVELOPMENT_ONLY}", err=True)
            raise typer.Exit(EXIT_ERROR)
        try:
            application = create_app(settings)
        except TawtiqError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        typer.echo(
            f"eid (development stand-in): {settings.public_url} (listening on {host}:{port}); "
            f"{len(application.state.provider.people)} identities, {len(application.state.provider.clients)} clients",
            err=True,
        )
        try:
            # One process: the provider's state (codes, logins) lives in it.
            serve_app(application, host=host, port=port, workers=1, log_level=settings.log_level)
        except TawtiqError as exc:
            typer.echo(f"error: [{exc.code}] {exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from None

    @group.command("identities")
    def identities_command(
        source: Annotated[Path, typer.Option("--from", help="The candidates file (CSV).")],
        out: Annotated[Path, typer.Option("--out", help="Where to write identities.json (mode 0600).")],
    ) -> None:
        """Give every candidate of a candidates file a development PIN: identities.json for `serve eid`."""
        from eid.identities import CandidatesFileError, identities_from, write_identities

        try:
            identities = identities_from(source)
        except CandidatesFileError as exc:
            for problem in exc.problems:
                typer.echo(f"error: {source.name}: {problem}", err=True)
            if exc.count > len(exc.problems):
                typer.echo(f"error: ... and {exc.count - len(exc.problems)} more problems", err=True)
            typer.echo("nothing was written", err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        except (OSError, UnicodeDecodeError) as exc:
            typer.echo(f"error: {source} cannot be read: {exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        try:
            write_identities(identities, out)
        except OSError as exc:
            typer.echo(f"error: {out} cannot be written: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        typer.echo(f"{len(identities)} identities with development PINs", err=True)
        typer.echo(str(out))

    @clients.command("add")
    def client_add(
        client_id: Annotated[str, typer.Option("--client-id", help="The relying party's identifier.")],
        redirect_uris: Annotated[
            list[str], typer.Option("--redirect-uri", help="A redirect URI to register (repeatable).")
        ],
        out: Annotated[Path, typer.Option("--out", help="The clients.json to add it to (made if absent).")],
    ) -> None:
        """Register a relying party with a fresh secret, printed once as JSON on stdout."""
        from eid.directory import client_of, read_clients
        from vc import TawtiqError

        entry = {"client_id": client_id, "client_secret": secrets.token_urlsafe(32), "redirect_uris": redirect_uris}
        try:
            client_of(entry, where="--client-id/--redirect-uri")
            existing = read_clients(out) if out.exists() else {}
        except TawtiqError as exc:
            typer.echo(f"error: {exc.diagnostics()}", err=True)
            raise typer.Exit(EXIT_REFUSED) from None
        if client_id in existing:
            typer.echo(f"error: {out} already has a client {client_id!r}; remove it first", err=True)
            raise typer.Exit(EXIT_REFUSED)
        document = [
            {"client_id": c.client_id, "client_secret": c.client_secret, "redirect_uris": list(c.redirect_uris)}
            for c in existing.values()
        ]
        document.append(entry)
        from common.private_files import PrivateFile

        try:
            with PrivateFile(out) as file:
                file.handle.write(json.dumps(document, indent=2) + "\n")
        except OSError as exc:
            typer.echo(f"error: {out} cannot be written: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        typer.echo(json.dumps({"client_id": client_id, "client_secret": entry["client_secret"]}))
