"""`tawtiq demo --after-results`: a complaint filed in the real portal, upheld by the academy's reviewer, changes
the mention; the wallet's old copy verifies as revoked and the corrected diploma, from the portal's offer, as valid;
the graduate's scholarship application is granted by the province's officer."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tawtiq import demo
from tawtiq.cli import app
from tawtiq.demo.after_results import choose_correction
from tawtiq.demo.walk import DemoError


def _listening(url: str) -> bool:
    host, port = url.split("://", 1)[1].split(":")
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


@pytest.mark.slow
def test_the_after_results_walk_through(tmp_path: Path) -> None:
    output = io.StringIO()
    result = demo.run_after_results(
        Console(file=output, width=160, color_system=None),
        directory=tmp_path / "demo",
        wait=False,
        preferred_ports=False,
    )
    text = output.getvalue()
    assert result.expected, text[-3000:]
    assert result.mention_before != result.mention_after
    assert result.decision_outcome == "superseded"
    for copy in result.old_copy["copies"]:
        status = next(check for check in copy["checks"] if check["check"] == "status")
        assert status["code"] == "status.revoked"
    assert result.new_copy["verdict"] == "valid"
    assert {copy["profile"] for copy in result.new_copy["copies"]} == {"dc+sd-jwt", "vc+sd-jwt"}
    assert "corrected after complaint" in result.record_text
    assert result.scholarship.final_state == "granted"
    assert result.scholarship.replay_refusal == "scholarship.submitted"
    for expected in (
        "$ tawtiq exam deliberate",
        "$ tawtiq serve portal",
        "$ tawtiq portal staff add",
        "The graduate's complaint: state received",
        "Decided: outcome superseded",
        "corrected after complaint",
        f"mention {result.mention_after}",
        "the old diploma: INVALID",
        "the corrected diploma: VALID",
        "$ tawtiq portal staff add --cnie",
        "The province's officer decides",
        "the scholarship granted",
        "Every outcome was the expected one.",
    ):
        assert expected in text, expected
    assert not _listening(result.portal_url), "nothing is left running"


def test_the_correction_is_chosen_to_change_the_mention(tmp_path: Path) -> None:
    candidates, marks = tmp_path / "candidates.csv", tmp_path / "marks.csv"
    candidates.write_text(
        "cnie,stream.code,candidateType\nAB1,SH,enrolled\n",
        encoding="utf-8",
    )
    rows = ["cnie,exam,subject,mark"]
    from exams.subjects import load_rules

    stream = load_rules().stream("SH")
    rows += [f"AB1,{rule.exam},{rule.code},13.00" for rule in stream.subjects]
    rows.append(f"AB1,continuous,{load_rules().continuous_code},13.00")
    marks.write_text("\n".join(rows) + "\n", encoding="utf-8")
    chosen = choose_correction(candidates, marks)
    assert (chosen.mention_before, chosen.mention_after) == ("assez_bien", "bien")
    assert chosen.original == 13
    assert chosen.exam in ("regional", "national")
    assert 13 < chosen.corrected <= 20

    marks.write_text("\n".join(line.replace("13.00", "5.00") for line in rows) + "\n", encoding="utf-8")
    with pytest.raises(DemoError, match="no admitted candidate"):
        choose_correction(candidates, marks)


def test_tawtiq_demo_help_offers_the_after_results_walk_through() -> None:
    answer = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert answer.exit_code == 0
    assert "--after-results" in answer.output
