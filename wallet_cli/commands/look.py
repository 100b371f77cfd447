"""Looking at what the wallet holds: ``list``, ``show`` and ``verify`` (signature and current status, live)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

import schemas
from common.diploma import printed_subject
from keys import KeyHistoryResolver
from vc import KeyResolver, Verdict, VerificationReport
from wallet_cli import checking, render
from wallet_cli.commands import runtime
from wallet_cli.commands.runtime import (
    CaFileOption,
    JsonOption,
    LangOption,
    WalletOption,
    http_client,
    open_wallet,
    shell,
)
from wallet_cli.commands.selection import subject_of
from wallet_cli.errors import EXIT_ERROR, EXIT_REFUSED, NetworkError
from wallet_cli.model import Copy


def list_diplomas(wallet: WalletOption = None, as_json: JsonOption = False, lang: LangOption = None) -> None:
    """List the diplomas in the wallet."""
    with shell(as_json, lang) as ui:
        data = open_wallet(wallet, ui).data
        rows: list[dict[str, Any]] = []
        for diploma in data.diplomas:
            summary = render.diploma_summary(diploma, subject_of(diploma), ui.lang)
            counts = {profile: len(diploma.copies_of(profile)) for profile in diploma.profiles()}
            rows.append({"id": diploma.id, **summary, "copies": counts, "received_at": diploma.received_at.isoformat()})

        def show(out: Console) -> None:
            if not rows:
                out.print("The wallet is empty. Receive a diploma with `tawtiq-wallet receive OFFER`.")
                return
            table = Table(show_header=True, header_style="bold")
            for column in ("id", "name", "session", "mention", "average", "issuer", "copies", "received"):
                table.add_column(column, justify="right" if ui.lang == "ar" and column == "name" else "left")
            for row in rows:
                copies = ", ".join(f"{n}× {p}" for p, n in row["copies"].items())
                table.add_row(
                    row["id"],
                    render.shown(row["name"]),
                    render.shown(row["session"]),
                    render.shown(row["mention"]),
                    render.shown(row["average"]),
                    render.shown(row["issuer"]),
                    copies,
                    row["received_at"][:10],
                )
            out.print(table)

        ui.result({"diplomas": rows}, show)


def show(
    diploma_id: Annotated[str, typer.Argument(metavar="ID", help="The diploma's id (or its first characters).")],
    wallet: WalletOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Show a diploma's claims with their labels.

    Every claim with its Arabic, French and English label from the issuer's metadata (Arabic right-aligned;
    --lang for one language). 🔒 marks what is never disclosed by default.
    """
    with shell(as_json, lang) as ui:
        diploma = open_wallet(wallet, ui).data.diploma(diploma_id)
        subject = subject_of(diploma)
        claims = [
            {
                "name": name,
                "labels": render.all_labels(name, diploma.claim_labels),
                "value": subject[name],
                "display": render.value_text(name, subject[name], ui.lang),
                "private": name in schemas.PRIVATE_CLAIMS,
            }
            for name in schemas.SUBJECT_CLAIMS
            if name in subject
        ]
        document = {
            "id": diploma.id,
            "issuer": diploma.issuer,
            "issuer_name": dict(diploma.issuer_name),
            "credential_name": dict(diploma.credential_name),
            "received_at": diploma.received_at.isoformat(),
            "claims": claims,
            "copies": [
                {
                    "id": c.id,
                    "profile": c.profile,
                    "presentations": c.presentations,
                    "received_at": c.received_at.isoformat(),
                }
                for c in diploma.copies
            ],
        }

        def render_it(out: Console) -> None:
            title = render.localized(diploma.credential_name, ui.lang) or "Baccalaureate diploma"
            issuer = render.localized(diploma.issuer_name, ui.lang) or diploma.issuer
            out.print(
                Text.assemble(render.shown(title), f" — {diploma.id}", style="bold"),
                justify="right" if ui.lang == "ar" else "left",
            )
            out.print(
                Text.assemble(
                    render.shown(issuer),
                    " (",
                    render.shown(diploma.issuer),
                    f"); received {diploma.received_at:%Y-%m-%d %H:%M} UTC",
                )
            )
            out.print(render.claims_table(subject, lang=ui.lang, labels=diploma.claim_labels))
            copies = ", ".join(f"{c.id} ({c.profile}, shown {c.presentations}×)" for c in diploma.copies)
            out.print(f"Copies: {copies}")

        ui.result(document, render_it)


