"""``tawtiq admin token create|list|revoke``: API tokens for back-office clients."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.commands.shell import (
    JsonOption,
    actor,
    clock,
    current_settings,
    err,
    handled_errors,
    open_engine,
    print_json,
)

admin_app = typer.Typer(help="Back-office access.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for back-office clients (VCALM, offers).", no_args_is_help=True)
admin_app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option("--role", help="admin, issuer, status or reader.")],
    name: Annotated[str, typer.Option("--name", help="Who will use it, e.g. 'results-portal'.")],
    json_output: JsonOption = False,
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from issuer.apitokens import create_token

    with handled_errors():
        engine = open_engine(current_settings())
        info, token = create_token(engine, name=name, role=role, actor=actor(), now=clock.now())
    if json_output:
        print_json({**info.as_dict(), "token": token})
    else:
        typer.echo(token)
        err(f"token {info.id} ({info.role}) for {info.name}: store it now, it cannot be shown again")


@token_app.command("list")
def token_list(json_output: JsonOption = False) -> None:
    """List API tokens (never their secrets)."""
    from issuer.apitokens import list_tokens

    with handled_errors():
        tokens = [token.as_dict() for token in list_tokens(open_engine(current_settings()))]
    if json_output:
        print_json(tokens)
        return
    for token in tokens:
        state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "active"
        typer.echo(
            f"{token['id']}  {token['role']:<7} {token['name']}  {state}  last used {token['last_used_at'] or 'never'}"
        )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token at once."""
    from issuer.apitokens import revoke_token

    with handled_errors():
        info = revoke_token(open_engine(current_settings()), token_id=token_id, actor=actor(), now=clock.now())
    typer.echo(f"token {info.id} ({info.name}) revoked")
