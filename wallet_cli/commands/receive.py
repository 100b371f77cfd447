"""``receive``: redeem a credential offer, or log in with the eID (OpenID4VCI), and keep only the copies that passed
every check."""

from __future__ import annotations

import webbrowser
from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from wallet_cli import authorization, checking, oid4vci, render
from wallet_cli.commands import runtime
from wallet_cli.commands.runtime import (
    CaFileOption,
    JsonOption,
    LangOption,
    ProfileChoice,
    WalletOption,
    http_client,
    input_link,
    open_wallet,
    shell,
)
from wallet_cli.commands.selection import subject_of
from wallet_cli.errors import UsageError
from wallet_cli.model import Diploma, WalletData


def receive(
    offer: Annotated[
        str | None,
        typer.Argument(help="The openid-credential-offer:// link, or a photo/screenshot of its QR code."),
    ] = None,
    login: Annotated[
        bool,
        typer.Option(
            "--login",
            help="Log in with the eID instead of a PIN (authorization code flow): the wallet prints the address to "
            "open, listens on 127.0.0.1 for the answer, then receives the diploma.",
        ),
    ] = False,
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="With --login and no offer: the issuer's address (https://...).")
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print-only", help="With --login: only print the address; do not open a browser.")
    ] = False,
    login_timeout: Annotated[
        int, typer.Option("--login-timeout", min=10, max=3600, help="With --login: seconds to wait for the login.")
    ] = authorization.DEFAULT_LOGIN_SECONDS,
    tx_code: Annotated[
        str | None,
        typer.Option(
            "--tx-code", envvar="TAWTIQ_WALLET_TX_CODE", help="The PIN sent with the offer (asked if missing)."
        ),
    ] = None,
    profile: Annotated[
        list[ProfileChoice] | None,
        typer.Option("--profile", help="Only this profile (dc+sd-jwt or vc+sd-jwt; default: every offered one)."),
    ] = None,
    copies: Annotated[
        int, typer.Option("--copies", min=1, max=oid4vci.MAX_COPIES, help="Copies per profile, each with its own key.")
    ] = 1,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Receive a diploma from an offer (OpenID4VCI), or through the eID login (--login).

    The offer is the openid-credential-offer:// link or a photo of its QR code; the PIN (transaction code) came
    separately. With --login no PIN is needed: the graduate logs in with the eID in a browser on this device
    (with an offer, or --issuer URL), and the issuer finds their diploma by their CNIE. Each copy is bound to a
    fresh key made for it. Before anything is stored the wallet checks the
    issuer's signature against the keys it publishes, that the copy is bound to the key the wallet proved, the
    disclosures, the data and the current status; a copy that fails is refused and nothing is kept.
    """
    with shell(as_json, lang) as ui:
        opened = open_wallet(wallet, ui)
        if offer is None and not (login and issuer):
            raise UsageError(
                "name the offer (or, with --login, the issuer with --issuer)",
                code="receive.usage",
                expected="tawtiq-wallet receive OFFER | tawtiq-wallet receive --login --issuer https://...",
            )
        if offer is not None and issuer is not None:
            raise UsageError("give an offer or --issuer, not both", code="receive.usage")
        link = input_link(offer, (oid4vci.OFFER_SCHEME,), ui) if offer is not None else None

        def ask(spec: oid4vci.TxCode) -> str:
            if tx_code is not None:
                return tx_code
            if spec.description:
                ui.err.print(spec.description)
            return str(typer.prompt(f"Transaction code ({spec.shape()})", hide_input=True, err=True))

        def show_login(url: str) -> None:
            # The address goes to stderr even with --json: a script reads it there and opens it.
            ui.err.print("Open this address in a browser on this device and log in with your eID:", highlight=False)
            ui.err.print(url, soft_wrap=True, highlight=False, markup=False)
            if not print_only:
                webbrowser.open(url)

        with http_client(ca_file) as http:
            if login:
                received = authorization.receive_with_login(
                    http,
                    issuer=issuer,
                    link=link,
                    open_url=show_login,
                    profiles=[choice.value for choice in profile or []],
                    copies=copies,
                    timeout_seconds=login_timeout,
                    now=runtime.now,
                    progress=ui.status,
                )
            else:
                assert link is not None
                received = oid4vci.receive(
                    http,
                    link,
                    tx_code=ask,
                    profiles=[choice.value for choice in profile or []],
                    copies=copies,
                    now=runtime.now,
                    progress=ui.status,
                )
        for warning in received.warnings:
            ui.warn(warning)
        incoming = received.diploma
        subject = checking.read_copy(incoming.copies[0].credential).subject

        def store_it(data: WalletData) -> tuple[WalletData, Diploma]:
            for existing in data.diplomas:
                if existing.issuer == incoming.issuer and subject_of(existing) == subject:
                    merged = replace(
                        existing,
                        copies=existing.copies + incoming.copies,
                        claim_labels={**existing.claim_labels, **incoming.claim_labels},
                        issuer_name=incoming.issuer_name or existing.issuer_name,
                    )
                    return data.with_diploma(merged), merged
            return data.with_diploma(incoming), incoming

        kept = opened.update(store_it)
        summary = render.diploma_summary(kept, subject, ui.lang)
        document = {
            "ok": True,
            "diploma": kept.id,
            "issuer": kept.issuer,
            "new_copies": [{"id": c.id, "profile": c.profile} for c in incoming.copies],
            "copies": len(kept.copies),
            "summary": summary,
            "checks": [item.report.to_dict()["checks"] for item in received.reports],
            "warnings": list(received.warnings),
        }

        def show(out: Console) -> None:
            out.print(
                Text.assemble(
                    f"Received and verified {len(incoming.copies)} cop{'y' if len(incoming.copies) == 1 else 'ies'} "
                    f"({', '.join(sorted({c.profile for c in incoming.copies}))}) of the diploma of ",
                    render.shown(summary["name"]),
                    " — ",
                    render.shown(summary["session"]),
                    ", ",
                    render.shown(summary["mention"]),
                    ".",
                )
            )
            out.print(Text.assemble("Issuer: ", render.shown(summary["issuer"]), " (", render.shown(kept.issuer), ")"))
            out.print(
                f"Kept in the wallet as diploma {kept.id} ({len(kept.copies)} copies). Show it with "
                f"`tawtiq-wallet show {kept.id}`."
            )

        ui.result(document, show)
