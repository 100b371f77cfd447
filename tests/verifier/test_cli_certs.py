"""``tawtiq verifier ca create`` and ``tawtiq verifier cert issue|show``: a development CA and its certificates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from typer.testing import CliRunner

from keys.x509 import VERIFIER_ACCESS, CertifiedKey, load_trust_anchors, validate_chain
from verifier import cli

CA_PASSPHRASE = "correct horse battery staple registrar"
KEY_PASSPHRASE = "correct horse battery staple verifier"
ENV = {"TAWTIQ_CA_PASSPHRASE": CA_PASSPHRASE, "TAWTIQ_VERIFIER_KEY_PASSPHRASE": KEY_PASSPHRASE}


def _app() -> typer.Typer:
    app, serve = typer.Typer(), typer.Typer()
    app.add_typer(serve, name="serve")
    cli.register(app, serve)
    return app


def test_create_a_ca_and_issue_a_verifier_certificate(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        _app(),
        ["verifier", "ca", "create", "--out", str(tmp_path / "ca"), "--name", "Registre (dev)", "--json"],
        env=ENV,
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["subject"] == "Registre (dev)"
    issued = runner.invoke(
        _app(),
        [
            "verifier",
            "cert",
            "issue",
            "--ca",
            str(tmp_path / "ca"),
            "--name",
            "Université Mohammed V",
            "--dns",
            "verify.um5.ac.ma",
            "--out",
            str(tmp_path / "um5"),
            "--json",
        ],
        env=ENV,
    )
    assert issued.exit_code == 0, issued.output
    described = json.loads(issued.stdout)
    assert described["dns_names"] == ["verify.um5.ac.ma"]
    assert described["issuer"] == "Registre (dev)"
    certified = CertifiedKey.load(tmp_path / "um5", passphrase=KEY_PASSPHRASE.encode())
    anchors = load_trust_anchors(tmp_path / "ca" / "ca.pem")
    validated = validate_chain(
        certified.chain, anchors=anchors, profile=VERIFIER_ACCESS, now=datetime.now(UTC), dns_name="verify.um5.ac.ma"
    )
    assert validated.subject_name == "Université Mohammed V"
    shown = runner.invoke(_app(), ["verifier", "cert", "show", str(tmp_path / "um5"), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["x509_hash"] == described["x509_hash"]


def test_refusals(tmp_path: Path) -> None:
    runner = CliRunner()
    no_passphrase = runner.invoke(_app(), ["verifier", "ca", "create", "--out", str(tmp_path / "ca")], env={})
    assert no_passphrase.exit_code == 2
    assert "TAWTIQ_CA_PASSPHRASE" in no_passphrase.stderr
    assert runner.invoke(_app(), ["verifier", "ca", "create", "--out", str(tmp_path / "ca")], env=ENV).exit_code == 0
    again = runner.invoke(_app(), ["verifier", "ca", "create", "--out", str(tmp_path / "ca")], env=ENV)
    assert again.exit_code == 1
    assert "never overwritten" in again.stderr
    base = ["verifier", "cert", "issue", "--ca", str(tmp_path / "ca"), "--name", "UM5", "--out", str(tmp_path / "x")]
    no_host = runner.invoke(_app(), base, env=ENV)
    assert no_host.exit_code == 1
    assert "--dns" in no_host.stderr
    bad_host = runner.invoke(_app(), [*base, "--dns", "*.um5.ac.ma"], env=ENV)
    assert bad_host.exit_code == 1
    assert "DNS host name" in bad_host.stderr
    bad_usage = runner.invoke(_app(), [*base, "--usage", "anything"], env=ENV)
    assert bad_usage.exit_code == 1
    assert "document-signing" in bad_usage.stderr
    wrong = runner.invoke(
        _app(), [*base, "--dns", "verify.um5.ac.ma"], env={**ENV, "TAWTIQ_CA_PASSPHRASE": "another passphrase, longer"}
    )
    assert wrong.exit_code == 2
    assert "x509.passphrase_wrong" in wrong.stderr
    signer = runner.invoke(_app(), [*base, "--usage", "document-signing", "--json"], env=ENV)
    assert signer.exit_code == 0, signer.output
    assert json.loads(signer.stdout)["extended_key_usage"] == ["1.3.6.1.5.5.7.3.36"]
