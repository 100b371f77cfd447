"""The command-line shell: help, prompts, exit codes, JSON errors, damaged stores, and real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup, TyperOption

from tests.wallet_cli.conftest import PASSPHRASE, Wallet, make_wallet, receive
from tests.wallet_cli.platform import Platform
from wallet_cli import cli

COMMANDS = ["init", "receive", "list", "show", "present", "share", "shares", "unshare", "verify", "export", "import"]
COMMANDS += ["delete", "passphrase", "verifiers", "verify-printed"]


def test_help_explains_every_command(tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "w")
    top = wallet("--help")
    assert top.exit_code == 0
    for command in COMMANDS:
        assert command in top.stdout
    for command in COMMANDS:
        result = wallet(command, "--help")
        assert result.exit_code == 0, command
        assert "Usage: tawtiq-wallet" in result.stdout
    assert "CNIE" in wallet("present", "--help").stdout
    assert "--tx-code" in wallet("receive", "--help").stdout


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    result = Wallet(tmp_path / "w")("--version")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"tawtiq-wallet {version('tawtiq')}\n"
    assert not (tmp_path / "w").exists()


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_boolean_options_are_plain_flags(tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "w")
    flags = 0
    for path, command in _commands(typer.main.get_command(cli.app)):
        for option in getattr(command, "params", []):
            if isinstance(option, TyperOption) and isinstance(option.default, bool):
                assert option.is_flag, (path, option.opts)
                assert not option.secondary_opts, (path, option.opts)  # --x, never --x/--no-x
                flags += 1
        shown = wallet(*path, "--help")
        assert shown.exit_code == 0, path
        assert "BOOLEAN" not in shown.stdout, path
        assert "--no-" not in shown.stdout, path
    assert flags >= 10


def test_init_asks_for_the_passphrase_twice(tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "w", env={"TAWTIQ_WALLET_PASSPHRASE": ""})
    mismatch = wallet("init", input="first passphrase\nsecond passphrase\nfirst passphrase\nfirst passphrase\n")
    assert mismatch.exit_code == 0, mismatch.stderr
    assert "do not match" in mismatch.stderr
    assert wallet("list", TAWTIQ_WALLET_PASSPHRASE="first passphrase").exit_code == 0
    again = wallet("init", TAWTIQ_WALLET_PASSPHRASE="first passphrase")
    assert again.exit_code == 2
    assert "already exists" in again.stderr


def test_a_short_passphrase_is_refused_at_init(tmp_path: Path) -> None:
    result = Wallet(tmp_path / "w", passphrase="short")("init")
    assert result.exit_code == 2
    assert "too short" in result.stderr
    assert not (tmp_path / "w" / "wallet.json").exists()


def test_the_passphrase_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(PASSPHRASE + "\n")
    wallet = make_wallet(tmp_path / "w")
    result = wallet("list", TAWTIQ_WALLET_PASSPHRASE=None, TAWTIQ_WALLET_PASSPHRASE_FILE=str(secret))
    assert result.exit_code == 0, result.stderr


def test_a_wrong_passphrase_is_refused_clearly(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "w")
    before = wallet.files()
    result = wallet("list", "--json", TAWTIQ_WALLET_PASSPHRASE="something else entirely")
    assert result.exit_code == 1
    assert "the passphrase does not open this wallet file" in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "store.passphrase_wrong"
    assert wallet.files() == before


def test_the_passphrase_is_asked_for_when_not_in_the_environment(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "w")
    result = wallet("list", input=PASSPHRASE + "\n", TAWTIQ_WALLET_PASSPHRASE=None)
    assert result.exit_code == 0, result.stderr
    assert "Wallet passphrase" in result.stderr
    assert PASSPHRASE not in result.stderr + result.stdout
    no_input = wallet("list", input="", TAWTIQ_WALLET_PASSPHRASE=None)
    assert no_input.exit_code == 1
    assert "cancelled" in no_input.stderr
    second_try = wallet("list", input=f"typo\n{PASSPHRASE}\n", TAWTIQ_WALLET_PASSPHRASE=None)
    assert second_try.exit_code == 0
    assert "try again" in second_try.stderr
    three_wrong = wallet("list", input="a\nb\nc\n", TAWTIQ_WALLET_PASSPHRASE=None)
    assert three_wrong.exit_code == 1
    assert three_wrong.stderr.count("Wallet passphrase") == 3


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_store_is_reported_and_left_alone(wallet: Wallet, platform: Platform, damage: str) -> None:
    receive(wallet, platform)
    path = wallet.directory / "wallet.json"
    raw = path.read_bytes()
    if damage == "flip":
        position = raw.index(b'"ciphertext": "') + 200
        replacement = b"A" if raw[position : position + 1] != b"A" else b"B"
        path.write_bytes(raw[:position] + replacement + raw[position + 1 :])
    else:
        path.write_bytes(raw[: len(raw) - 300])
    damaged = wallet.files()
    for command in (["list"], ["receive", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx%2Fo"]):
        result = wallet(*command, "--json")
        assert result.exit_code == 1, result.stderr
        code = json.loads(result.stdout)["error"]["code"]
        assert code == ("store.tampered" if damage == "flip" else "store.corrupt")
        assert "Nothing was changed" in result.stderr
        assert wallet.files() == damaged


def test_delete_asks_and_removes_the_diploma(wallet: Wallet, platform: Platform) -> None:
    _graduate, answer = receive(wallet, platform)
    kept = wallet("delete", answer["diploma"], input="n\n")
    assert kept.exit_code == 1
    assert len(wallet.json("list")["diplomas"]) == 1
    assert wallet.json("delete", answer["diploma"], "--yes") == {"ok": True, "deleted": answer["diploma"]}
    assert wallet.json("list")["diplomas"] == []


def test_changing_the_passphrase(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "w")
    result = wallet("passphrase", input="a brand new passphrase\na brand new passphrase\n")
    assert result.exit_code == 0, result.stderr
    assert wallet("list").exit_code == 1
    assert wallet("list", TAWTIQ_WALLET_PASSPHRASE="a brand new passphrase").exit_code == 0


def test_show_in_arabic_is_right_aligned(wallet: Wallet, platform: Platform) -> None:
    _graduate, answer = receive(wallet, platform)
    result = wallet("show", answer["diploma"], "--lang", "ar")
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if "familyName" in line]
    (row,) = rows
    label_cell = row.split("│")[1]
    assert label_cell.rstrip().endswith("\u2068الاسم العائلي\u2069")  # isolated: it came from the issuer
    assert label_cell.startswith("  ")  # padded on the left: right-aligned
    assert "Nom" not in result.stdout


def test_unknown_ids_and_a_missing_wallet_are_usage_errors(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "w")
    unknown = wallet("show", "abc", "--json")
    assert unknown.exit_code == 2
    assert json.loads(unknown.stdout)["error"]["code"] == "diploma.unknown"
    missing = Wallet(tmp_path / "none")("list")
    assert missing.exit_code == 2
    assert "there is no wallet in" in missing.stderr


# ---------------------------------------------------------------------------------------------- real processes


def run(wallet: Wallet, *arguments: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **{k: v for k, v in wallet.environment().items() if v is not None}}
    for name, value in wallet.environment().items():
        if value is None:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "wallet_cli", *arguments],
        env=environment,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_runs_as_a_process_with_strong_key_derivation(platform: Platform, tmp_path: Path) -> None:
    wallet = Wallet(tmp_path / "w", ca_file=platform.issuer.certificate)
    assert run(wallet, "init").returncode == 0
    envelope = json.loads((wallet.directory / "wallet.json").read_text())
    assert envelope["kdf"]["n"] >= 2**17
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    received = run(wallet, "receive", offer.offer_uri, "--json", input=offer.tx_code + "\n")
    assert received.returncode == 0, received.stderr
    request = platform.verifier.request(["familyName", "mention"])
    presented = run(wallet, "present", request["authorization_request"], "--disclose", "familyName,mention")
    assert presented.returncode == 0, presented.stderr
    assert "UNKNOWN VERIFIER" in presented.stderr
    assert "Sent 2 claim(s)" in presented.stdout
    assert platform.verifier.wait_for_answer(request["id"])["verdict"] == "valid"
    missing = run(Wallet(tmp_path / "absent"), "list")
    assert missing.returncode == 2
    assert "there is no wallet" in missing.stderr


def test_concurrent_processes_keep_every_change(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "w")
    environment = {**os.environ, **{k: v for k, v in wallet.environment().items() if v is not None}}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "wallet_cli", "verifiers", "add", f"https://v{n}.example.ma", "--name", f"V{n}"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for n in range(4)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0
    origins = {item["origin"] for item in wallet.json("verifiers", "list")["verifiers"]}
    assert origins == {f"https://v{n}.example.ma" for n in range(4)}
