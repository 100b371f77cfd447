"""The operator's safety on final actions: whose diploma it is, a confirmation, and offers that always show the PIN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from issuer import audit
from issuer.commands import confirm
from tawtiq.cli import app
from tests.issuer.conftest import Cohort, environment


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in environment(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str, code: int = 0, answer: str | None = None) -> Any:
        result = runner.invoke(app, list(arguments), input=answer)
        assert result.exit_code == code, (arguments, result.exit_code, result.stdout, result.stderr, result.exception)
        return result

    return invoke


@pytest.fixture
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command runs with someone at a terminal (the answers come from the runner's input)."""
    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)


def _status(run: Any, cnie: str) -> str:
    return str(json.loads(run("diploma", "show", cnie, "--json").stdout)["status"])


def _offers_made(engine: Engine) -> int:
    return sum(event.action == "offer.create" for event in audit.recent(engine, limit=1000))


def test_mask_cnie_keeps_two_characters_at_each_end() -> None:
    assert confirm.mask_cnie("BE123456") == "BE****56"
    assert confirm.mask_cnie("J1234") == "J1*34"
    assert confirm.mask_cnie("AB12") == "****"


def test_revoke_shows_whose_diploma_and_a_no_changes_nothing(run: Any, cohort: Cohort, at_a_terminal: None) -> None:
    graduate = cohort.rows[0]
    declined = run("diploma", "revoke", graduate["cnie"], "--reason", "fraud", answer="n\n", code=1)
    shown = declined.stderr
    assert graduate["givenName.lat"] in shown
    assert graduate["familyName.lat"] in shown
    assert "2024-normale" in shown
    assert f"mention {graduate['mention']}" in shown
    assert confirm.mask_cnie(graduate["cnie"]) in shown
    assert graduate["cnie"] not in declined.stdout + declined.stderr, "the CNIE number is never shown in full"
    assert "Revocation is final" in shown
    assert "did not revoke; nothing was changed" in shown
    assert _status(run, graduate["cnie"]) == "active"

    run("diploma", "revoke", graduate["cnie"], "--reason", "fraud", answer="\n", code=1)  # the default is no
    assert _status(run, graduate["cnie"]) == "active"

    agreed = run("diploma", "revoke", graduate["cnie"], "--reason", "fraud", answer="y\n")
    assert "active -> revoked" in agreed.stdout
    assert _status(run, graduate["cnie"]) == "revoked"


def test_revoke_without_a_terminal_needs_yes(run: Any, cohort: Cohort) -> None:
    cnie = cohort.cnies[1]
    refused = run("diploma", "revoke", cnie, "--reason", "fraud", code=2)
    assert "no terminal to ask on" in refused.stderr
    assert "--yes" in refused.stderr
    assert _status(run, cnie) == "active"
    done = json.loads(run("diploma", "revoke", cnie, "--reason", "fraud", "--yes", "--json").stdout)
    assert (done["before"], done["after"]) == ("active", "revoked")
    again = run("diploma", "revoke", cnie, "--reason", "fraud")
    assert "already revoked" in again.stdout, "nothing to confirm when nothing changes"


def test_suspend_shows_whose_diploma_without_asking(run: Any, cohort: Cohort) -> None:
    cnie = cohort.cnies[2]
    suspended = run("diploma", "suspend", cnie, "--reason", "exam board review")
    assert confirm.mask_cnie(cnie) in suspended.stderr
    assert _status(run, cnie) == "suspended"


def test_supersede_shows_the_changes_and_asks(run: Any, cohort: Cohort, tmp_path: Path, at_a_terminal: None) -> None:
    cnie = cohort.cnies[3]
    record = json.loads(run("diploma", "show", cnie, "--json").stdout)
    corrected = tmp_path / "corrected.json"
    corrected.write_text(
        json.dumps({**record["claims"], "generalAverage": 19.5, "mention": "tres_bien"}), encoding="utf-8"
    )
    arguments = ("diploma", "supersede", cnie, "--subject", str(corrected), "--reason", "mark fixed")

    declined = run(*arguments, answer="n\n", code=1)
    assert confirm.mask_cnie(cnie) in declined.stderr
    assert cnie not in declined.stderr
    assert f"generalAverage: {record['claims']['generalAverage']} → 19.5" in declined.stderr
    assert "did not supersede; nothing was changed" in declined.stderr
    assert json.loads(run("diploma", "show", cnie, "--json").stdout)["id"] == record["id"]

    swapped = run(*arguments, answer="y\n")
    assert f"{record['id']} revoked (superseded)" in swapped.stdout
    assert json.loads(run("diploma", "show", cnie, "--json").stdout)["replaces"] == record["id"]


