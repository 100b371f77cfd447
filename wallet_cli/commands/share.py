"""Holder-first sharing: ``share`` makes a link at a verifier, ``shares`` lists them, ``unshare`` withdraws one."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from vc import TawtiqError, present
from wallet_cli import qr, shares
from wallet_cli.commands import runtime
from wallet_cli.commands.runtime import (
    CaFileOption,
    DiplomaOption,
    JsonOption,
    LangOption,
    ProfileChoice,
    WalletOption,
    YesOption,
    http_client,
    open_wallet,
    shell,
)
from wallet_cli.commands.selection import count_use, parse_claims, pick_diploma, private_warning, use_copy
from wallet_cli.durations import describe, parse_duration
from wallet_cli.errors import UsageError
from wallet_cli.model import DC_SD_JWT, VC_SD_JWT, Share, WalletData
from wallet_cli.net import origin_of


def share(
    verifier: Annotated[str, typer.Option("--verifier", help="The verifier's address, e.g. https://verify.tawtiq.ma.")],
    disclose: Annotated[
        str, typer.Option("--disclose", help="The claims to show, comma-separated (e.g. familyName,givenName,mention).")
    ],
    expires: Annotated[str, typer.Option("--expires", help="How long the link works: 1h, 12h, 7d, 30d…")] = "7d",
    diploma_id: DiplomaOption = None,
    profile: Annotated[ProfileChoice | None, typer.Option("--profile", help="Which copy format to share.")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Also save the link's QR code as PNG.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Also save the link's QR code as SVG.")] = None,
    yes: YesOption = False,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
    lang: LangOption = None,
) -> None:
    """Make a share link and its QR code.

    Anyone with the link can check the claims you chose until it expires. Opening the link re-verifies the diploma
    live, so a revoked diploma shows as revoked. Withdraw the link any time with `tawtiq-wallet unshare ID`.
    """
    with shell(as_json, lang) as ui:
        chosen = parse_claims(disclose)
        lifetime = parse_duration(expires)
        base = shares.verifier_base(verifier)
        opened = open_wallet(wallet, ui)
        diploma = pick_diploma(opened.data, diploma_id)
        wanted = profile.value if profile is not None else (DC_SD_JWT if diploma.copies_of(DC_SD_JWT) else VC_SD_JWT)
        copy = use_copy(diploma, wanted)
        private = private_warning(ui, chosen, diploma.claim_labels)
        if private and not yes and not typer.confirm("Put this personal data behind a link?", default=False, err=True):
            raise typer.Abort
        if private and yes:
            ui.warn(f"--yes: sharing {', '.join(private)} without asking")
        paths = [(name,) if copy.profile == DC_SD_JWT else ("credentialSubject", name) for name in chosen]
        key = copy.signing_key()

        def build(audience: str, nonce: str) -> str:
            return present(copy.credential, disclose=paths, key=key, audience=audience, nonce=nonce, now=runtime.now())

        ui.status(f"asking {base} for a share link ({describe(lifetime)})")
        with http_client(ca_file) as http:
            created = shares.create_share(http, base, expires_in=lifetime, present=build)
        record = Share(
            id=secrets.token_hex(4),
            link_id=created.id,
            url=created.url,
            verifier=origin_of(base),
            diploma_id=diploma.id,
            profile=copy.profile,
            disclosed=chosen,
            created_at=runtime.now(),
            expires_at=created.expires_at,
            revoke_token=created.revoke_token,
        )
        moment = runtime.now()
        opened.update(
            lambda data: (count_use(data, diploma.id, copy.id, origin_of(base), moment).with_share(record), None)
        )
        for path in (png, svg):
            if path is not None:
                qr.save(created.url, path)
                ui.status(f"QR code saved to {path}")
        if created.verdict != "valid":
            ui.warn(f"the verifier reports the shared diploma as {created.verdict}: " + "; ".join(created.problems))
        document = {
            "ok": True,
            "id": record.id,
            "url": created.url,
            "expires_at": created.expires_at.isoformat(),
            "verdict": created.verdict,
            "disclosed": list(chosen),
            "diploma": diploma.id,
        }

        def render_it(out: Console) -> None:
            qr.terminal(created.url, out.file)  # type: ignore[arg-type]
            out.print(created.url, soft_wrap=True)
            out.print(
                f"Shows {', '.join(chosen)}; works until {created.expires_at:%Y-%m-%d %H:%M} UTC. "
                f"Withdraw it with `tawtiq-wallet unshare {record.id}`."
            )

        ui.result(document, render_it)


def list_shares(
    live: Annotated[
        bool, typer.Option("--live", help="Open each active link now and show what a visitor sees.")
    ] = False,
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """List your share links.

    With their state (active, expired, withdrawn) and, with --live, what a visitor sees now.
    """
    with shell(as_json) as ui:
        data = open_wallet(wallet, ui).data
        moment = runtime.now()
        rows: list[dict[str, Any]] = []
        with contextlib.ExitStack() as stack:
            http = stack.enter_context(http_client(ca_file)) if live else None
            for item in data.shares:
                row: dict[str, Any] = {
                    "id": item.id,
                    "url": item.url,
                    "verifier": item.verifier,
                    "diploma": item.diploma_id,
                    "disclosed": list(item.disclosed),
                    "created_at": item.created_at.isoformat(),
                    "expires_at": item.expires_at.isoformat(),
                    "state": item.state(moment),
                }
                if http is not None and row["state"] == "active":
                    try:
                        row["live"] = shares.open_share(http, item.url).state
                    except TawtiqError as exc:
                        row["live"] = f"error: {exc.summary}"
                rows.append(row)

        def render_it(out: Console) -> None:
            if not rows:
                out.print("No share links. Make one with `tawtiq-wallet share --verifier URL --disclose ...`.")
                return
            table = Table(show_header=True, header_style="bold")
            for column in ("id", "state", *(["now"] if live else []), "expires", "claims", "url"):
                table.add_column(column, overflow="fold")
            for row in rows:
                table.add_row(
                    row["id"],
                    row["state"],
                    *([row.get("live", "—")] if live else []),
                    row["expires_at"][:16],
                    ", ".join(row["disclosed"]),
                    row["url"],
                )
            out.print(table)

        ui.result({"shares": rows}, render_it)


def unshare(
    share_id: Annotated[str, typer.Argument(metavar="ID", help="The share link's id (see `shares`).")],
    wallet: WalletOption = None,
    ca_file: CaFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a share link.

    The verifier erases the presentation and the link stops working.
    """
    with shell(as_json) as ui:
        opened = open_wallet(wallet, ui)
        item = opened.data.share(share_id)
        if item.withdrawn_at is not None:
            raise UsageError(f"share link {item.id} was already withdrawn", code="share.withdrawn")
        with http_client(ca_file) as http:
            ended_now = shares.withdraw(http, item)
        moment = runtime.now()

        def mark(data: WalletData) -> tuple[WalletData, None]:
            current = data.share(item.id)
            return data.with_share(replace(current, withdrawn_at=moment, revoke_token=None)), None

        opened.update(mark)
        message = "withdrawn" if ended_now else "had already ended at the verifier (expired)"
        ui.result(
            {"ok": True, "id": item.id, "withdrawn": True, "was_active": ended_now},
            lambda out: out.print(f"Share link {item.id} {message}: {item.url} no longer shows your diploma."),
        )
