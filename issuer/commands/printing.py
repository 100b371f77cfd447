"""``tawtiq diploma print`` (one graduate, or a school in bulk), ``tawtiq diploma check-print`` and ``tawtiq diploma
signer create|show``: the printed diploma, signed by the ministry (:mod:`issuer.printing`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.commands.shell import (
    EXIT_ERROR,
    JsonOption,
    OptionalSession,
    actor,
    clock,
    current_settings,
    fail,
    handled_errors,
    open_engine,
    open_keyring,
    print_json,
)

if TYPE_CHECKING:  # pragma: no cover
    from issuer.printing import DocumentSigner

signer_app = typer.Typer(help="The ministry's document-signing certificate for printed diplomas.", no_args_is_help=True)


def register_printing(diploma: typer.Typer) -> None:
    """Add ``print`` and the ``signer`` group to the ``tawtiq diploma`` group."""
    diploma.command("print")(diploma_print)
    diploma.command("check-print")(diploma_check_print)
    diploma.add_typer(signer_app, name="signer")


def diploma_print(
    out: Annotated[Path, typer.Option("--out", help="The PDF file (one graduate) or the directory (--school).")],
    identifier: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Credential id or CNIE number; leave out with --school.")
    ] = None,
    school: Annotated[str | None, typer.Option("--school", help="Print every active diploma of this school.")] = None,
    session: OptionalSession = None,
    json_output: JsonOption = False,
) -> None:
    """Print a diploma as a signed PDF/A: ``print ID --out FILE``, or a school's: ``print --school CODE --out DIR``.

    Each print signs a fresh copy of the credential (channel ``print``, embedded in the PDF) and seals the PDF
    with the ministry's document-signing certificate (TAWTIQ_DOCUMENT_SIGNER_DIR).
    """
    if (identifier is None) == (school is None):
        fail("error: name one diploma (ID) or one school (--school CODE), not both or neither", EXIT_ERROR)
    if school is not None:
        _print_school(school, out=out, session=session, json_output=json_output)
        return
    assert identifier is not None
    from issuer.db import writing
    from issuer.printing import DocumentSigner, print_record, write_atomically
    from issuer.records import resolve

    if out.is_dir():
        fail(f"error: {out} is a directory; name the PDF file to write", EXIT_ERROR)
    with handled_errors():
        settings = current_settings()
        signer = DocumentSigner.from_settings(settings)
        keyring = open_keyring(settings)
        engine = open_engine(settings)
        with writing(engine) as db:
            diploma = resolve(db, identifier, session_name=session)
            printed = print_record(
                db, diploma=diploma, settings=settings, keyring=keyring, signer=signer, actor=actor(), now=clock.now()
            )
        write_atomically(out, printed.pdf)
    if json_output:
        print_json(
            {"diploma": printed.diploma_id, "copy": printed.copy_id, "file": str(out), "bytes": len(printed.pdf)}
        )
    else:
        typer.echo(f"{out}: {printed.diploma_id} ({len(printed.pdf):,} bytes, signed)")


def diploma_check_print(
    pdf: Annotated[Path, typer.Argument(metavar="FILE", help="A printed diploma (PDF).")],
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="CA certificates to trust (PEM); default: ca.pem of TAWTIQ_DOCUMENT_SIGNER_DIR."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Check a printed diploma's signature: intact since signing, covering the whole file, by a document-signing
    certificate under the CA. Exit 1 with the reason (``pdf.altered``, ``pdf.untrusted``...) otherwise."""
    from common.pdf.signature import check_signed_pdf
    from keys.x509 import CA_CERTIFICATE_FILE, load_trust_anchors

    with handled_errors():
        anchors_file = ca if ca is not None else current_settings().resolved_document_signer_dir / CA_CERTIFICATE_FILE
        anchors = load_trust_anchors(anchors_file)
        try:
            data = pdf.read_bytes()
        except OSError as exc:
            fail(f"error: cannot read {pdf}: {exc.strerror or type(exc).__name__}", EXIT_ERROR)
        check = check_signed_pdf(data, trust_anchors=anchors, at=clock.now())
    result = {
        "file": str(pdf),
        "signed_by": check.signer,
        "anchor": check.anchor,
        "signed_at": check.signed_at.isoformat() if check.signed_at else None,
    }
    if json_output:
        print_json({"valid": True, **result})
    else:
        typer.echo(f"{pdf}: signed by {check.signer}, intact since {result['signed_at']} (under {check.anchor})")


def _print_school(school: str, *, out: Path, session: str | None, json_output: bool) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from issuer.printing import DocumentSigner, print_school

    if out.exists() and not out.is_dir():
        fail(f"error: {out} is a file; --school writes one PDF per diploma into a directory", EXIT_ERROR)
    files: list[dict[str, str]] = []
    with handled_errors():
        settings = current_settings()
        signer = DocumentSigner.from_settings(settings)
        keyring = open_keyring(settings)
        engine = open_engine(settings)
        with Progress(
            TextColumn("diplomas"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("diplomas", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            for diploma_id, path in print_school(
                engine,
                school=school,
                session_name=session,
                settings=settings,
                keyring=keyring,
                signer=signer,
                actor=actor(),
                clock=clock.now,
                out=out,
                progress=progress,
            ):
                files.append({"diploma": diploma_id, "file": str(path)})
    if json_output:
        print_json({"school": school, "printed": len(files), "files": files})
    else:
        typer.echo(f"{out}: {len(files):,} signed diplomas of school {school}")


@signer_app.command("create")
def signer_create(json_output: JsonOption = False) -> None:
    """Create a DEVELOPMENT document-signing certificate under a development CA (both keys encrypted with
    TAWTIQ_KEY_PASSPHRASE) in TAWTIQ_DOCUMENT_SIGNER_DIR. In production the ministry's CA issues it instead."""
    from issuer.printing import DocumentSigner

    with handled_errors():
        settings = current_settings()
        directory = settings.resolved_document_signer_dir
        signer = DocumentSigner.create_development(
            directory, passphrase=settings.key_passphrase_bytes(), now=clock.now()
        )
    _show(signer, directory=directory, json_output=json_output)
    typer.echo(
        "warning: a development CA signs this certificate: PDF readers will not trust it unless its ca.pem is "
        "added to their trusted certificates",
        err=True,
    )


@signer_app.command("show")
def signer_show(json_output: JsonOption = False) -> None:
    """Show the document-signing certificate printed diplomas are signed with."""
    from issuer.printing import DocumentSigner

    with handled_errors():
        settings = current_settings()
        signer = DocumentSigner.from_settings(settings)
    _show(signer, directory=settings.resolved_document_signer_dir, json_output=json_output)


def _show(signer: DocumentSigner, *, directory: Path, json_output: bool) -> None:
    certificate = signer.key.certificate
    description = {
        "directory": str(directory),
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "anchors": [anchor.subject.rfc4514_string() for anchor in signer.anchors],
    }
    if json_output:
        print_json(description)
    else:
        for name, value in description.items():
            typer.echo(f"{name}: {value}")
