"""`make demo` walks the whole credential loop; here it runs in-process and its verdicts are checked."""

from __future__ import annotations

import io

from rich.console import Console

from tawtiq import demo
from vc import Verdict


def test_the_demo_verifies_then_refuses_after_revocation() -> None:
    output = io.StringIO()
    reports = demo.run(Console(file=output, width=140, color_system=None))
    assert [report.verdict for report in reports] == [Verdict.VALID, Verdict.VALID, Verdict.INVALID, Verdict.INVALID]
    assert [report.profile for report in reports] == ["vc+sd-jwt", "dc+sd-jwt", "vc+sd-jwt", "dc+sd-jwt"]
    for report in reports[2:]:
        assert report.check("status").code == "status.revoked"
        assert [check.code for check in report.problems] == ["status.revoked"]
    text = output.getvalue()
    assert "VALID" in text
    assert "INVALID" in text


def test_the_university_sees_only_what_it_asked_for() -> None:
    reports = demo.run(Console(file=io.StringIO(), width=140, color_system=None))
    w3c, sd_jwt_vc = reports[0], reports[1]
    assert w3c.claims is not None
    assert sd_jwt_vc.claims is not None
    subject = w3c.claims["credentialSubject"]
    assert set(subject) == {"type", *demo.UNIVERSITY_ASKS}
    assert not {"cnie", "birthDate", "birthPlace", "massarCode"} & set(sd_jwt_vc.claims)
    assert set(demo.UNIVERSITY_ASKS) <= set(sd_jwt_vc.claims)
    assert w3c.check("holder_binding").outcome == "passed"
