"""The verifier's commands, added to the `tawtiq` command by :func:`register`.

* ``tawtiq serve verifier [--host 127.0.0.1] [--port 8200] [--workers N] [--forwarded-allow-ips …]`` — run the
  service (:func:`common.serving.serve`);
* ``tawtiq verifier db-upgrade`` — apply the database migrations (start-up does it too);
* ``tawtiq verifier trust-list [--check] [--json]`` — show the trust list in force and, with ``--check``, fetch
  every trusted issuer's keys;
* ``tawtiq verifier purge [--json]`` — delete expired transactions, share data, nonces and rate buckets;
* ``tawtiq verifier rp add|list|revoke`` — relying parties and their API tokens (:mod:`verifier.cli_rp`);
* ``tawtiq verifier ca create`` and ``tawtiq verifier cert issue|show`` — a registrar's development CA and the
  access certificates it issues (:mod:`verifier.cli_certs`).

Settings come from the ``TAWTIQ_VERIFIER_*`` environment; an unusable configuration exits with code 2 and the
reason. Heavy modules are imported inside the commands, so ``tawtiq --help`` stays fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from common.commands import add_db_upgrade, database_errors

if TYPE_CHECKING:
    from common.service.database import Migrations
    from verifier.services import Services
    from verifier.settings import Settings

EXIT_REFUSED = 1
EXIT_ERROR = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _settings() -> Settings:
    from pydantic import ValidationError

    from verifier.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ())) or "settings"
            name = f"TAWTIQ_VERIFIER_{where.upper()}" if where != "settings" else "settings"
            typer.echo(f"error: {name}: {error.get('msg')}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


def _started(settings: Settings) -> Services:
    from vc import TawtiqError
    from verifier.services import Services

    try:
        services = Services.build(settings)
    except TawtiqError as exc:
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    try:
        services.start()
    except TawtiqError as exc:
        services.close()
        typer.echo(f"error: {exc.diagnostics()}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    return services


def _migrations() -> Migrations:
    from verifier.db import MIGRATIONS

    return MIGRATIONS


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the verifier's command groups to ``app`` and its ``serve`` command to ``serve``."""
    from verifier.cli_certs import register as register_certificates
    from verifier.cli_rp import register as register_relying_parties

    group = typer.Typer(
        help="Verifier operations: database, trust list, relying parties, certificates, housekeeping.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="verifier")
    register_relying_parties(group, database_url=lambda: _settings().database_url)
    register_certificates(group)

    @serve.command("verifier")
    def serve_verifier(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8200,
        forwarded_allow_ips: Annotated[
            str | None,
            typer.Option(help="Proxies trusted for X-Forwarded-For/-Proto (comma-separated IPs), if any."),
        ] = None,
        workers: Annotated[int, typer.Option(help="Worker processes (they share the database).", min=1)] = 1,
    ) -> None:
        """Run the verifier service (VC-API, OpenID4VP, share links, the verification page)."""
        from common.serving import serve
        from vc import TawtiqError
        from verifier.app import create_app

        settings = _settings()
        typer.echo(f"verifier: {settings.public_url} (listening on {host}:{port}, {workers} worker(s))", err=True)
        try:
            serve(
                # Several workers each build the application from the environment.
                "verifier.app:create_app" if workers > 1 else create_app(settings),
                host=host,
                port=port,
                workers=workers,
                forwarded_allow_ips=forwarded_allow_ips,
                log_level=settings.log_level,  # every process logs redacted, in the common format
            )
        except TawtiqError as exc:
            typer.echo(f"error: [{exc.code}] {exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from None

    add_db_upgrade(group, service="verifier", migrations=_migrations, database_url=lambda: _settings().database_url)

    @group.command("trust-list")
    def trust_list(
        check: Annotated[bool, typer.Option("--check", help="Fetch every trusted issuer's keys.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Show the trust list in force; with --check, exit 1 if some issuer's keys cannot be obtained."""
        from vc import TawtiqError

        services = _started(_settings())
        try:
            trusted = services.trust.current()
            issuers: list[dict[str, Any]] = []
            for identifier, types in trusted.trust.issuers.items():
                entry: dict[str, Any] = {
                    "id": identifier,
                    "name": trusted.name(identifier, "fr"),
                    "credential_types": sorted(types),
                }
                if check:
                    try:
                        history = services.keys.history(identifier)
                        entry["keys"] = [key.kid for key in history.entries]
                    except TawtiqError as exc:
                        entry["error"] = f"[{exc.code}] {exc}"
                issuers.append(entry)
        finally:
            services.close()
        report = {"source": services.trust.location, "version": trusted.version, "issuers": issuers}
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            typer.echo(f"trust list {report['version']} from {report['source']}")
            for entry in issuers:
                typer.echo(f"- {entry['id']} ({entry['name'] or 'no name'}): {', '.join(entry['credential_types'])}")
                if "keys" in entry:
                    typer.echo(f"  keys: {', '.join(entry['keys'])}")
                if "error" in entry:
                    typer.echo(f"  UNREACHABLE: {entry['error']}")
        if any("error" in entry for entry in issuers):
            raise typer.Exit(EXIT_REFUSED)

    @group.command("purge")
    def purge(as_json: JsonOption = False) -> None:
        """Delete expired OpenID4VP transactions, share-link data and nonces, and old rate buckets."""
        services = _started(_settings())
        try:
            with database_errors():
                counts = services.purge()
        finally:
            services.close()
        typer.echo(json.dumps(counts) if as_json else ", ".join(f"{name}: {n}" for name, n in counts.items()))
