"""``tawtiq keys create|rotate|list|retire|compromise``: the issuer's signing keys and their history."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from issuer.commands.confirm import YesOption, confirm_final
from issuer.commands.shell import (
    JsonOption,
    ReasonOption,
    actor,
    clock,
    current_settings,
    err,
    handled_errors,
    open_engine,
    open_keyring,
    parse_instant,
    print_json,
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
    action: str,
    change: Callable[[Keyring, datetime], Any],
    *,
    reason: str | None,
    json_output: bool,
    quiet: bool = False,
) -> dict[str, Any]:
    from issuer import audit
    from issuer.db import writing

    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        audit.audit_key_of(engine)  # the change must be auditable before the store is touched
        keyring = open_keyring(settings)
        now = clock.now()
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
    if quiet:
        return row
    if json_output:
        print_json(row)
    else:
        typer.echo(f"{action}: {row['kid']} ({row['algorithm']}), now {row['state']}")
    return row


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


NoticesOption = Annotated[
    Path | None,
    typer.Option(
        "--notices",
        help="Where to write the graduates' new offers (CSV, mode 0600; default reissue-<kid>-<time>.csv here).",
    ),
]


@keys_app.command("compromise")
def keys_compromise(
    kid: KidOption,
    reason: ReasonOption,
    at: Annotated[
        str | None, typer.Option("--at", help="When the key may first have been exposed (ISO 8601; default now).")
    ] = None,
    notices: NoticesOption = None,
    yes: YesOption = False,
    json_output: JsonOption = False,
) -> None:
    """Declare a key compromised: everything it signed stops verifying, and its diplomas are re-issued.

    Shows how many graduates it touches and asks for confirmation, unless --yes. Then marks the key compromised
    (it leaves the published key set), revokes every copy it signed (both status-list formats), makes a new offer
    for each diploma and writes them to the notice file (credential id, masked CNIE, offer URI, PIN) for the
    ministry to deliver. Running it again resumes: no second offer for a diploma already re-issued.
    """
    from issuer.db import reading
    from issuer.reissue import plan

    moment = parse_instant(at)
    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        entry = open_keyring(settings).history().entry(kid)
        with reading(engine) as db:
            touched = plan(db, kid=kid)
    err(
        f"key {kid} signed {touched.copies} cop{'y' if touched.copies == 1 else 'ies'} of {touched.records} "
        f"diploma(s) still to re-issue ({touched.already_reissued} already re-issued for this key)"
    )
    if entry.compromised_at is None:
        confirm_final(
            f"Declare this key compromised? Every diploma copy it signed stops verifying, and {touched.records} "
            "graduate(s) get a new offer.",
            yes=yes,
            action="declare the key compromised",
        )
        row = _key_change(
            "compromise",
            lambda keyring, now: keyring.store.compromise(kid, at=moment),
            reason=reason,
            json_output=json_output,
            quiet=True,
        )
    else:
        row = _key_row(entry, clock.now())
        err(f"the key is already compromised (from {entry.compromised_at.isoformat()}); resuming the re-issue")
    summary: dict[str, Any] = {"records": 0, "offers": 0, "notices": None}
    if touched.records:
        summary = _reissue(kid, reason=reason, notices=notices)
    else:
        err("nothing left to re-issue for this key")
    if json_output:
        print_json({**row, "reissue": summary})
        return
    typer.echo(f"compromise: {row['kid']} ({row['algorithm']}), now {row['state']}; it verifies nothing any more")
    if summary["records"]:
        typer.echo(
            f"re-issued: {summary['records']} diploma(s), {summary['offers']} new offer(s); the copies this key "
            f"signed are revoked; offers and PINs for the ministry's channels: {summary['notices']} (yours only)"
        )


def _reissue(kid: str, *, reason: str, notices: Path | None) -> dict[str, Any]:
    """Revoke the key's copies and make the new offers in one transaction; the notice file is on disk (fsynced,
    under a temporary name) before the transaction commits, and takes its name right after."""
    from common.private_files import PrivateFile
    from issuer.db import writing
    from issuer.reissue import reissue
    from issuer.secrets import load_secrets

    now = clock.now()
    path = notices or Path(f"reissue-{kid[:12]}-{now.strftime('%Y%m%dT%H%M%SZ')}.csv")
    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        notice_file = PrivateFile(path)
        try:
            with writing(engine) as db:
                made = reissue(
                    db, kid=kid, settings=settings, secrets=load_secrets(db), actor=actor(), now=now, reason=reason
                )
                writer = csv.writer(notice_file.handle)
                writer.writerow(["credential_id", "cnie_masked", "status", "offer_uri", "tx_code", "expires_at"])
                for notice in made:
                    writer.writerow(
                        [
                            notice.credential_id,
                            notice.masked_cnie,
                            notice.status,
                            notice.offer_uri,
                            notice.tx_code,
                            notice.expires_at,
                        ]
                    )
                notice_file.handle.flush()
                os.fsync(notice_file.handle.fileno())
        except BaseException:
            notice_file.discard()
            raise
        notice_file.commit()
    offers = sum(1 for notice in made if notice.offer_uri)
    if offers != len(made):
        err(f"{len(made) - offers} diploma(s) are suspended or revoked: their copies are revoked, no offer was made")
    return {"records": len(made), "offers": offers, "notices": str(path)}


@keys_app.command("list")
def keys_list(json_output: JsonOption = False) -> None:
    """List every key with its window and its state now."""
    with handled_errors():
        history = open_keyring(current_settings()).history()
    now = clock.now()
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
