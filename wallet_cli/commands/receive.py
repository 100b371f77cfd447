"""``receive``: redeem a credential offer (OpenID4VCI) and keep only the copies that passed every check."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from wallet_cli import checking, oid4vci, render
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
from wallet_cli.model import Diploma, WalletData


def receive(
    offer: Annotated[
        str, typer.Argument(help="The openid-credential-offer:// link, or a photo/screenshot of its QR code.")
    ],
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
    """Receive a diploma from an offer (OpenID4VCI).

    The offer is the openid-credential-offer:// link or a photo of its QR code; the PIN (transaction code) came
    separately. Each copy is bound to a fresh key made for it. Before anything is stored the wallet checks the
    issuer's signature against the keys it publishes, that the copy is bound to the key the wallet proved, the
    disclosures, the data and the current status; a copy that fails is refused and nothing is kept.
    """
    with shell(as_json, lang) as ui:
        opened = open_wallet(wallet, ui)
        link = input_link(offer, (oid4vci.OFFER_SCHEME,), ui)

        def ask(spec: oid4vci.TxCode) -> str:
            if tx_code is not None:
                return tx_code
            if spec.description:
                ui.err.print(spec.description)
            return str(typer.prompt(f"Transaction code ({spec.shape()})", hide_input=True, err=True))

        with http_client(ca_file) as http:
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
