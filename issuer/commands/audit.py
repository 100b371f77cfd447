"""``tawtiq audit verify|show``: the hash-chained audit log."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.commands.shell import (
    EXIT_REFUSED,
    JsonOption,
    current_settings,
    handled_errors,
    open_engine,
    print_json,
)

if TYPE_CHECKING:  # pragma: no cover
    pass


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(json_output: JsonOption = False) -> None:
    """Recompute the audit chain; exit 1 if any event was changed, inserted or removed."""
    from issuer.audit import verify_chain

    with handled_errors():
        report = verify_chain(open_engine(current_settings()))
    result = {
        "ok": report.ok,
        "events": report.events,
        "head": report.head_seq,
        "first_bad_event": report.first_bad_seq,
        "problem": report.problem,
    }
    if json_output:
        print_json(result)
    elif report.ok:
        typer.echo(f"audit log intact: {report.events:,} events")
    else:
        typer.echo(f"AUDIT LOG TAMPERED at event {report.first_bad_seq}: {report.problem}")
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)


@audit_app.command("show")
def audit_show(
    limit: Annotated[int, typer.Option("--limit", help="How many events, newest first.", min=1)] = 20,
    json_output: JsonOption = False,
) -> None:
    """Show the latest audit events."""
    from issuer.audit import recent

    with handled_errors():
        events = recent(open_engine(current_settings()), limit=limit)
    rows = [
        {
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "target": event.target,
            "reason": event.reason,
            "details": json.loads(event.details),
        }
        for event in events
    ]
    if json_output:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['seq']:>6} {row['at']} {row['actor']} {row['action']} {row['target']}"
            + (f" — {row['reason']}" if row["reason"] else "")
        )
