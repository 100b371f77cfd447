"""`make demo`: the platform walk-through end to end (real services and wallet processes), and the engine's loop."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tawtiq import demo
from tawtiq.cli import app
from tawtiq.demo import walk
from vc import Verdict

# ---------------------------------------------------------------------------------------------- the platform


def _listening(url: str) -> bool:
    host, port = url.split("://", 1)[1].split(":")
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


@contextmanager
def _demo_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """`tawtiq demo` as a user starts it; stopped with Ctrl-C (so it stops its services) if a test fails midway."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("TAWTIQ_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tawtiq", "demo", "--data-dir", str(tmp_path / "d")],
        env={**environment, "COLUMNS": "140"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@pytest.mark.slow
def test_the_platform_walk_through(tmp_path: Path) -> None:
    output = io.StringIO()
    result = demo.run_platform(
        Console(file=output, width=160, color_system=None), directory=tmp_path / "demo", wait=False
    )
    text = output.getvalue()
    assert result.expected, text[-3000:]

    # The university saw exactly what it asked for, verified.
    assert result.oid4vp["status"] == "answered"
    assert result.oid4vp["verdict"] == "valid"
    assert set(result.disclosed) == set(demo.DEMO_REQUEST)
    assert not {"cnie", "birthDate", "birthPlace", "massarCode"} & set(result.oid4vp["report"]["claims"])

    # Before the revocation the share link and the wallet say valid; after it, both say revoked.
    assert result.share_before["verdict"] == "valid"
    assert result.verify_before["verdict"] == "valid"
    assert [p["checkCode"] for p in result.share_after["problemDetails"]] == ["status.revoked"]
    for copy in result.verify_after["copies"]:
        status = next(check for check in copy["checks"] if check["check"] == "status")
        assert status["code"] == "status.revoked"
    assert {copy["profile"] for copy in result.verify_after["copies"]} == {"dc+sd-jwt", "vc+sd-jwt"}

    # Every step is printed, with the commands as a person would type them.
    for expected in (
        "$ tawtiq cohort generate",
        "$ tawtiq serve issuer",
        "$ tawtiq diploma offer",
        "$ tawtiq-wallet receive",
        "$ tawtiq-wallet present",
        "UNKNOWN VERIFIER",
        "$ tawtiq-wallet share",
        "$ tawtiq diploma revoke",
        "status.revoked",
        "every verdict was the expected one",
        "verification page",
        "/.well-known/openid-credential-issuer",
        "$ tawtiq exam deliberate",
        "$ tawtiq serve eid",
        "$ tawtiq serve portal",
        "cnie=",
        "pin=******",
        "unconfirmed → confirmed",
        "the page says: Les résultats sont proclamés le",
        "the expected pages",
        "candidate portal",
    ):
        assert expected in text, expected

    # The candidate logged in with the eID, confirmed, got the convocation and saw the result at the second.
    year = result.exam_year
    assert year is not None
    assert year.expected, text[-3000:]
    assert (tmp_path / "demo" / "convocation.pdf").read_bytes().startswith(b"%PDF")

    # Nothing is left running, and the services got fresh data and generated secrets.
    assert not _listening(result.issuer_url)
    assert not _listening(result.verifier_url)
    assert not _listening(year.portal_url)
    assert not _listening(year.eid_url)
    assert (tmp_path / "demo" / "issuer" / "issuer.sqlite3").exists()
    assert (tmp_path / "demo" / "verifier" / "verifier.sqlite3").exists()
    assert (tmp_path / "demo" / "wallet" / "wallet.json").stat().st_mode & 0o077 == 0


def test_the_demo_wants_a_fresh_directory(tmp_path: Path) -> None:
    (tmp_path / "old").write_text("something")
    with pytest.raises(demo.DemoError, match="not empty"):
        demo.run_platform(Console(file=io.StringIO()), directory=tmp_path, wait=False)


@pytest.mark.slow
def test_make_demo_keeps_the_services_running_until_ctrl_c(tmp_path: Path) -> None:
    with _demo_process(tmp_path) as process:
        assert process.stdout is not None
        seen: list[str] = []
        # A bound against a hung demo, not a speed target: generous for a loaded two-core machine.
        deadline = time.monotonic() + 300
        for line in process.stdout:
            seen.append(line)
            if "press Ctrl-C" in line:
                break
            assert time.monotonic() < deadline, "".join(seen)
        text = "".join(seen)
        assert "every verdict was the expected one" in text, text[-3000:]
        page = next(line for line in seen if "verification page" in line).split()[2]
        time.sleep(0.5)
        assert _listening(page.rstrip("/"))
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
        assert process.returncode == 0, rest
        assert "issuer stopped" in rest
        assert "verifier stopped" in rest
        assert not _listening(page.rstrip("/"))


def test_a_demo_stopped_midway_stops_its_services(tmp_path: Path) -> None:
    with _demo_process(tmp_path) as process:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "issuer ready at" in line:
                break
        issuer = line.split("ready at")[1].strip()
        assert _listening(issuer)
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
        assert "issuer stopped" in rest, "".join(seen) + rest
        assert not _listening(issuer)


def test_a_stop_signal_while_a_service_starts_waits_until_the_demo_knows_the_process() -> None:
    received: list[str] = []

    def handler(_number: int, _frame: object) -> None:
        received.append("stop")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with walk._interruptions_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            received.append("process recorded")
        assert received == ["process recorded", "stop"]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_tawtiq_demo_help_explains_the_options() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0
    for option in ("--engine", "--data-dir", "--no-wait", "Ctrl-C"):
        assert option in result.stdout


# ---------------------------------------------------------------------------------------------- the engine


def test_the_engine_demo_verifies_then_refuses_after_revocation() -> None:
    output = io.StringIO()
    reports = demo.run_engine(Console(file=output, width=140, color_system=None))
    assert [report.verdict for report in reports] == [Verdict.VALID, Verdict.VALID, Verdict.INVALID, Verdict.INVALID]
    assert [report.profile for report in reports] == ["vc+sd-jwt", "dc+sd-jwt", "vc+sd-jwt", "dc+sd-jwt"]
    for report in reports[2:]:
        assert report.check("status").code == "status.revoked"
        assert [check.code for check in report.problems] == ["status.revoked"]
    text = output.getvalue()
    assert "VALID" in text
    assert "INVALID" in text


def test_the_university_sees_only_what_it_asked_for() -> None:
    reports = demo.run_engine(Console(file=io.StringIO(), width=140, color_system=None))
    w3c, sd_jwt_vc = reports[0], reports[1]
    assert w3c.claims is not None
    assert sd_jwt_vc.claims is not None
    subject = w3c.claims["credentialSubject"]
    assert set(subject) == {"type", *demo.UNIVERSITY_ASKS}
    assert not {"cnie", "birthDate", "birthPlace", "massarCode"} & set(sd_jwt_vc.claims)
    assert set(demo.UNIVERSITY_ASKS) <= set(sd_jwt_vc.claims)
    assert w3c.check("holder_binding").outcome == "passed"


def test_tawtiq_demo_engine_runs_in_process() -> None:
    result = CliRunner().invoke(app, ["demo", "--engine"], env={"COLUMNS": "140"})
    assert result.exit_code == 0, result.output
    assert "The university verifies" in result.stdout
