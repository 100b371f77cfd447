"""``tawtiq keys create|rotate|list|retire|compromise``: the issuer's signing keys and their history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from issuer.commands.shell import (
    JsonOption,
    ReasonOption,
    actor,
    current_settings,
    err,
    handled_errors,
    open_engine,
    open_keyring,
    parse_instant,
    print_json,
    utcnow,
)

if TYPE_CHECKING:  # pragma: no cover
    from issuer.keyring import Keyring


keys_app = typer.Typer(help="The issuer's signing keys and their history.", no_args_is_help=True)


def _key_row(entry: Any, now: datetime) -> dict[str, Any]:
    return {
        "kid": entry.kid,
        "algorithm": entry.algorithm,
        "state": str(entry.status(now)),
        "not_before": entry.not_before.isoformat(),
        "retired_at": entry.retired_at.isoformat() if entry.retired_at else None,
        "compromised_at": entry.compromised_at.isoformat() if entry.compromised_at else None,
    }


def _key_change(
    action: str, change: Callable[[Keyring, datetime], Any], *, reason: str | None, json_output: bool
) -> None:
    from issuer import audit
    from issuer.db import writing

    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        audit.audit_key_of(engine)  # the change must be auditable before the store is touched
        keyring = open_keyring(settings)
        now = utcnow()
        entry = change(keyring, now)
        with writing(engine) as db:
            audit.append(
                db,
                actor=actor(),
                action=f"key.{action}",
                target=entry.kid,
                at=now,
                reason=reason,
                details=_key_row(entry, now),
            )
    row = _key_row(entry, now)
    if json_output:
        print_json(row)
    else:
        typer.echo(f"{action}: {row['kid']} ({row['algorithm']}), now {row['state']}")


OptionalReason = Annotated[str | None, typer.Option("--reason", help="Why (recorded in the audit log).")]
#: An option rather than an argument: a kid (base64url) may start with "-", which a command line would
#: otherwise read as an option.
KidOption = Annotated[str, typer.Option("--kid", help="The key's kid (see `tawtiq keys list`).")]


@keys_app.command("create")
def keys_create(
    algorithm: Annotated[str, typer.Option(help="ES256 (default), ES384, ES512 or EdDSA.")] = "ES256",
    reason: OptionalReason = None,
    json_output: JsonOption = False,
) -> None:
    """Create a signing key, active now (the newest active key signs)."""
    _key_change(
        "create",
        lambda keyring, now: keyring.store.create(algorithm=algorithm, not_before=now),
        reason=reason,
        json_output=json_output,
    )


@keys_app.command("rotate")
def keys_rotate(reason: OptionalReason = None, json_output: JsonOption = False) -> None:
    """Create a new signing key and retire the active ones (they keep verifying what they signed)."""
    _key_change("rotate", lambda keyring, now: keyring.store.rotate(at=now), reason=reason, json_output=json_output)


@keys_app.command("retire")
def keys_retire(
    kid: KidOption,
    reason: OptionalReason = None,
    json_output: JsonOption = False,
) -> None:
    """Stop a key signing now; what it signed before keeps verifying."""
    _key_change(
        "retire", lambda keyring, now: keyring.store.retire(kid, at=now), reason=reason, json_output=json_output
    )


@keys_app.command("compromise")
def keys_compromise(
    kid: KidOption,
    reason: ReasonOption,
    at: Annotated[
        str | None, typer.Option("--at", help="When the key may first have been exposed (ISO 8601; default now).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Mark a key compromised from --at: everything it signed from then on stops verifying."""
    moment = parse_instant(at)
    _key_change(
        "compromise",
        lambda keyring, now: keyring.store.compromise(kid, at=moment),
        reason=reason,
        json_output=json_output,
    )
    err("copies signed by this key after that moment no longer verify: re-issue them (new offers) after rotating")


@keys_app.command("list")
def keys_list(json_output: JsonOption = False) -> None:
    """List every key with its window and its state now."""
    with handled_errors():
        history = open_keyring(current_settings()).history()
    now = utcnow()
    rows = [_key_row(entry, now) for entry in history.entries]
    if json_output:
        print_json(rows)
        return
    if not rows:
        typer.echo("no keys; create one with `tawtiq keys create`")
    for row in rows:
        window = f"from {row['not_before']}" + (f" retired {row['retired_at']}" if row["retired_at"] else "")
        window += f" COMPROMISED {row['compromised_at']}" if row["compromised_at"] else ""
        typer.echo(f"{row['kid']}  {row['algorithm']}  {row['state']:<11}  {window}")
