"""The issuer's commands, added to the `tawtiq` command by :func:`register`.

``tawtiq serve issuer``, ``tawtiq db upgrade|status|purge``, ``tawtiq cohort import|generate|issue|status``,
``tawtiq diploma show|offer|revoke|suspend|reinstate|supersede``, ``tawtiq keys create|rotate|list|retire|
compromise``, ``tawtiq admin token create|list|revoke``, ``tawtiq audit verify|show``.

A thin shell: each command reads the settings (``TAWTIQ_*``), calls the domain and prints the result on
stdout (``--json`` for scripts); progress and diagnostics go to stderr. Exit codes: 0 success, 1 the
input was refused (bad file, unknown diploma, revoked is final...), 2 the command could not run
(settings, database not migrated, key passphrase, unreadable file). Heavy modules are imported inside the
commands so that ``tawtiq --help`` stays fast.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Engine

    from issuer.keyring import Keyring
    from issuer.settings import Settings

EXIT_REFUSED = 1
EXIT_ERROR = 2

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
SessionOption = Annotated[str, typer.Option("--session", help="Exam session, e.g. 2024-normale or 2024-rattrapage.")]
OptionalSession = Annotated[
    str | None, typer.Option("--session", help="Exam session, when the graduate has records in several.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # pragma: no cover - no user name in a container
        return "cli:unknown"


def _now() -> datetime:
    return datetime.now(UTC)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int) -> NoReturn:
    _err(message)
    raise typer.Exit(code)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _errors() -> Iterator[None]:
    """Turn our errors into a message on stderr and an exit code (1 refused, 2 cannot run)."""
    from pydantic import ValidationError

    from vc.errors import CredentialError, TawtiqError

    try:
        yield
    except CredentialError as exc:
        _fail(f"error: {exc.diagnostics()}", EXIT_REFUSED)
    except TawtiqError as exc:
        _fail(f"error: {exc.diagnostics()}", EXIT_ERROR)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}" for error in exc.errors()]
        _fail("error: the TAWTIQ_* settings are invalid:\n" + "\n".join(lines), EXIT_ERROR)


def _settings() -> Settings:
    from issuer.settings import load_settings

    return load_settings()


def _engine(settings: Settings, *, migrated: bool = True) -> Engine:
    from issuer.db import create_database_engine, require_current

    engine = create_database_engine(settings.resolved_database_url)
    if migrated:
        require_current(engine)
    return engine


def _keyring(settings: Settings) -> Keyring:
    from issuer.keyring import Keyring

    return Keyring.open(settings.resolved_key_dir, settings.key_passphrase_bytes())


def _parse_instant(text: str | None) -> datetime:
    if text is None:
        return _now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"error: not an ISO 8601 instant: {text!r} (e.g. 2026-07-01T12:00:00Z)", EXIT_ERROR)
    if moment.tzinfo is None:
        _fail(f"error: {text!r} needs a time zone, e.g. {text}Z", EXIT_ERROR)
    return moment.astimezone(UTC)


# ------------------------------------------------------------------------------------------------ serve


def serve_issuer(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate (serve https).")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert.")] = None,
    self_signed: Annotated[
        bool,
        typer.Option("--self-signed", help="Development only: serve https with a self-signed loopback certificate."),
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (they share the database).")] = 1,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Run the issuer service (migrations are applied first unless TAWTIQ_AUTO_MIGRATE=false)."""
    import uvicorn

    from issuer.app import create_app
    from issuer.db import create_database_engine, upgrade
    from issuer.devtls import ensure_self_signed
    from issuer.logs import configure_logging
    from vc.urls import is_loopback_host

    configure_logging(log_level.upper())
    with _errors():
        settings = _settings()
        engine = create_database_engine(settings.resolved_database_url)
        if settings.auto_migrate:
            revision = upgrade(engine)
            _err(f"database at revision {revision}")
        if self_signed:
            if not is_loopback_host(host) or not settings.issuer_url.startswith("https://"):
                _fail("error: --self-signed is for an https issuer URL on a loopback host only", EXIT_ERROR)
            tls_cert, tls_key = ensure_self_signed(settings.data_dir / "tls")
            _err(f"development certificate: {tls_cert} (clients: SSL_CERT_FILE={tls_cert})")
        if (tls_cert is None) != (tls_key is None):
            _fail("error: give both --tls-cert and --tls-key", EXIT_ERROR)
        if workers > 1:
            _err(f"issuer {settings.issuer_url} on {host}:{port}, {workers} workers")
            uvicorn.run(
                "issuer.app:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                access_log=False,
                log_config=None,
                ssl_certfile=str(tls_cert) if tls_cert else None,
                ssl_keyfile=str(tls_key) if tls_key else None,
            )
            return
        app = create_app(settings, engine=engine, background_purge=True)
    _err(f"issuer {settings.issuer_url} listening on {'https' if tls_cert else 'http'}://{host}:{port}")
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )


