"""``tawtiq audit verify|checkpoint|show``: the keyed hash-chained audit log and its signed checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.commands.shell import (
    EXIT_ERROR,
    EXIT_REFUSED,
    JsonOption,
    clock,
    current_settings,
    err,
    fail,
    handled_errors,
    open_engine,
    open_keyring,
    print_json,
)

if TYPE_CHECKING:  # pragma: no cover
    from issuer.audit import ChainReport, Checkpoint
    from issuer.settings import Settings


audit_app = typer.Typer(help="The keyed hash-chained audit log.", no_args_is_help=True)

CheckpointFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        help="A checkpoint written by `tawtiq audit checkpoint`, or a directory of them (*.jws); repeatable. "
        "The log must still hold each one's event.",
    ),
]


@audit_app.command("verify")
def audit_verify(checkpoint_files: CheckpointFiles = None, json_output: JsonOption = False) -> None:
    """Recompute the audit chain; exit 1 if any event was changed, inserted or removed, or if the log no
    longer reaches a checkpoint."""
    from issuer.audit import verify_chain

    with handled_errors():
        settings = current_settings()
        checkpoints = _read_checkpoints(settings, checkpoint_files or [])
        report = verify_chain(open_engine(settings), checkpoints=checkpoints)
    result = {
        "ok": report.ok,
        "events": report.events,
        "head": report.head_seq,
        "keyed_from": report.keyed_from_seq,
        "checkpoints": report.checkpoints,
        "first_bad_event": report.first_bad_seq,
        "problem": report.problem,
    }
    if json_output:
        print_json(result)
    elif report.ok:
        typer.echo(f"audit log intact: {report.events:,} events" + _checked_against(report))
        if report.keyed_from_seq > 1:
            err(f"events 1 to {report.keyed_from_seq - 1} predate the audit key: a plain SHA-256 chain")
    else:
        typer.echo(f"AUDIT LOG TAMPERED at event {report.first_bad_seq}: {report.problem}")
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)


def _checked_against(report: ChainReport) -> str:
    if report.checkpoints == 0:
        return ""
    return f", consistent with {report.checkpoints} checkpoint" + ("s" if report.checkpoints > 1 else "")


def _read_checkpoints(settings: Settings, paths: list[Path]) -> list[Checkpoint]:
    from issuer.audit_checkpoint import read_checkpoint

    if not paths:
        return []
    from vc.errors import CredentialError

    history = open_keyring(settings).history()
    checkpoints = []
    for path in _checkpoint_files(paths):
        try:
            token = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"error: cannot read the checkpoint {path}: {exc}", EXIT_ERROR)
        try:
            checkpoints.append(read_checkpoint(token, history=history, issuer=settings.issuer_url))
        except CredentialError as exc:
            fail(f"error: the checkpoint {path} is refused: {exc.diagnostics()}", EXIT_REFUSED)
    return checkpoints


def _checkpoint_files(paths: list[Path]) -> list[Path]:
    """The files named, with each directory replaced by its ``*.jws`` files; an empty directory is an error."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(path.glob("*.jws"))
        if not found:
            fail(f"error: no checkpoint (*.jws) in the directory {path}", EXIT_ERROR)
        files.extend(found)
    return files


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write the signed checkpoint (a compact JWS); in a directory, as "
            "audit-checkpoint-<event>-<time>.jws.",
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """Check the chain, then write its head signed by the issuer's key: keep the file off this machine."""
    from common.private_files import PrivateFile
    from issuer.audit import verify_chain
    from issuer.audit_checkpoint import sign_checkpoint

    with handled_errors():
        settings = current_settings()
        report = verify_chain(open_engine(settings))
        if not report.ok:
            fail(
                f"AUDIT LOG TAMPERED at event {report.first_bad_seq}: {report.problem}; no checkpoint written",
                EXIT_REFUSED,
            )
        now = clock.now()
        signer = open_keyring(settings).signing_key(at=now)
        token = sign_checkpoint(report=report, issuer=settings.issuer_url, signer=signer, now=now)
    if out.is_dir():
        out = out / f"audit-checkpoint-{report.head_seq:09d}-{now:%Y%m%dT%H%M%SZ}.jws"
    try:
        with PrivateFile(out, encoding="ascii") as file:
            file.handle.write(token + "\n")
    except OSError as exc:
        fail(f"error: cannot write the checkpoint {out}: {exc}", EXIT_ERROR)
    result = {
        "out": str(out),
        "event": report.head_seq,
        "hash": report.head_hash,
        "at": now.isoformat(timespec="seconds"),
    }
    if json_output:
        print_json(result)
    else:
        typer.echo(f"checkpoint of event {report.head_seq:,} written to {out}; keep a copy off this machine")


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
