"""``verifiers list|add|remove``: the holder's list of known verifiers."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wallet_cli import shares
from wallet_cli.commands.runtime import JsonOption, WalletOption, open_wallet, shell
from wallet_cli.errors import UsageError
from wallet_cli.model import Verifier, WalletData
from wallet_cli.net import origin_of


def verifiers_list(wallet: WalletOption = None, as_json: JsonOption = False) -> None:
    """List the verifiers you know or have answered."""
    with shell(as_json) as ui:
        data = open_wallet(wallet, ui).data
        rows = [item.to_json() for item in data.verifiers]

        def render_it(out: Console) -> None:
            table = Table(show_header=True, header_style="bold")
            for column in ("origin", "name", "known", "answered", "last"):
                table.add_column(column)
            for item in data.verifiers:
                table.add_row(
                    item.origin,
                    item.name or "",
                    "yes" if item.known else "no",
                    str(item.presentations),
                    item.last_seen.isoformat()[:16] if item.last_seen else "",
                )
            out.print(table)

        ui.result({"verifiers": rows}, render_it)


def verifiers_add(
    origin: Annotated[str, typer.Argument(help="The verifier's address, e.g. https://admissions.um5.ac.ma.")],
    name: Annotated[str, typer.Option("--name", help="Your name for it, e.g. 'Université Mohammed V'.")],
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a verifier's address as known.

    Its requests are then shown with your name for it.
    """
    with shell(as_json) as ui:
        address = origin_of(shares.verifier_base(origin))
        opened = open_wallet(wallet, ui)

        def add(data: WalletData) -> tuple[WalletData, None]:
            current = data.verifier(address) or Verifier(origin=address)
            return data.with_verifier(replace(current, known=True, name=name.strip() or None)), None

        opened.update(add)
        ui.result(
            {"ok": True, "origin": address, "name": name},
            lambda out: out.print(f"{address} is now a known verifier ({name})."),
        )


def verifiers_remove(
    origin: Annotated[str, typer.Argument(help="The verifier's address.")],
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forget a verifier.

    Its next request is shown as UNKNOWN.
    """
    with shell(as_json) as ui:
        address = origin_of(shares.verifier_base(origin))
        opened = open_wallet(wallet, ui)

        def remove(data: WalletData) -> tuple[WalletData, None]:
            if data.verifier(address) is None:
                raise UsageError(f"{address} is not in the wallet's verifiers", code="verifier.unknown")
            return data.without_verifier(address), None

        opened.update(remove)
        ui.result({"ok": True, "origin": address}, lambda out: out.print(f"{address} forgotten."))
