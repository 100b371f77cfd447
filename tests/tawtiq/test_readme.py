"""The README's examples are run, so they stay true."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def python_blocks_under(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_use_the_engine_runs_as_written(capsys: object) -> None:
    blocks = python_blocks_under("Use the engine")
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    report = namespace["report"]
    assert getattr(report, "valid", False)
    claims = getattr(report, "claims", {})["credentialSubject"]
    assert set(claims) == {"type", "familyName", "givenName", "mention"}
