"""``tawtiq diploma show|offer|offline-qr|revoke|suspend|reinstate|supersede``: one graduate's diploma."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.commands.confirm import YesOption, changed_claims, confirm_final, shown_value, whose
from issuer.commands.shell import (
    EXIT_ERROR,
    IdentifierArgument,
    JsonOption,
    OptionalSession,
    ReasonOption,
    actor,
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
    from sqlalchemy import Engine

    from issuer.records import RecordView


diploma_app = typer.Typer(
    help="One graduate's diploma: show, offer to a wallet, change its status.", no_args_is_help=True
)


@diploma_app.command("show")
def diploma_show(
    identifier: Annotated[str, typer.Argument(metavar="CNIE", help="CNIE number, or a credential id.")],
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Print a graduate's records (every version, newest first) with claims, status and copies.

    With ``--json``: the current record (the newest version not superseded; ``--session`` when the
    graduate has records in several sessions) as one object, its other versions under ``other_records``.
    """
    from issuer.db import reading
    from issuer.records import is_credential_id, records_of, resolve, view

    with handled_errors():
        engine = open_engine(current_settings())
        with reading(engine) as db:
            current = resolve(db, identifier, session_name=session)
            if is_credential_id(identifier):
                records = [current]
            else:
                records = records_of(db, cnie=identifier, session_name=session)
            views = [view(db, record).as_dict() for record in records]
            chosen = view(db, current).as_dict()
    if json_output:
        others = [
            {key: item[key] for key in ("id", "session", "version", "status")}
            for item in views
            if item["id"] != chosen["id"]
        ]
        print_json({**chosen, "other_records": others})
        return
    for item in views:
        typer.echo(
            f"{item['id']}  {item['session']}  v{item['version']}  {item['status'].upper()}  copies: {item['copies']}"
        )
        if item["status_reason"]:
            typer.echo(f"  reason: {item['status_reason']} ({item['status_changed_at']})")
        if item["replaces"] or item["replaced_by"]:
            typer.echo(f"  replaces: {item['replaces'] or '-'}  replaced by: {item['replaced_by'] or '-'}")
        for name, value in item["claims"].items():
            typer.echo(f"  {name}: {shown_value(value)}")


@diploma_app.command("offer")
def diploma_offer(
    identifier: Annotated[str, typer.Argument(metavar="CNIE", help="CNIE number (or credential id) of the graduate.")],
    session: OptionalSession = None,
    json_output: Annotated[bool, typer.Option("--json", help='Print only {"offer_uri": ..., "tx_code": ...}.')] = False,
    png: Annotated[Path | None, typer.Option("--png", help="Also write the QR code as PNG.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Also write the QR code as SVG.")] = None,
    configuration: Annotated[
        list[str] | None, typer.Option("--configuration", help="Offer only these credential configurations.")
    ] = None,
) -> None:
    """Create an OpenID4VCI credential offer: a QR for the wallet and a PIN (tx_code) to give separately.

    The QR files are checked before the offer is made (a name without an extension gets .png or .svg);
    if one still cannot be written, the offer and its PIN are printed all the same and the exit code is 2.
    """
    from common.qr import qr_png, qr_svg, qr_terminal
    from issuer.db import writing
    from issuer.oid4vci import create_offer
    from issuer.records import resolve, view
    from issuer.secrets import load_secrets

    targets = [
        (path, draw)
        for path, draw in ((_qr_file(png, ".png"), qr_png), (_qr_file(svg, ".svg"), qr_svg))
        if path is not None
    ]
    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        with writing(engine) as db:
            diploma = resolve(db, identifier, session_name=session)
            offer = create_offer(
                db,
                diploma=diploma,
                settings=settings,
                secrets=load_secrets(db),
                actor=actor(),
                now=clock.now(),
                configuration_ids=configuration,
            )
            graduate = whose(view(db, diploma))
    unwritten = []
    for path, draw in targets:
        try:
            path.write_bytes(draw(offer.offer_uri, scale=8))
        except OSError as exc:
            unwritten.append(f"{path}: {exc}")
        else:
            err(f"QR code written to {path}")
    if json_output:
        err(f"offer for {graduate}")
        typer.echo(json.dumps({"offer_uri": offer.offer_uri, "tx_code": offer.tx_code}))
    else:
        typer.echo(f"Offer for {graduate}")
        qr_terminal(offer.offer_uri, sys.stdout)
        typer.echo(offer.offer_uri)
        typer.echo(f"expires at {offer.expires_at.isoformat()}; diploma {offer.diploma_id}")
        typer.echo("")
        typer.echo(f"Transaction code (give it to the graduate separately, not with the QR code): {offer.tx_code}")
    if unwritten:
        fail(
            "error: the offer is made and valid (its link and PIN are printed), but the QR code could not be "
            "written to " + "; ".join(unwritten),
            EXIT_ERROR,
        )


