"""Backups: export, restore onto an empty wallet elsewhere, and keep presenting; refusals change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.wallet_cli.conftest import Wallet, make_wallet, receive
from tests.wallet_cli.platform import Platform

BACKUP_PASSPHRASE = "a different backup passphrase"


def test_export_then_import_into_an_empty_wallet_and_presenting_still_works(
    wallet: Wallet, platform: Platform, tmp_path: Path
) -> None:
    _graduate, answer = receive(wallet, platform)
    made = wallet.json("share", "--verifier", platform.verifier.url, "--disclose", "mention")
    backup = tmp_path / "backup.tawtiq"
    exported = wallet.json("export", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    assert exported == {"ok": True, "file": str(backup), "diplomas": 1, "shares": 1}
    assert json.loads(backup.read_bytes())["format"] == "tawtiq-wallet-backup"
    assert backup.stat().st_mode & 0o077 == 0

    # Another machine: no wallet yet; import creates it with its own passphrase.
    elsewhere = Wallet(
        tmp_path / "other-machine", ca_file=platform.issuer.certificate, passphrase="the new machine's one"
    )
    restored = elsewhere.json("import", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    assert restored["diplomas"] == 1
    assert elsewhere.json("list")["diplomas"][0]["id"] == answer["diploma"]

    request = platform.verifier.request(["familyName", "mention"])
    assert elsewhere("present", request["authorization_request"], "--all-requested").exit_code == 0
    assert platform.verifier.wait_for_answer(request["id"])["verdict"] == "valid"
    assert elsewhere.json("verify", answer["diploma"])["verdict"] == "valid"
    # The share link's revoke token came along.
    assert elsewhere.json("unshare", made["id"])["withdrawn"] is True


def test_import_into_an_existing_empty_wallet(wallet: Wallet, platform: Platform, tmp_path: Path) -> None:
    receive(wallet, platform)
    backup = tmp_path / "b"
    wallet.json("export", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    empty = make_wallet(tmp_path / "empty", platform)
    assert empty.json("import", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)["diplomas"] == 1


def test_import_refuses_a_wallet_that_is_not_empty_unless_told(
    wallet: Wallet, platform: Platform, tmp_path: Path
) -> None:
    receive(wallet, platform)
    backup = tmp_path / "b"
    wallet.json("export", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    receive(wallet, platform)
    before = wallet.files()
    refused = wallet("import", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    assert refused.exit_code == 1
    assert "is not empty (2 diploma(s), 0 share link(s))" in refused.stderr
    assert wallet.files() == before
    replaced = wallet.json("import", str(backup), "--replace", TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    assert replaced["diplomas"] == 1
    assert (wallet.directory / "wallet.json.prev").read_bytes() == before["wallet.json"]


def test_a_wrong_backup_passphrase_or_a_damaged_backup_is_refused(
    wallet: Wallet, platform: Platform, tmp_path: Path
) -> None:
    receive(wallet, platform)
    backup = tmp_path / "b"
    wallet.json("export", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    target = Wallet(tmp_path / "target")
    wrong = target("import", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE="not the backup passphrase")
    assert wrong.exit_code == 1
    assert "the passphrase does not open this backup" in wrong.stderr
    backup.write_bytes(backup.read_bytes()[:-50])
    damaged = target("import", str(backup), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    assert damaged.exit_code == 1
    assert "the backup is damaged" in damaged.stderr
    assert not target.directory.exists()


def test_export_does_not_overwrite_a_file_unless_forced(wallet: Wallet, tmp_path: Path) -> None:
    existing = tmp_path / "precious.txt"
    existing.write_text("keep me")
    refused = wallet("export", str(existing), TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE)
    assert refused.exit_code == 2
    assert existing.read_text() == "keep me"
    assert wallet("export", str(existing), "--force", TAWTIQ_WALLET_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE).exit_code == 0


def test_a_short_backup_passphrase_is_refused(wallet: Wallet, tmp_path: Path) -> None:
    result = wallet("export", str(tmp_path / "b"), TAWTIQ_WALLET_BACKUP_PASSPHRASE="short")
    assert result.exit_code == 2
    assert "too short" in result.stderr
    assert not (tmp_path / "b").exists()
