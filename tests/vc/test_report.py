"""How verdicts combine."""

from __future__ import annotations

from vc.report import Verdict

VALID, INDETERMINATE, INVALID = Verdict.VALID, Verdict.INDETERMINATE, Verdict.INVALID


def test_the_worst_verdict_wins() -> None:
    assert Verdict.worst(VALID) is VALID
    assert Verdict.worst(VALID, INDETERMINATE, VALID) is INDETERMINATE
    assert Verdict.worst(INDETERMINATE, INVALID) is INVALID
    assert Verdict.worst(INVALID, VALID) is INVALID
