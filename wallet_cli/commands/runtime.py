"""What every wallet command runs with: the shared options, the output (results on stdout, the rest on
stderr), the one error handler, opening the encrypted store, and the hooks tests replace (:func:`now`,
:func:`http_transport`, :data:`KDF`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, NoReturn

import httpx
import platformdirs
import typer
from rich.console import Console
from rich.text import Text

from vc import TawtiqError
from wallet_cli import qr
from wallet_cli.errors import EXIT_REFUSED, PassphraseError, UsageError, exit_code_of
from wallet_cli.model import DC_SD_JWT, VC_SD_JWT
from wallet_cli.net import Http
from wallet_cli.store import STRONG_KDF, KdfParams, OpenWallet, Store

APP_NAME: Final = "tawtiq-wallet"
#: scrypt cost of new stores and backups (tests lower it; files always say what they used).
KDF: KdfParams = STRONG_KDF


class Lang(StrEnum):
    ar = "ar"
    fr = "fr"
    en = "en"


class ProfileChoice(StrEnum):
    dc = DC_SD_JWT
    vc = VC_SD_JWT


WalletOption = Annotated[
    Path | None,
    typer.Option(
        "--wallet",
        envvar="TAWTIQ_WALLET_DIR",
        help="The wallet directory (default: your user data directory).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of text.")]
LangOption = Annotated[
    Lang | None,
    typer.Option("--lang", help="Labels in one language: ar, fr or en (default: all three).", case_sensitive=False),
]
CaFileOption = Annotated[
    Path | None,
    typer.Option(
        "--ca-file",
        envvar="TAWTIQ_WALLET_CA_FILE",
        help="Extra PEM certificate(s) to trust for https (a development issuer's self-signed certificate).",
    ),
]
DiplomaOption = Annotated[str | None, typer.Option("--diploma", help="Which diploma (when the wallet holds several).")]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (warnings are still printed).")
]


def now() -> datetime:
    """The current time (tests replace it)."""
    return datetime.now(UTC)


def http_transport() -> httpx.BaseTransport | None:
    """The HTTP transport (tests replace it to tamper with answers in flight); None for the real network."""
    return None


class Ui:
    """Where things go: results on stdout, the rest on stderr."""

    def __init__(self, *, as_json: bool, lang: Lang | None = None) -> None:
        self.as_json = as_json
        self.lang: str | None = lang.value if lang is not None else None
        self.out = Console(highlight=False, soft_wrap=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=False)

    def status(self, message: str) -> None:
        self.err.print(Text(message, style="dim"))

    def warn(self, message: str) -> None:
        self.err.print(Text("warning: ", style="bold yellow") + Text(message))

    def result(self, document: dict[str, Any], show: Callable[[Console], None]) -> None:
        if self.as_json:
            typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))
        else:
            show(self.out)


@contextlib.contextmanager
def shell(as_json: bool, lang: Lang | None = None) -> Iterator[Ui]:
    """Run a command body: our errors become one message on stderr (and JSON on stdout with ``--json``)."""
    ui = Ui(as_json=as_json, lang=lang)
    try:
        yield ui
    except TawtiqError as exc:
        _fail(ui, exc)
    except (typer.Abort, EOFError):
        ui.err.print("cancelled: nothing was sent and nothing was changed")
        if ui.as_json:
            typer.echo(json.dumps({"ok": False, "error": {"code": "cancelled", "message": "cancelled"}}))
        raise typer.Exit(EXIT_REFUSED) from None


def _fail(ui: Ui, exc: TawtiqError) -> NoReturn:
    hint = getattr(exc, "hint", None)
    ui.err.print(Text("error: ", style="bold red") + Text(str(exc)) + Text(f" [{exc.code}]", style="dim"))
    if hint:
        ui.err.print(Text(hint))
    if ui.as_json:
        typer.echo(
            json.dumps(
                {"ok": False, "error": {"code": exc.code, "message": str(exc), "hint": hint}}, ensure_ascii=False
            )
        )
    raise typer.Exit(exit_code_of(exc))


def store_at(wallet: Path | None) -> Store:
    directory = wallet if wallet is not None else platformdirs.user_data_path(APP_NAME, appauthor=False)
    return Store(directory.expanduser(), kdf=KDF)


def _secret_from_environment(variable: str) -> bytes | None:
    value = os.environ.get(variable)
    if value:
        return value.encode("utf-8")
    path = os.environ.get(f"{variable}_FILE")
    if path:
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(
                f"{variable}_FILE names a file that cannot be read: {path}", code="passphrase.file"
            ) from exc
        return content.removesuffix(b"\n").removesuffix(b"\r")
    return None


def ask_passphrase(
    *, new: bool = False, variable: str = "TAWTIQ_WALLET_PASSPHRASE", prompt: str = "Wallet passphrase"
) -> bytes:
    secret = _secret_from_environment(variable)
    if secret is not None:
        return secret
    value = typer.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True)
    return str(value).encode("utf-8")


#: Passphrase attempts when it is typed (one when it comes from the environment).
PASSPHRASE_ATTEMPTS: Final = 3


def open_wallet(wallet: Path | None, ui: Ui) -> OpenWallet:
    store = store_at(wallet)
    store.require()
    for change in store.tighten_permissions():
        ui.warn(change)
    secret = _secret_from_environment("TAWTIQ_WALLET_PASSPHRASE")
    if secret is not None:
        return store.read(secret)
    for attempt in range(1, PASSPHRASE_ATTEMPTS + 1):
        try:
            return store.read(ask_passphrase())
        except PassphraseError:
            if attempt == PASSPHRASE_ATTEMPTS:
                raise
            ui.err.print("That passphrase does not open this wallet; try again.")
    raise AssertionError("unreachable")  # pragma: no cover


def http_client(ca_file: Path | None) -> Http:
    return Http(ca_file=ca_file, transport=http_transport())


def input_link(argument: str, schemes: tuple[str, ...], ui: Ui) -> str:
    """A link given as text, or read from the QR code in a picture."""
    if not qr.looks_like_path(argument, schemes):
        return argument.strip()
    path = Path(argument)
    if not path.exists():
        raise UsageError(
            f"{argument!r} is neither a {' or '.join(s + '://' for s in schemes)} link nor an image file",
            code="input.invalid",
            hint="Paste the whole link (in quotes), or give the path of a photo or screenshot of the QR code.",
        )
    text = qr.decode_image(path)
    ui.status(f"QR code read from {path}")
    return text