def verify_command(
    diploma_id: Annotated[str, typer.Argument(metavar="ID", help="The diploma's id.")],
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Check a diploma's signature and current status.

    The issuer's signature against the keys it publishes, its CURRENT status from the issuer's status lists, and the
    binding to your keys; every check is printed. Exit code 0 when every copy is valid, 1 when one is not (revoked,
    suspended, tampered), 2 when the check could not be completed (the issuer could not be reached).
    """
    with shell(as_json, lang) as ui:
        diploma = open_wallet(wallet, ui).data.diploma(diploma_id)
        moment = runtime.now()
        ui.status(f"fetching the keys and status lists of {diploma.issuer}")
        with http_client(ca_file) as http:
            reports: list[tuple[Copy, VerificationReport]] = []
            keys: KeyResolver
            try:
                keys = KeyHistoryResolver({diploma.issuer: checking.fetch_key_history(http, diploma.issuer)})
            except NetworkError as exc:
                ui.warn(f"the issuer's keys cannot be fetched: {exc.summary}")
                keys = checking.UnavailableKeys(exc.summary)
            status = checking.HttpStatusResolver(http, issuer=diploma.issuer, keys=keys, now=moment)
            for copy in diploma.copies:
                report = checking.check_copy(
                    copy.credential, copy.signing_key(), issuer=diploma.issuer, keys=keys, status=status, now=moment
                )
                reports.append((copy, report))
        verdict = Verdict.worst(*(report.verdict for _copy, report in reports))
        document = {
            "diploma": diploma.id,
            "issuer": diploma.issuer,
            "verdict": str(verdict),
            "checked_at": moment.isoformat(),
            "copies": [{"id": copy.id, "profile": copy.profile, **report.to_dict()} for copy, report in reports],
        }

        def render_it(out: Console) -> None:
            for copy, report in reports:
                out.print(
                    Panel(
                        render.report_table(report),
                        title=f"copy {copy.id} ({copy.profile})",
                        subtitle=Text.assemble("verdict: ", render.verdict_text(str(report.verdict), ui.lang)),
                    )
                )
            out.print(Text.assemble(f"Diploma {diploma.id}: ", render.verdict_text(str(verdict), ui.lang)))
            for _copy, report in reports[:1]:
                for item in report.status:
                    out.print(f"status ({item.purpose}): list {item.list_uri}, index {item.index}, value {item.value}")

        ui.result(document, render_it)
        if verdict is Verdict.INVALID:
            raise typer.Exit(EXIT_REFUSED)
        if verdict is Verdict.INDETERMINATE:
            raise typer.Exit(EXIT_ERROR)


def verify_printed_command(
    source: Annotated[
        str, typer.Argument(metavar="CODE", help="The printed diploma's TQ1: text, or a photo or screenshot of its QR.")
    ],
    issuer: Annotated[
        str,
        typer.Option(
            "--issuer", help="The issuer you expect (the ministry's address); a code naming another is refused."
        ),
    ],
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Check a printed diploma's offline QR (TQ1:): the issuer's signature, then its current status.

    The code is read from the text or from the picture; the issuer's published keys check its signature, and the
    issuer's status list adds whether it was revoked since. Nothing is stored: a printed code is bound to no key of
    yours. Exit code 0 when valid, 1 when invalid (forged, altered, revoked, another issuer), 2 when it could not
    be completed (the issuer or its status list could not be reached).
    """
    with shell(as_json, lang) as ui:
        text = runtime.input_link(source, ("tq1",), ui)
        moment = runtime.now()
        ui.status(f"fetching the keys and status list of {issuer}")
        with http_client(ca_file) as http:
            keys: KeyResolver
            try:
                keys = KeyHistoryResolver({issuer: checking.fetch_key_history(http, issuer)})
            except NetworkError as exc:
                ui.warn(f"the issuer's keys cannot be fetched: {exc.summary}")
                keys = checking.UnavailableKeys(exc.summary)
            status = checking.HttpStatusResolver(http, issuer=issuer, keys=keys, now=moment)
            report = checking.check_printed(text, issuer=issuer, keys=keys, status=status, now=moment)
        document = {"issuer": issuer, "checked_at": moment.isoformat(), **report.to_dict()}

        def render_it(out: Console) -> None:
            out.print(
                Panel(
                    render.report_table(report),
                    title="printed diploma (TQ1)",
                    subtitle=Text.assemble("verdict: ", render.verdict_text(str(report.verdict), ui.lang)),
                )
            )
            if report.claims is not None and report.check("signature").outcome == "passed":
                out.print(render.claims_table(printed_subject(report.claims), lang=ui.lang, labels=None))

        ui.result(document, render_it)
        if report.verdict is Verdict.INVALID:
            raise typer.Exit(EXIT_REFUSED)
        if report.verdict is Verdict.INDETERMINATE:
            raise typer.Exit(EXIT_ERROR)
