"""``tawtiq exam …`` from the command line: the exam year in order, exit codes 0/1/2, ``--json`` for scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exams.db import MIGRATIONS
from tawtiq.cli import app
from tests.issuer.conftest import environment


@pytest.fixture
def run(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in environment(tmp_path, sqlite_url).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(arguments))
        assert result.exit_code == code, (arguments, result.exit_code, result.stdout, result.stderr, result.exception)
        return result

    return invoke


def test_the_exam_year_from_the_command_line(run: Any, tmp_path: Path) -> None:
    run("db", "upgrade")
    refused = run("exam", "candidates", "import", str(tmp_path / "x.csv"), "--session", "2025-normale", code=2)
    assert "tawtiq exam db-upgrade" in refused.stderr
    assert json.loads(run("exam", "db-upgrade", "--json").stdout) == {"revision": MIGRATIONS.head()}
    candidates, marks = tmp_path / "candidates.csv", tmp_path / "marks.csv"
    session = ("--session", "2025-normale")
    run("exam", "candidates", "generate", "--count", "25", "--seed", "4", *session, "--out", str(candidates))
    imported = json.loads(run("exam", "candidates", "import", str(candidates), *session, "--json").stdout)
    assert (imported["imported"], imported["committed"]) == (25, True)
    again = run("exam", "candidates", "import", str(candidates), *session, code=1)
    assert "already registered" in again.stderr
    run("exam", "marks", "generate", *session, "--seed", "4", "--out", str(marks))
    assert json.loads(run("exam", "marks", "import", str(marks), *session, "--json").stdout)["committed"] is True
    deliberated = json.loads(run("exam", "deliberate", *session, "--json").stdout)
    assert sum(deliberated["totals"].values()) == 25
    assert deliberated["records"]["created"] == deliberated["totals"]["admitted"]
    naive = run("exam", "publish", *session, "--at", "2025-06-14T09:00:00", code=1)
    assert "publish.naive_time" in naive.stderr
    published = json.loads(run("exam", "publish", *session, "--at", "2025-06-14T09:00:00+01:00", "--json").stdout)
    assert published["published_at"] == "2025-06-14T08:00:00+00:00"
    window = run(
        "exam",
        "complaints",
        *session,
        "--open",
        "2025-06-14T09:00:00+01:00",
        "--close",
        "2025-06-16T18:00:00+01:00",
        "--json",
    )
    assert json.loads(window.stdout)["closes_at"] == "2025-06-16T17:00:00+00:00"
    backwards = run(
        "exam", "complaints", *session, "--open", "2025-06-16T09:00:00Z", "--close", "2025-06-15T09:00:00Z", code=1
    )
    assert "complaint.window_invalid" in backwards.stderr
    assert "instant.invalid" in run("exam", "publish", *session, "--at", "tomorrow", code=1).stderr
    bad = run("exam", "deliberate", "--session", "2025", code=1)
    assert "session.invalid" in bad.stderr
