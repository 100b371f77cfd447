"""``tawtiq verifier rp …``: the operator registers the relying parties that may ask wallets for protected claims.

* ``tawtiq verifier rp add --name "Université Mohammed V" [--json]`` — register one and print its token, once;
* ``tawtiq verifier rp list [--json]`` — every relying party (never a token);
* ``tawtiq verifier rp revoke ID [--json]`` — its token is refused from now on.

Give the token to the relying party over a channel you trust; it is not stored (only its digest), so a lost token
is replaced by revoking the old one and adding a new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from verifier.relying_parties import RelyingParties, RelyingParty

EXIT_REFUSED = 1
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _as_json(party: RelyingParty) -> dict[str, Any]:
    return {
        "id": party.id,
        "name": party.name,
        "created_at": party.created_at.isoformat(),
        "revoked_at": party.revoked_at.isoformat() if party.revoked_at else None,
    }


def register(group: typer.Typer, *, database_url: Any) -> None:
    """Add the ``rp`` command group to ``group``; ``database_url()`` reads the setting (exiting on a bad one)."""
    rp = typer.Typer(help="Relying parties allowed to ask wallets for protected claims.", no_args_is_help=True)
    group.add_typer(rp, name="rp")

    @contextmanager
    def parties() -> Iterator[RelyingParties]:
        from verifier.clock import SystemClock
        from verifier.db import Database
        from verifier.relying_parties import RelyingParties

        database = Database(database_url())
        try:
            database.upgrade()
            yield RelyingParties(database=database, clock=SystemClock())
        finally:
            database.dispose()

    @rp.command("add")
    def add(
        name: Annotated[str, typer.Option("--name", help="The name wallets show, e.g. 'Université Mohammed V'.")],
        as_json: JsonOption = False,
    ) -> None:
        """Register a relying party and print its API token (shown this once)."""
        from vc import TawtiqError

        with parties() as registry:
            try:
                party, token = registry.add(name=name)
            except TawtiqError as exc:
                typer.echo(f"error: {exc.diagnostics()}", err=True)
                raise typer.Exit(EXIT_REFUSED) from None
        if as_json:
            typer.echo(json.dumps({**_as_json(party), "token": token}, ensure_ascii=False))
            return
        typer.echo(f"relying party {party.id}: {party.name}", err=True)
        typer.echo("its token (shown once; send it as Authorization: Bearer <token>):", err=True)
        typer.echo(token)

    @rp.command("list")
    def list_parties(as_json: JsonOption = False) -> None:
        """List the relying parties (active and revoked)."""
        with parties() as registry:
            found = registry.all()
        if as_json:
            typer.echo(json.dumps({"relying_parties": [_as_json(p) for p in found]}, ensure_ascii=False))
            return
        for party in found:
            state = f"revoked {party.revoked_at:%Y-%m-%d}" if party.revoked_at else "active"
            typer.echo(f"{party.id}  {party.name}  ({state}, added {party.created_at:%Y-%m-%d})")

    @rp.command("revoke")
    def revoke(
        party_id: Annotated[str, typer.Argument(metavar="ID", help="The id `rp add` or `rp list` printed.")],
        as_json: JsonOption = False,
    ) -> None:
        """Revoke a relying party's token: its requests are refused from now on."""
        from vc import TawtiqError

        with parties() as registry:
            try:
                party = registry.revoke(party_id)
            except TawtiqError as exc:
                typer.echo(f"error: {exc.diagnostics()}", err=True)
                raise typer.Exit(EXIT_REFUSED) from None
        typer.echo(json.dumps(_as_json(party), ensure_ascii=False) if as_json else f"revoked {party.id}: {party.name}")