@diploma_app.command("offline-qr")
def diploma_offline_qr(
    identifier: Annotated[str, typer.Argument(metavar="ID", help="Credential id or CNIE number.")],
    session: OptionalSession = None,
    png: Annotated[Path | None, typer.Option("--png", help="Write the QR code as PNG (error correction Q).")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Write the QR code as SVG (error correction Q).")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help='Print {"diploma_id", "text", "kid", "qr_version"} on stdout.')
    ] = False,
) -> None:
    """Sign the printed diploma's offline QR (TQ1:): what a person checks on the paper, verifiable without a network.

    Prints the TQ1: text on stdout (it holds personal data: keep it like the diploma); the QR version on stderr.
    Only an active record is printed. The files are checked before anything is signed.
    """
    from issuer.db import writing
    from issuer.offline import offline_credential
    from issuer.records import resolve

    targets = [(path, kind) for path, kind in ((_qr_file(png, ".png"), "png"), (_qr_file(svg, ".svg"), "svg")) if path]
    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        keyring = open_keyring(settings)
        with writing(engine) as db:
            diploma = resolve(db, identifier, session_name=session)
            printed = offline_credential(
                db, diploma=diploma, settings=settings, keyring=keyring, actor=actor(), now=clock.now()
            )
    unwritten = []
    for path, kind in targets:
        try:
            path.write_bytes(printed.png() if kind == "png" else printed.svg())
        except OSError as exc:
            unwritten.append(f"{path}: {exc}")
        else:
            err(f"QR code written to {path}")
    err(f"offline QR of {printed.diploma_id}: {len(printed.text)} characters, QR version {printed.version} at level Q")
    if json_output:
        print_json(
            {"diploma_id": printed.diploma_id, "text": printed.text, "kid": printed.kid, "qr_version": printed.version}
        )
    else:
        typer.echo(printed.text)
    if unwritten:
        fail(
            "error: the offline QR is signed (its text is printed), but it could not be written to "
            + "; ".join(unwritten),
            EXIT_ERROR,
        )


def _qr_file(path: Path | None, extension: str) -> Path | None:
    """Where to write a QR code: ``extension`` added to a bare name; refused (exit 2) before any offer is made."""
    if path is None:
        return None
    option = f"--{extension[1:]}"
    if not path.suffix:
        path = path.with_name(path.name + extension)
    elif path.suffix.lower() != extension:
        fail(f"error: {option} {path}: expected a file name ending in {extension}, found {path.suffix!r}", EXIT_ERROR)
    if not path.parent.is_dir():
        fail(f"error: {option} {path}: the directory {path.parent} does not exist; nothing was made", EXIT_ERROR)
    return path


def _current(engine: Engine, identifier: str, session: str | None) -> RecordView:
    """The record ``identifier`` names, as shown to the operator before a change."""
    from issuer.db import reading
    from issuer.records import resolve, view

    with reading(engine) as db:
        return view(db, resolve(db, identifier, session_name=session))