def test_supersede_without_a_terminal_needs_yes(run: Any, cohort: Cohort, tmp_path: Path) -> None:
    cnie = cohort.cnies[4]
    record = json.loads(run("diploma", "show", cnie, "--json").stdout)
    corrected = tmp_path / "corrected.json"
    corrected.write_text(
        json.dumps({**record["claims"], "generalAverage": 18.0, "mention": "tres_bien"}), encoding="utf-8"
    )
    refused = run("diploma", "supersede", cnie, "--subject", str(corrected), "--reason", "mark", code=2)
    assert "--yes" in refused.stderr
    assert json.loads(run("diploma", "show", cnie, "--json").stdout)["version"] == 1


def test_supersede_refuses_a_lying_name_before_showing_anything(run: Any, cohort: Cohort, tmp_path: Path) -> None:
    cnie = cohort.cnies[4]
    record = json.loads(run("diploma", "show", cnie, "--json").stdout)
    corrected = tmp_path / "corrected.json"
    lying = {"ar": record["claims"]["givenName"]["ar"], "lat": "Salma\u202eLIAF ENO"}
    corrected.write_text(json.dumps({**record["claims"], "givenName": lying}), encoding="utf-8")
    refused = run("diploma", "supersede", cnie, "--subject", str(corrected), "--reason", "name", "--yes", code=1)
    assert "diploma.correction_invalid" in refused.stderr
    assert "givenName.lat: found U+202E RIGHT-TO-LEFT OVERRIDE" in refused.stderr
    assert "LIAF" not in refused.stderr
    assert "\u202e" not in refused.stderr
    assert json.loads(run("diploma", "show", cnie, "--json").stdout)["version"] == 1


def test_offer_says_whose_it_is(run: Any, cohort: Cohort) -> None:
    graduate = cohort.rows[5]
    human = run("diploma", "offer", graduate["cnie"]).stdout
    first_line = human.splitlines()[0]
    assert first_line.startswith("Offer for ")
    assert graduate["familyName.lat"] in first_line
    assert confirm.mask_cnie(graduate["cnie"]) in first_line
    assert graduate["cnie"] not in human
    scripted = run("diploma", "offer", graduate["cnie"], "--json")
    assert set(json.loads(scripted.stdout)) == {"offer_uri", "tx_code"}
    assert graduate["familyName.lat"] in scripted.stderr


def test_offer_qr_file_names(run: Any, cohort: Cohort, engine: Engine, tmp_path: Path) -> None:
    cnie = cohort.cnies[6]
    bare = run("diploma", "offer", cnie, "--png", str(tmp_path / "offerqr"), "--svg", str(tmp_path / "offerqr"))
    assert (tmp_path / "offerqr.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "offerqr.svg").read_text().startswith("<?xml")
    assert "Transaction code" in bare.stdout

    made = _offers_made(engine)
    wrong = run("diploma", "offer", cnie, "--png", str(tmp_path / "offer.jpg"), code=2)
    assert "expected a file name ending in .png, found '.jpg'" in wrong.stderr
    nowhere = run("diploma", "offer", cnie, "--png", str(tmp_path / "missing" / "qr.png"), code=2)
    assert "does not exist" in nowhere.stderr
    assert _offers_made(engine) == made, "a bad QR path is refused before any offer is made"


def test_offer_prints_the_pin_even_when_the_qr_cannot_be_written(run: Any, cohort: Cohort, tmp_path: Path) -> None:
    occupied = tmp_path / "qr.png"
    occupied.mkdir()  # a directory where the file should go
    human = run("diploma", "offer", cohort.cnies[7], "--png", str(occupied), code=2)
    assert "Transaction code" in human.stdout
    assert "the offer is made and valid" in human.stderr
    assert str(occupied) in human.stderr
    scripted = run("diploma", "offer", cohort.cnies[7], "--png", str(occupied), "--json", code=2)
    assert json.loads(scripted.stdout)["tx_code"].isdigit()
