"""The issuer's commands: results on stdout, diagnostics on stderr, exit codes 0/1/2, ``--json`` for scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from issuer.db import head_revision
from tawtiq.cli import app
from tests.issuer.conftest import cohort_rows, environment, write_rows


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in environment(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(arguments))
        assert result.exit_code == code, (arguments, result.exit_code, result.stdout, result.stderr, result.exception)
        return result

    return invoke


def test_the_registrar_workflow_from_the_command_line(run: Any, tmp_path: Path) -> None:
    assert json.loads(run("db", "upgrade", "--json").stdout) == {"revision": head_revision()}
    assert json.loads(run("db", "status", "--json").stdout)["up_to_date"] is True
    key = json.loads(run("keys", "create", "--json").stdout)
    assert key["state"] == "active"
    cohort = tmp_path / "cohort.csv"
    run("cohort", "generate", "--count", "30", "--seed", "3", "--session", "2024-normale", "--out", str(cohort))
    imported = json.loads(run("cohort", "import", str(cohort), "--session", "2024-normale", "--json").stdout)
    assert (imported["imported"], imported["committed"]) == (30, True)
    issued = json.loads(run("cohort", "issue", "--session", "2024-normale", "--batch-size", "7", "--json").stdout)
    assert (issued["created"], issued["batches"], issued["remaining"]) == (30, 5, 0)
    status = json.loads(run("cohort", "status", "--session", "2024-normale", "--json").stdout)
    assert status["with_record"] == 30
    assert status["without_record"] == 0

    cnie = cohort.read_text(encoding="utf-8").splitlines()[1].split(",")[7]
    record = json.loads(run("diploma", "show", cnie, "--json").stdout)
    assert record["claims"]["cnie"] == cnie
    assert record["status"] == "active"

    png, svg = tmp_path / "offer.png", tmp_path / "offer.svg"
    offer = json.loads(run("diploma", "offer", cnie, "--json", "--png", str(png), "--svg", str(svg)).stdout)
    assert set(offer) == {"offer_uri", "tx_code"}
    assert offer["offer_uri"].startswith(
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fbac.example.ma%2Foffers%2F"
    )
    assert offer["tx_code"].isdigit()
    assert len(offer["tx_code"]) == 6
    decoded = zxingcpp.read_barcodes(Image.open(png))
    assert [barcode.text for barcode in decoded] == [offer["offer_uri"]], (
        "the PNG QR code carries the offer, not the PIN"
    )
    assert svg.read_text().startswith("<?xml")
    assert offer["tx_code"] not in svg.read_text()
    human = run("diploma", "offer", cnie).stdout
    assert "openid-credential-offer://" in human
    assert "Transaction code" in human

    suspended = json.loads(run("diploma", "suspend", cnie, "--reason", "exam board review", "--json").stdout)
    assert (suspended["before"], suspended["after"], suspended["changed"]) == ("active", "suspended", True)
    run("diploma", "reinstate", record["id"], "--reason", "cleared")
    run("diploma", "revoke", record["id"], "--reason", "fraud", "--yes")
    final = run("diploma", "reinstate", record["id"], "--reason", "oops", code=1)
    assert "revocation is final" in final.stderr
    assert "already revoked" in run("diploma", "revoke", record["id"], "--reason", "again").stdout

    token = run("admin", "token", "create", "--role", "status", "--name", "results-portal").stdout.strip()
    assert token.startswith("tawtiq_")
    listed = json.loads(run("admin", "token", "list", "--json").stdout)
    assert [item["name"] for item in listed] == ["results-portal"]
    assert "token" not in listed[0]
    run("admin", "token", "revoke", listed[0]["id"])

    run("keys", "rotate", "--reason", "yearly rotation")
    keys = json.loads(run("keys", "list", "--json").stdout)
    assert keys[0]["retired_at"] is not None
    assert keys[1]["state"] == "active"
    refused = run("keys", "compromise", "--kid", keys[1]["kid"], "--reason", "laptop stolen", code=2)
    assert "--yes" in refused.stderr, "without a terminal and without --yes, nothing is declared"
    compromised = json.loads(
        run("keys", "compromise", "--kid", keys[1]["kid"], "--reason", "laptop stolen", "--yes", "--json").stdout
    )
    assert compromised["compromised_at"] is not None

    verified = json.loads(run("audit", "verify", "--json").stdout)
    assert verified["ok"] is True
    actions = [event["action"] for event in json.loads(run("audit", "show", "--limit", "100", "--json").stdout)]
    for action in (
        "cohort.import",
        "diploma.create_batch",
        "offer.create",
        "diploma.suspend",
        "diploma.revoke",
        "token.create",
        "key.rotate",
        "key.compromise",
    ):
        assert action in actions


def test_refusals_and_failures_have_exit_codes(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_migrated = run("cohort", "status", "--session", "2024-normale", code=2)
    assert "tawtiq db upgrade" in not_migrated.stderr
    run("db", "upgrade")
    rows = cohort_rows(3)
    rows[1]["cnie"] = ""
    bad = write_rows(tmp_path / "bad.csv", rows)
    refused = run("cohort", "import", str(bad), "--session", "2024-normale", code=1)
    assert "no CNIE, no diploma" in refused.stderr
    assert "nothing was imported" in refused.stderr
    assert (tmp_path / "bad.csv.report.csv").exists()
    report = tmp_path / "skipped.json"
    kept = json.loads(
        run(
            "cohort",
            "import",
            str(bad),
            "--session",
            "2024-normale",
            "--skip-invalid",
            "--report",
            str(report),
            "--json",
        ).stdout
    )
    assert kept["imported"] == 2
    assert json.loads(report.read_text())["problems"][0]["row"] == 3
    run("cohort", "import", str(tmp_path / "missing.csv"), "--session", "2024-normale", code=1)
    run("cohort", "issue", "--session", "2024-normale")
    record = json.loads(run("diploma", "show", rows[0]["cnie"], "--json").stdout)
    corrected = tmp_path / "corrected.json"
    corrected.write_text(
        json.dumps({**record["claims"], "generalAverage": 19.5, "mention": "tres_bien"}), encoding="utf-8"
    )
    swapped = json.loads(
        run(
            "diploma",
            "supersede",
            record["id"],
            "--subject",
            str(corrected),
            "--reason",
            "mark fixed",
            "--json",
            "--yes",
        ).stdout
    )
    assert swapped["revoked"] == record["id"]
    current = json.loads(run("diploma", "show", rows[0]["cnie"], "--json").stdout)
    assert (current["id"], current["version"], current["replaces"]) == (swapped["issued"], 2, record["id"])
    assert current["other_records"] == [
        {"id": record["id"], "session": "2024-normale", "version": 1, "status": "revoked"}
    ]
    run("diploma", "supersede", record["id"], "--subject", str(corrected), "--reason", "again", code=1)
    corrected.write_text("{", encoding="utf-8")
    run("diploma", "supersede", swapped["issued"], "--subject", str(corrected), "--reason", "broken file", code=1)
    assert "session" in run("cohort", "import", str(bad), "--session", "2024-summer", code=1).stderr
    assert run("diploma", "show", "ZZ000000", code=1).stderr.startswith("error: [diploma.unknown]")
    assert "--reason" in run("diploma", "revoke", "ZZ000000", code=2).stderr
    run("keys", "compromise", "--kid", "nope", "--reason", "x", "--at", "yesterday", code=2)
    run("keys", "create")
    unknown = run("keys", "retire", "--kid", "-not-a-kid-but-starts-with-a-dash", code=2)
    assert "key.unknown_kid" in unknown.stderr, "a kid starting with '-' reaches the command"
    monkeypatch.setenv("TAWTIQ_ISSUER_URL", "http://bac.example.ma")
    assert "must use https" in run("db", "status", code=2).stderr
    monkeypatch.setenv("TAWTIQ_ISSUER_URL", "https://bac.example.ma")
    monkeypatch.setenv("TAWTIQ_KEY_PASSPHRASE", "changeme")
    assert "key.passphrase_default" in run("keys", "list", code=2).stderr


def test_declaring_a_key_compromised_reissues_its_diplomas_once(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import os
    import stat
    from datetime import UTC, datetime

    from issuer.commands.shell import current_settings, open_engine, open_keyring
    from issuer.db import writing
    from issuer.issuance import sign_copies
    from issuer.records import resolve
    from vc import Profile, SigningKey

    run("db", "upgrade")
    old_kid = json.loads(run("keys", "create", "--json").stdout)["kid"]
    cohort = tmp_path / "cohort.csv"
    run("cohort", "generate", "--count", "4", "--seed", "5", "--session", "2024-normale", "--out", str(cohort))
    run("cohort", "import", str(cohort), "--session", "2024-normale")
    run("cohort", "issue", "--session", "2024-normale")
    cnies = [line.split(",")[7] for line in cohort.read_text(encoding="utf-8").splitlines()[1:3]]
    settings = current_settings()
    keyring = open_keyring(settings)
    with writing(open_engine(settings)) as db:
        for cnie in cnies:  # two graduates hold copies signed by the old key; the other two hold none
            diploma = resolve(db, cnie)
            holders = [SigningKey.generate().public for _ in range(2)]
            for profile in (Profile.VC_SD_JWT, Profile.DC_SD_JWT):
                sign_copies(
                    db,
                    diploma=diploma,
                    profile=profile,
                    holders=holders,
                    channel="test",
                    actor="test",
                    settings=settings,
                    keyring=keyring,
                    now=datetime.now(UTC),
                )
    run("keys", "rotate", "--reason", "leak suspected")

    declined = run("keys", "compromise", "--kid", old_kid, "--reason", "leak", code=2)
    assert "8 copies of 2 diploma(s) still to re-issue" in declined.stderr
    assert all(key["compromised_at"] is None for key in json.loads(run("keys", "list", "--json").stdout))
    notices = tmp_path / "out" / "notices.csv"
    done = json.loads(
        run(
            "keys", "compromise", "--kid", old_kid, "--reason", "leak", "--notices", str(notices), "--yes", "--json"
        ).stdout
    )["reissue"]
    assert (done["records"], done["offers"]) == (2, 2)
    assert stat.S_IMODE(os.stat(notices).st_mode) == 0o600
    with notices.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert {row["cnie_masked"][:2] for row in rows} == {cnie[:2] for cnie in cnies}
    assert not {row["cnie_masked"] for row in rows} & set(cnies), "the CNIE is masked"
    assert all(row["offer_uri"].startswith("openid-credential-offer://") and row["tx_code"].isdigit() for row in rows)

    again = run("keys", "compromise", "--kid", old_kid, "--reason", "leak", "--notices", str(tmp_path / "again.csv"))
    assert "already compromised" in again.stderr
    assert "nothing left to re-issue" in again.stderr
    assert not (tmp_path / "again.csv").exists()
    actions = [event["action"] for event in json.loads(run("audit", "show", "--limit", "100", "--json").stdout)]
    assert actions.count("key.reissue") == 1
    assert actions.count("key.compromise") == 1
    assert json.loads(run("audit", "verify", "--json").stdout)["ok"] is True
