"""Fixtures of the wallet tests: the real issuer and verifier (started once), and wallets driven through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.wallet_cli.platform import Platform, start_platform
from wallet_cli import cli
from wallet_cli.commands import runtime
from wallet_cli.store import MIN_KDF

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from start_platform(tmp_path_factory.mktemp("platform"))


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """New stores and backups use the cheapest parameters the wallet accepts (files say what they use)."""
    monkeypatch.setattr(runtime, "KDF", MIN_KDF)


@dataclass
class Wallet:
    """A wallet directory and the environment its commands run with; call it like the command line."""

    directory: Path
    ca_file: Path | None = None
    passphrase: str = PASSPHRASE
    env: dict[str, str] = field(default_factory=dict)

    def environment(self, **extra: str | None) -> dict[str, str | None]:
        values: dict[str, str | None] = {
            "TAWTIQ_WALLET_DIR": str(self.directory),
            "TAWTIQ_WALLET_PASSPHRASE": self.passphrase,
            "TAWTIQ_WALLET_CA_FILE": str(self.ca_file) if self.ca_file else None,
            "TAWTIQ_WALLET_PASSPHRASE_FILE": None,
            "TAWTIQ_WALLET_BACKUP_PASSPHRASE": None,
            "TAWTIQ_WALLET_TX_CODE": None,
            "COLUMNS": "200",
        }
        values.update(self.env)
        values.update(extra)
        return values

    def __call__(self, *arguments: str, input: str | None = None, **env: str | None) -> Result:
        return CliRunner().invoke(cli.app, list(arguments), input=input, env=self.environment(**env))

    def json(self, *arguments: str, input: str | None = None, expect: int = 0, **env: str | None) -> Any:
        result = self(*arguments, "--json", input=input, **env)
        assert result.exit_code == expect, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout)

    def files(self) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(self.directory.iterdir()) if path.is_file()}


def make_wallet(directory: Path, platform: Platform | None = None) -> Wallet:
    wallet = Wallet(directory, ca_file=platform.issuer.certificate if platform else None)
    result = wallet("init")
    assert result.exit_code == 0, result.stderr
    return wallet


@pytest.fixture
def wallet(tmp_path: Path, platform: Platform) -> Wallet:
    return make_wallet(tmp_path / "wallet", platform)


def receive(wallet: Wallet, platform: Platform, *extra: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A fresh graduate's diploma received into ``wallet``: (the graduate's cohort row, the JSON answer)."""
    graduate = platform.issuer.graduate()
    offer = platform.issuer.offer(graduate["cnie"])
    answer = wallet.json("receive", offer.offer_uri, "--tx-code", offer.tx_code, *extra)
    return graduate, answer
