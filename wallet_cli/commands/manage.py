"""Managing the wallet itself: ``init``, ``delete``, ``export``, ``import`` and ``passphrase``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wallet_cli.commands import runtime
from wallet_cli.commands.runtime import (
    JsonOption,
    WalletOption,
    YesOption,
    ask_passphrase,
    open_wallet,
    shell,
    store_at,
)
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.model import WalletData
from wallet_cli.store import export_backup, read_backup, read_limited, write_atomically


def init(wallet: WalletOption = None, as_json: JsonOption = False) -> None:
    """Create a new, empty, encrypted wallet.

    The passphrase is asked twice (TAWTIQ_WALLET_PASSPHRASE for scripts). Everything in it — holder keys, diplomas
    with your CNIE number and birth data, share links — is encrypted with a key derived from the passphrase. Without
    the passphrase nobody can open it, you included: keep a backup (`tawtiq-wallet export`).
    """
    with shell(as_json) as ui:
        store = store_at(wallet)
        if store.exists():
            raise UsageError(f"a wallet already exists in {store.directory}", code="wallet.exists")
        store.create(ask_passphrase(new=True, prompt="New wallet passphrase"))
        ui.result(
            {"ok": True, "wallet": str(store.directory)},
            lambda out: out.print(f"New wallet in {store.directory} (encrypted; only you can read it)."),
        )


def delete(
    diploma_id: Annotated[str, typer.Argument(metavar="ID", help="The diploma's id.")],
    wallet: WalletOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a diploma from this wallet.

    Its holder keys are destroyed; the ministry's record is not affected. Share links made with it stay open at the
    verifiers until they expire or you withdraw them with `unshare`.
    """
    with shell(as_json) as ui:
        opened = open_wallet(wallet, ui)
        diploma = opened.data.diploma(diploma_id)
        active = [s for s in opened.data.shares if s.diploma_id == diploma.id and s.state(runtime.now()) == "active"]
        if active:
            ui.warn(
                f"{len(active)} share link(s) of this diploma stay open until withdrawn: "
                + ", ".join(s.id for s in active)
            )
        if not yes and not typer.confirm(
            f"Delete diploma {diploma.id} and its {len(diploma.copies)} copies from this wallet?",
            default=False,
            err=True,
        ):
            raise typer.Abort

        def remove(data: WalletData) -> tuple[WalletData, None]:
            data.diploma(diploma.id)
            return data.without_diploma(diploma.id), None

        opened.update(remove)
        ui.result(
            {"ok": True, "deleted": diploma.id}, lambda out: out.print(f"Diploma {diploma.id} deleted from the wallet.")
        )


def export_command(
    file: Annotated[Path, typer.Argument(help="Where to write the encrypted backup.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an encrypted backup of the wallet.

    Keys, diplomas and share links, under a backup passphrase. The backup restores onto an empty wallet on any
    machine with `tawtiq-wallet import FILE`. The backup passphrase is asked twice (TAWTIQ_WALLET_BACKUP_PASSPHRASE
    for scripts).
    """
    with shell(as_json) as ui:
        if file.exists() and not force:
            raise UsageError(f"{file} exists; give --force to overwrite it", code="file.exists")
        data = open_wallet(wallet, ui).data
        backup_passphrase = ask_passphrase(
            new=True, variable="TAWTIQ_WALLET_BACKUP_PASSPHRASE", prompt="Backup passphrase"
        )
        content = export_backup(data, backup_passphrase, kdf=runtime.KDF)
        try:
            write_atomically(file, content)
        except OSError as exc:
            raise UsageError(f"cannot write {file}: {exc.strerror}", code="file.unwritable") from exc
        ui.result(
            {"ok": True, "file": str(file), "diplomas": len(data.diplomas), "shares": len(data.shares)},
            lambda out: out.print(
                f"Backup written to {file}: {len(data.diplomas)} diploma(s), {len(data.shares)} share link(s), "
                "encrypted. "
                "Keep the backup passphrase apart from the file."
            ),
        )


def import_command(
    file: Annotated[Path, typer.Argument(help="A backup made with `tawtiq-wallet export`.")],
    replace_content: Annotated[
        bool, typer.Option("--replace", help="Replace the content of a wallet that is not empty.")
    ] = False,
    wallet: WalletOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into an empty wallet.

    The wallet is created if needed. A wallet that is not empty is refused unless --replace is given (its current
    version is still kept as wallet.json.prev).
    """
    with shell(as_json) as ui:
        store = store_at(wallet)
        raw = read_limited(file, what="backup")
        opened = None
        if store.exists():
            opened = open_wallet(wallet, ui)
            if not opened.data.empty and not replace_content:
                raise RefusedError(
                    f"the wallet in {store.directory} is not empty ({len(opened.data.diplomas)} diploma(s), "
                    f"{len(opened.data.shares)} share link(s))",
                    code="wallet.not_empty",
                    hint="Import into a new wallet (--wallet DIR), or give --replace to overwrite its content.",
                )
        data = read_backup(raw, ask_passphrase(variable="TAWTIQ_WALLET_BACKUP_PASSPHRASE", prompt="Backup passphrase"))
        if opened is None:
            store.create(ask_passphrase(new=True, prompt="New wallet passphrase"), data)
        else:
            opened.update(lambda _current: (data, None))
        ui.result(
            {"ok": True, "wallet": str(store.directory), "diplomas": len(data.diplomas), "shares": len(data.shares)},
            lambda out: out.print(
                f"Restored {len(data.diplomas)} diploma(s) and {len(data.shares)} share link(s) into {store.directory}."
            ),
        )


def change_passphrase(wallet: WalletOption = None, as_json: JsonOption = False) -> None:
    """Change the wallet's passphrase.

    The store (and its previous version) is re-encrypted under a key derived with a new salt.
    """
    with shell(as_json) as ui:
        store = store_at(wallet)
        store.require()
        old = ask_passphrase(prompt="Current passphrase")
        new = str(typer.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True)).encode("utf-8")
        store.change_passphrase(old, new)
        ui.result({"ok": True}, lambda out: out.print("Passphrase changed."))