# ------------------------------------------------------------------------------------------------ db

db_app = typer.Typer(help="The issuer's database: migrations and housekeeping.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(json_output: JsonOption = False) -> None:
    """Apply the database migrations (idempotent; safe with several processes)."""
    from issuer.db import upgrade

    with _errors():
        settings = _settings()
        revision = upgrade(_engine(settings, migrated=False))
    if json_output:
        _print_json({"revision": revision})
    else:
        typer.echo(f"database at revision {revision}")


@db_app.command("status")
def db_status(json_output: JsonOption = False) -> None:
    """Show the database's migration revision and the newest one."""
    from issuer.db import current_revision, head_revision

    with _errors():
        settings = _settings()
        current = current_revision(_engine(settings, migrated=False))
    result = {"current": current, "head": head_revision(), "up_to_date": current == head_revision()}
    if json_output:
        _print_json(result)
    else:
        typer.echo(
            f"current {current or '(empty)'}, head {result['head']}"
            + ("" if result["up_to_date"] else " — run `tawtiq db upgrade`")
        )
    if not result["up_to_date"]:
        raise typer.Exit(EXIT_ERROR)


@db_app.command("purge")
def db_purge(json_output: JsonOption = False) -> None:
    """Delete expired OpenID4VCI state (used nonces, access tokens and offers expired for a day)."""
    from issuer.oid4vci import purge_expired

    with _errors():
        purged = purge_expired(_engine(_settings()), now=_now())
    if json_output:
        _print_json(purged)
    else:
        typer.echo(", ".join(f"{count} {name}" for name, count in purged.items()) + " purged")


# ------------------------------------------------------------------------------------------------ cohort

cohort_app = typer.Typer(help="Deliberated results: import, generate, create diploma records.", no_args_is_help=True)


@cohort_app.command("import")
def cohort_import(
    file: Annotated[Path, typer.Argument(help="CSV of deliberated results, one row per graduate.")],
    session: SessionOption,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows and report the others.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Where to write the problem report (.csv or .json).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Import a cohort, all-or-nothing, with a row-level report of every problem."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from issuer.cohort import ExamSession, ImportRefusedError, ImportSummary, import_cohort

    console = Console(stderr=True)
    summary: ImportSummary | None = None
    refused: ImportRefusedError | None = None
    with _errors():
        settings = _settings()
        engine = _engine(settings)
        exam = ExamSession.parse(session)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        ) as bar:
            task = bar.add_task(f"checking {file.name}", total=None)

            def progress(rows: int) -> None:
                bar.update(task, description=f"checking {file.name}: {rows:,} rows")

            try:
                summary = import_cohort(
                    engine,
                    path=file,
                    session=exam,
                    actor=_actor(),
                    now=_now(),
                    skip_invalid=skip_invalid,
                    report=report,
                    progress=progress,
                )
            except ImportRefusedError as exc:
                refused = exc
                summary = exc.import_summary
    assert summary is not None
    if json_output:
        _print_json(summary.as_dict())
    else:
        _print_import(summary)
    for problem in summary.first_problems:
        _err(f"  row {problem.row}: {problem.message}")
    if summary.problems > len(summary.first_problems):
        _err(f"  … {summary.problems - len(summary.first_problems)} more in the report")
    if refused is not None:
        _fail(f"refused: {refused.summary}", EXIT_REFUSED)


def _print_import(summary: Any) -> None:
    verb = "imported" if summary.committed else "NOT imported (all-or-nothing)"
    typer.echo(
        f"{summary.source}: {summary.rows:,} rows, {summary.imported:,} graduates {verb} for {summary.session}"
        + (f", {summary.rejected_rows:,} rows rejected" if summary.rejected_rows else "")
    )
    if summary.report:
        typer.echo(f"report: {summary.report}")


@cohort_app.command("generate")
def cohort_generate(
    count: Annotated[int, typer.Option("--count", help="Number of graduates.", min=0, max=1_000_000)],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    session: SessionOption = "2024-normale",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same cohort.")] = 2024,
) -> None:
    """Write a synthetic cohort (realistic, reproducible, never real people) as an import file."""
    from issuer.cohort import ExamSession
    from issuer.generate import write_cohort

    with _errors():
        written = write_cohort(out, count=count, seed=seed, session=ExamSession.parse(session))
    typer.echo(f"{out}: {written:,} synthetic graduates for {session} (seed {seed})")


@cohort_app.command("issue")
def cohort_issue(
    session: SessionOption,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Records per transaction.", min=1)] = None,
    json_output: JsonOption = False,
) -> None:
    """Create one diploma record per graduate who has none (exactly once; safe to interrupt and re-run)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from issuer.cohort import ExamSession
    from issuer.records import issue_cohort

    console = Console(stderr=True)
    with _errors():
        settings = _settings()
        engine = _engine(settings)
        name = str(ExamSession.parse(session))
        with Progress(
            TextColumn("records"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("records", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = issue_cohort(
                engine,
                settings=settings,
                session_name=name,
                actor=_actor(),
                clock=_now,
                batch_size=batch_size,
                progress=progress,
            )
    if json_output:
        _print_json(summary.as_dict())
    else:
        typer.echo(
            f"{name}: {summary.created:,} records created in {summary.batches} batches; "
            f"{summary.already:,} already had one; {summary.remaining:,} graduates without a record"
        )


@cohort_app.command("status")
def cohort_status(session: SessionOption, json_output: JsonOption = False) -> None:
    """Counts for a session: graduates imported, records created, still to create, revoked."""
    from issuer.cohort import ExamSession, cohort_counts

    with _errors():
        name = str(ExamSession.parse(session))
        counts = cohort_counts(_engine(_settings()), session=name)
    if json_output:
        _print_json({"session": name, **counts})
    else:
        typer.echo(
            f"{name}: {counts['graduates']:,} graduates, {counts['with_record']:,} with a record, "
            f"{counts['without_record']:,} without, {counts['revoked_records']:,} revoked records, "
            f"{counts['imports']} imports"
        )


# ------------------------------------------------------------------------------------------------ diploma

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

    with _errors():
        engine = _engine(_settings())
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
        _print_json({**chosen, "other_records": others})
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
            typer.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")


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
    """Create an OpenID4VCI credential offer: a QR for the wallet and a PIN (tx_code) to give separately."""
    import segno

    from issuer.db import writing
    from issuer.oid4vci import create_offer
    from issuer.records import resolve
    from issuer.secrets import load_secrets

    with _errors():
        settings = _settings()
        engine = _engine(settings)
        with writing(engine) as db:
            diploma = resolve(db, identifier, session_name=session)
            offer = create_offer(
                db,
                diploma=diploma,
                settings=settings,
                secrets=load_secrets(db),
                actor=_actor(),
                now=_now(),
                configuration_ids=configuration,
            )
    qr = segno.make(offer.offer_uri, error="m")
    for path in (png, svg):
        if path is not None:
            qr.save(str(path), scale=8, border=4)
            _err(f"QR code written to {path}")
    if json_output:
        typer.echo(json.dumps({"offer_uri": offer.offer_uri, "tx_code": offer.tx_code}))
        return
    qr.terminal(out=sys.stdout, compact=True)
    typer.echo(offer.offer_uri)
    typer.echo(f"expires at {offer.expires_at.isoformat()}; diploma {offer.diploma_id}")
    typer.echo("")
    typer.echo(f"Transaction code (give it to the graduate separately, not with the QR code): {offer.tx_code}")


def _change_status(action: str, identifier: str, reason: str, session: str | None, json_output: bool) -> None:
    from issuer.db import writing
    from issuer.records import resolve
    from issuer.status import StatusAction, change_status

    if not reason.strip():
        _fail("error: --reason must say why", EXIT_ERROR)
    with _errors():
        engine = _engine(_settings())
        with writing(engine) as db:
            diploma = resolve(db, identifier, session_name=session)
            change = change_status(
                db,
                diploma_id=diploma.id,
                action=StatusAction(action),
                reason=reason.strip(),
                actor=_actor(),
                now=_now(),
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
        _print_json(result)
    elif change.changed:
        typer.echo(
            f"{change.diploma_id}: {change.before} -> {change.after}; the record and its {change.copies} signed "
            f"cop{'y' if change.copies == 1 else 'ies'} change together (status list shard(s) {list(change.shards)})"
        )
    else:
        typer.echo(f"{change.diploma_id}: already {change.after}; nothing changed")


@diploma_app.command("revoke")
def diploma_revoke(
    identifier: Annotated[str, typer.Argument(metavar="ID", help="Credential id or CNIE number.")],
    reason: ReasonOption,
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Revoke a diploma and every signed copy of it. Final: a revoked diploma cannot be reinstated."""
    _change_status("revoke", identifier, reason, session, json_output)


@diploma_app.command("suspend")
def diploma_suspend(
    identifier: Annotated[str, typer.Argument(metavar="ID", help="Credential id or CNIE number.")],
    reason: ReasonOption,
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Suspend a diploma and every signed copy of it (reversible with reinstate)."""
    _change_status("suspend", identifier, reason, session, json_output)


@diploma_app.command("reinstate")
def diploma_reinstate(
    identifier: Annotated[str, typer.Argument(metavar="ID", help="Credential id or CNIE number.")],
    reason: ReasonOption,
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Lift a suspension (a revoked diploma stays revoked)."""
    _change_status("reinstate", identifier, reason, session, json_output)


@diploma_app.command("supersede")
def diploma_supersede(
    identifier: Annotated[str, typer.Argument(metavar="ID", help="Credential id or CNIE number.")],
    subject: Annotated[Path, typer.Option("--subject", help="JSON file with the complete corrected subject.")],
    reason: ReasonOption,
    json_output: JsonOption = False,
) -> None:
    """Revoke a record and issue its corrected version in one step (links: replaces / replaced_by)."""
    from issuer.errors import InputError
    from issuer.records import supersede

    with _errors():
        try:
            corrected = json.loads(subject.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise InputError(
                "cannot read the corrected subject", code="diploma.correction_unreadable", found=str(exc)[:200]
            ) from exc
        if not isinstance(corrected, dict):
            raise InputError("the corrected subject must be a JSON object", code="diploma.correction_invalid")
        settings = _settings()
        old_id, new_id = supersede(
            _engine(settings),
            settings=settings,
            identifier=identifier,
            subject=corrected,
            reason=reason,
            actor=_actor(),
            now=_now(),
        )
    if json_output:
        _print_json({"revoked": old_id, "issued": new_id})
    else:
        typer.echo(f"{old_id} revoked (superseded); corrected record {new_id} created")


# ------------------------------------------------------------------------------------------------ keys

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

    with _errors():
        settings = _settings()
        engine = _engine(settings)
        keyring = _keyring(settings)
        now = _now()
        entry = change(keyring, now)
        with writing(engine) as db:
            audit.append(
                db,
                actor=_actor(),
                action=f"key.{action}",
                target=entry.kid,
                at=now,
                reason=reason,
                details=_key_row(entry, now),
            )
    row = _key_row(entry, now)
    if json_output:
        _print_json(row)
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
    moment = _parse_instant(at)
    _key_change(
        "compromise",
        lambda keyring, now: keyring.store.compromise(kid, at=moment),
        reason=reason,
        json_output=json_output,
    )
    _err("copies signed by this key after that moment no longer verify: re-issue them (new offers) after rotating")


@keys_app.command("list")
def keys_list(json_output: JsonOption = False) -> None:
    """List every key with its window and its state now."""
    with _errors():
        history = _keyring(_settings()).history()
    now = _now()
    rows = [_key_row(entry, now) for entry in history.entries]
    if json_output:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no keys; create one with `tawtiq keys create`")
    for row in rows:
        window = f"from {row['not_before']}" + (f" retired {row['retired_at']}" if row["retired_at"] else "")
        window += f" COMPROMISED {row['compromised_at']}" if row["compromised_at"] else ""
        typer.echo(f"{row['kid']}  {row['algorithm']}  {row['state']:<11}  {window}")


# ------------------------------------------------------------------------------------------------ admin

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

    with _errors():
        info, token = create_token(_engine(_settings()), name=name, role=role, actor=_actor(), now=_now())
    if json_output:
        _print_json({**info.as_dict(), "token": token})
    else:
        typer.echo(token)
        _err(f"token {info.id} ({info.role}) for {info.name}: store it now, it cannot be shown again")


@token_app.command("list")
def token_list(json_output: JsonOption = False) -> None:
    """List API tokens (never their secrets)."""
    from issuer.apitokens import list_tokens

    with _errors():
        tokens = [token.as_dict() for token in list_tokens(_engine(_settings()))]
    if json_output:
        _print_json(tokens)
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

    with _errors():
        info = revoke_token(_engine(_settings()), token_id=token_id, actor=_actor(), now=_now())
    typer.echo(f"token {info.id} ({info.name}) revoked")


# ------------------------------------------------------------------------------------------------ audit

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(json_output: JsonOption = False) -> None:
    """Recompute the audit chain; exit 1 if any event was changed, inserted or removed."""
    from issuer.audit import verify_chain

    with _errors():
        report = verify_chain(_engine(_settings()))
    result = {
        "ok": report.ok,
        "events": report.events,
        "head": report.head_seq,
        "first_bad_event": report.first_bad_seq,
        "problem": report.problem,
    }
    if json_output:
        _print_json(result)
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

    with _errors():
        events = recent(_engine(_settings()), limit=limit)
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
        _print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['seq']:>6} {row['at']} {row['actor']} {row['action']} {row['target']}"
            + (f" — {row['reason']}" if row["reason"] else "")
        )


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the issuer's command groups to ``app`` and its ``serve`` command to ``serve``."""
    serve.command("issuer")(serve_issuer)
    app.add_typer(db_app, name="db")
    app.add_typer(cohort_app, name="cohort")
    app.add_typer(diploma_app, name="diploma")
    app.add_typer(keys_app, name="keys")
    app.add_typer(admin_app, name="admin")
    app.add_typer(audit_app, name="audit")
