"""Synthetic exam years: reproducible, and the deliberation of generated marks gives about the real shares."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from exams.generate import generate_candidates, generate_catch_up_marks, generate_marks
from exams.rules import deliberate
from exams.subjects import load_rules
from issuer.cohort_file import ExamSession

SESSION = ExamSession(2025, "normale")


def test_generated_marks_give_about_the_real_shares() -> None:
    rules = load_rules()
    candidates = [
        (row["cnie"], row["stream.code"], row["candidateType"])
        for row in generate_candidates(count=5_000, seed=2025, session=SESSION)
    ]
    marks: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for row in generate_marks(candidates, rules=rules, seed=2025):
        assert Decimal(0) <= Decimal(row["mark"]) <= Decimal(20)
        marks[row["cnie"]][(row["exam"], row["subject"])] = Decimal(row["mark"])
    decisions: Counter[str] = Counter()
    by_type: Counter[tuple[str, str]] = Counter()
    band = []
    for cnie, stream, kind in candidates:
        outcome = deliberate(rules.stream(stream), weights=rules.weights[kind], continuous_code="CC", marks=marks[cnie])
        decisions[outcome.decision] += 1
        by_type[(kind, outcome.decision)] += 1
        if outcome.decision == "catch_up":
            national = {subject: mark for (exam, subject), mark in marks[cnie].items() if exam == "national"}
            band.append((cnie, stream, national))
    share = {decision: count / len(candidates) for decision, count in decisions.items()}
    assert 0.60 <= share["admitted"] <= 0.74
    assert 0.07 <= share["catch_up"] <= 0.15
    assert 0.15 <= share["not_admitted"] <= 0.30
    free = sum(count for (kind, _), count in by_type.items() if kind == "free")
    assert 0.15 <= by_type[("free", "admitted")] / free <= 0.45
    kinds = {cnie: kind for cnie, _, kind in candidates}
    retaken: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for row in generate_catch_up_marks(band, rules=rules, seed=2025):
        assert row["exam"] == "catch_up"
        retaken[row["cnie"]][("catch_up", row["subject"])] = Decimal(row["mark"])
    passed = sum(
        deliberate(
            rules.stream(stream),
            weights=rules.weights[kinds[cnie]],
            continuous_code="CC",
            marks=marks[cnie],
            catch_up=retaken[cnie],
        ).decision
        == "admitted"
        for cnie, stream, _ in band
    )
    assert 0.3 <= passed / len(band) <= 0.8


def test_same_seed_same_marks() -> None:
    rules = load_rules()
    candidates = [("AB123456", "PC", "enrolled"), ("C765432", "SH", "free")]
    first = list(generate_marks(candidates, rules=rules, seed=9))
    assert first == list(generate_marks(candidates, rules=rules, seed=9))
    assert first != list(generate_marks(candidates, rules=rules, seed=10))
    # Enrolled: continuous assessment and 9 PC subjects; free: SH's 8 subjects.
    assert len(first) == 1 + 9 + 8