def _change_status(
    action: str, identifier: str, reason: str, session: str | None, json_output: bool, *, yes: bool = True
) -> None:
    """Show whose diploma it is, confirm a revocation (unless ``yes``), then change the status of that record."""
    from issuer.db import writing
    from issuer.models import REVOKED
    from issuer.status import StatusAction, change_status

    if not reason.strip():
        fail("error: --reason must say why", EXIT_ERROR)
    with handled_errors():
        engine = open_engine(current_settings())
        record = _current(engine, identifier, session)
        err(f"diploma of {whose(record)}")
        if action == "revoke" and record.status != REVOKED:
            confirm_final(
                f"Revoke this diploma and its {record.copies} signed copies? Revocation is final.",
                yes=yes,
                action=action,
            )
        with writing(engine) as db:
            change = change_status(
                db,
                diploma_id=record.id,
                action=StatusAction(action),
                reason=reason.strip(),
                actor=actor(),
                now=clock.now(),
            )
    result = {
        "id": change.diploma_id,
        "before": change.before,
        "after": change.after,
        "changed": change.changed,
        "copies": change.copies,
        "status_lists": list(change.shards),
    }
    if json_output:
        print_json(result)
    elif change.changed:
        typer.echo(
            f"{change.diploma_id}: {change.before} -> {change.after}; the record and its {change.copies} signed "
            f"cop{'y' if change.copies == 1 else 'ies'} change together (status list shard(s) {list(change.shards)})"
        )
    else:
        typer.echo(f"{change.diploma_id}: already {change.after}; nothing changed")


@diploma_app.command("revoke")
def diploma_revoke(
    identifier: IdentifierArgument,
    reason: ReasonOption,
    session: OptionalSession = None,
    json_output: JsonOption = False,
    yes: YesOption = False,
) -> None:
    """Revoke a diploma and every signed copy of it. Final: a revoked diploma cannot be reinstated.

    Shows whose diploma it is and asks for confirmation, unless --yes.
    """
    _change_status("revoke", identifier, reason, session, json_output, yes=yes)


@diploma_app.command("suspend")
def diploma_suspend(
    identifier: IdentifierArgument,
    reason: ReasonOption,
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Suspend a diploma and every signed copy of it (reversible with reinstate)."""
    _change_status("suspend", identifier, reason, session, json_output)


@diploma_app.command("reinstate")
def diploma_reinstate(
    identifier: IdentifierArgument,
    reason: ReasonOption,
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Lift a suspension (a revoked diploma stays revoked)."""
    _change_status("reinstate", identifier, reason, session, json_output)


@diploma_app.command("supersede")
def diploma_supersede(
    identifier: IdentifierArgument,
    subject: Annotated[Path, typer.Option("--subject", help="JSON file with the complete corrected subject.")],
    reason: ReasonOption,
    json_output: JsonOption = False,
    yes: YesOption = False,
) -> None:
    """Revoke a record and issue its corrected version in one step (links: replaces / replaced_by).

    Shows whose diploma it is and which claims change, and asks for confirmation, unless --yes.
    """
    from issuer.errors import InputError
    from issuer.models import REVOKED
    from issuer.records import corrected_subject, supersede

    with handled_errors():
        try:
            corrected = json.loads(subject.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise InputError(
                "cannot read the corrected subject", code="diploma.correction_unreadable", found=str(exc)[:200]
            ) from exc
        if not isinstance(corrected, dict):
            raise InputError("the corrected subject must be a JSON object", code="diploma.correction_invalid")
        parsed = corrected_subject(corrected)  # checked before any of it is shown
        settings = current_settings()
        engine = open_engine(settings)
        record = _current(engine, identifier, None)
        err(f"diploma of {whose(record)}")
        if record.status != REVOKED and record.replaced_by is None:  # otherwise supersede refuses it below
            changes = changed_claims(record.claims, parsed.claims())
            err("the correction changes " + ("; ".join(changes) if changes else "no claim"))
            confirm_final(
                "Revoke this record (final) and issue the corrected one in its place?", yes=yes, action="supersede"
            )
        old_id, new_id = supersede(
            engine,
            settings=settings,
            identifier=record.id,
            subject=parsed,
            reason=reason,
            actor=actor(),
            now=clock.now(),
        )
    if json_output:
        print_json({"revoked": old_id, "issued": new_id})
    else:
        typer.echo(f"{old_id} revoked (superseded); corrected record {new_id} created")
