"""The rules file: the shipped defaults load; each kind of mistake stops with where it is and what was expected."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from exams.subjects import DEFAULT_RULES_PATH, load_rules, parse_rules, read_rules
from vc.errors import ConfigurationError

SHIPPED: dict[str, Any] = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_the_shipped_rules_are_valid_and_labelled_illustrative() -> None:
    rules = load_rules()
    assert "ILLUSTRATIVE" in SHIPPED["$comment"]
    assert len(rules.streams) == 14
    assert rules.weights["enrolled"].continuous == 25
    assert rules.weights["free"].national == 50
    assert rules.stream("SM-A").subject("MA") is not None
    assert rules.exam_date("2025-normale", "national", 1) is not None


def _broken(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(SHIPPED)
    edit(document)
    return document


@pytest.mark.parametrize(
    ("edit", "where", "expected"),
    [
        (lambda d: d.pop("weights"), "weights", "a member 'weights'"),
        (lambda d: d["weights"]["free"].update(national=60), "weights.free", "summing to 100"),
        (lambda d: d["weights"]["enrolled"].pop("continuous"), "weights.enrolled", "exactly continuous"),
        (lambda d: d["streams"].pop("PC"), "streams", "exactly the streams"),
        (lambda d: d["streams"]["PC"][0].update(subject="XX"), "streams.PC[0].subject", "listed under subjects"),
        (lambda d: d["streams"]["PC"][0].update(exam="oral"), "streams.PC[0].exam", "regional or national"),
        (lambda d: d["streams"]["PC"][0].update(coefficient=0), "streams.PC[0].coefficient", "from 1 to 20"),
        (lambda d: d["streams"]["PC"][0].update(coefficient=True), "streams.PC[0].coefficient", "from 1 to 20"),
        (lambda d: d["streams"]["PC"][0].update(start="25:00"), "streams.PC[0].start", "HH:MM"),
        (lambda d: d["streams"]["PC"][0].update(end="08:00"), "streams.PC[0]", "a start before the end"),
        (lambda d: d["streams"]["PC"].append(d["streams"]["PC"][0]), "streams.PC[9].subject", "once per stream"),
        (lambda d: d["subjects"]["MA"].update(fr=""), "subjects.MA.fr", "a non-empty label"),
        (lambda d: d["calendar"].update({"2025": {}}), "calendar.2025", "YYYY-normale"),
        (lambda d: d["calendar"]["2025-normale"].update(national="June"), "calendar.2025-normale.national", "a date"),
        (
            lambda d: d["calendar"]["2025-normale"].update(deliberation="2026-06-13"),
            "calendar.2025-normale.deliberation",
            "a date in the session year",
        ),
        (
            lambda d: d["streams"].update(PC=[e for e in d["streams"]["PC"] if e["exam"] == "national"]),
            "streams.PC",
            "at least one regional subject",
        ),
    ],
)
def test_a_broken_file_names_the_mistake(edit: Any, where: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as broken:
        parse_rules(_broken(edit), source="test.json")
    assert broken.value.code == "subjects.invalid"
    assert f"at {where}" in str(broken.value)
    assert expected in str(broken.value.expected)


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as missing:
        read_rules(tmp_path / "none.json")
    assert "readable" in str(missing.value.expected)
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigurationError) as bad:
        read_rules(tmp_path / "bad.json")
    assert "not JSON" in str(bad.value.found)
