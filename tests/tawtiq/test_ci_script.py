"""The CI entry point is a shell script nobody runs locally: check that bash can parse it."""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT


def test_the_ci_entry_point_parses_and_ends_with_make_test() -> None:
    script = ROOT / ".ci" / "run"
    parsed = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert parsed.returncode == 0, parsed.stderr
    lines = [line for line in script.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert lines[-1] == "make test"
