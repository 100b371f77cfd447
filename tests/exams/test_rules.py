"""The deliberation's arithmetic against hand-computed cases: weights, rounding after weighting (half up), the
decision bands, the mentions, and the catch-up's better-of-two marks."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from exams.rules import ADMITTED, CATCH_UP, NOT_ADMITTED, deliberate, general_average, missing_marks
from exams.subjects import StreamRules, SubjectRule, Weights, load_rules

ENROLLED = Weights(continuous=25, regional=25, national=50)
FREE = Weights(continuous=0, regional=50, national=50)
D = Decimal


def _rule(code: str, exam: str, coefficient: int) -> SubjectRule:
    return SubjectRule(code, code, code, exam, coefficient, 1, time(8, 30), time(11, 30))  # type: ignore[arg-type]


#: One regional and one national subject of coefficient 1: the general average is the weights' arithmetic.
SIMPLE = StreamRules("T", (_rule("R1", "regional", 1), _rule("N1", "national", 1)))


def _simple(*, cc: str | None, regional: str, national: str) -> dict[tuple[str, str], Decimal]:
    marks = {("regional", "R1"): D(regional), ("national", "N1"): D(national)}
    if cc is not None:
        marks[("continuous", "CC")] = D(cc)
    return marks


@pytest.mark.parametrize(
    ("cc", "regional", "national", "average", "decision", "mention"),
    [
        # 0.25·14 + 0.25·12 + 0.5·10 = 3.5 + 3 + 5
        ("14", "12", "10", "11.50", ADMITTED, "passable"),
        # 2.5 + 2.485 + 5 = 9.985: half up gives 9.99 (half even would give 9.98)
        ("10", "9.94", "10", "9.99", CATCH_UP, None),
        # 2.5 + 2.495 + 5 = 9.995 → 10.00: admitted by rounding after weighting
        ("10", "9.98", "10", "10.00", ADMITTED, "passable"),
        # 3 + 3 + 6 = 12 exactly: assez bien starts at 12.00
        ("12", "12", "12", "12.00", ADMITTED, "assez_bien"),
        # 2.9975 + 3 + 6 = 11.9975 → 12.00 (rounded up into the next mention)
        ("11.99", "12", "12", "12.00", ADMITTED, "assez_bien"),
        # 2.9925 + 3 + 6 = 11.9925 → 11.99
        ("11.97", "12", "12", "11.99", ADMITTED, "passable"),
        ("16", "16", "16", "16.00", ADMITTED, "tres_bien"),
        ("14", "14", "14", "14.00", ADMITTED, "bien"),
        ("20", "20", "20", "20.00", ADMITTED, "tres_bien"),
        # 2.25 + 2.25 + 4.5 = 9: the catch-up band's lower bound
        ("9", "9", "9", "9.00", CATCH_UP, None),
        # 2.2475 + 2.25 + 4.5 = 8.9975 → 9.00
        ("8.99", "9", "9", "9.00", CATCH_UP, None),
        # 2.2425 + 2.25 + 4.5 = 8.9925 → 8.99
        ("8.97", "9", "9", "8.99", NOT_ADMITTED, None),
        ("0", "0", "0", "0.00", NOT_ADMITTED, None),
    ],
)
def test_enrolled_candidates(
    cc: str, regional: str, national: str, average: str, decision: str, mention: str | None
) -> None:
    outcome = deliberate(
        SIMPLE, weights=ENROLLED, continuous_code="CC", marks=_simple(cc=cc, regional=regional, national=national)
    )
    assert outcome.average == D(average)
    assert str(outcome.average) == average
    assert (outcome.decision, outcome.mention) == (decision, mention)


@pytest.mark.parametrize(
    ("regional", "national", "average", "decision"),
    [
        ("12", "8", "10.00", ADMITTED),  # 6 + 4
        ("8.99", "9", "9.00", CATCH_UP),  # 4.495 + 4.5 = 8.995 → 9.00
        ("8.98", "9", "8.99", NOT_ADMITTED),  # 4.49 + 4.5
        ("10.01", "9.98", "10.00", ADMITTED),  # 5.005 + 4.99 = 9.995 → 10.00
    ],
)
def test_free_candidates_have_no_continuous_assessment(
    regional: str, national: str, average: str, decision: str
) -> None:
    outcome = deliberate(
        SIMPLE, weights=FREE, continuous_code="CC", marks=_simple(cc=None, regional=regional, national=national)
    )
    assert (outcome.average, outcome.decision) == (D(average), decision)


def test_exam_averages_are_not_rounded_before_weighting() -> None:
    # Free: regional (9.99 + 10 + 10) / 3 = 9.99666…, national 9.99: 4.99833… + 4.995 = 9.99333… → 9.99.
    # Rounding the regional average first (10.00) would give 5 + 4.995 = 9.995 → 10.00: admitted instead of catch-up.
    average = general_average(
        weights=FREE,
        continuous=None,
        regional=[(D("9.99"), 1), (D("10"), 1), (D("10"), 1)],
        national=[(D("9.99"), 1)],
    )
    assert average == D("9.99")


def test_a_real_stream_with_its_coefficients_and_the_catch_up() -> None:
    rules = load_rules()
    stream = rules.stream("PC")  # regional FR4 AR2 EI2 HG2 (10); national MA7 PC7 SVT5 PH2 EN2 (23)
    marks = {(rule.exam, rule.code): D(9) for rule in stream.subjects}
    marks[("continuous", "CC")] = D(10)
    # 0.25·10 + 0.25·9 + 0.5·9 = 9.25
    normal = deliberate(stream, weights=rules.weights["enrolled"], continuous_code="CC", marks=marks)
    assert (normal.average, normal.decision) == (D("9.25"), CATCH_UP)
    # Retaken: MA 13 and PC 12 count; PH 5 is worse than 9 and does not. N = (91 + 84 + 45 + 18 + 18) / 23 = 256/23;
    # (25·10·10·23 + 25·90·23 + 50·256·10) / (100·10·23) = 237250 / 23000 = 10.3152… → 10.32
    retaken = {("catch_up", "MA"): D(13), ("catch_up", "PC"): D(12), ("catch_up", "PH"): D(5)}
    after = deliberate(stream, weights=rules.weights["enrolled"], continuous_code="CC", marks=marks, catch_up=retaken)
    assert (after.average, after.decision, after.mention) == (D("10.32"), ADMITTED, "passable")
    # Nothing retaken: the same average, and no second catch-up.
    unchanged = deliberate(stream, weights=rules.weights["enrolled"], continuous_code="CC", marks=marks, catch_up={})
    assert (unchanged.average, unchanged.decision) == (D("9.25"), NOT_ADMITTED)


def test_missing_marks_are_named() -> None:
    rules = load_rules()
    stream = rules.stream("SVT")
    marks = {(rule.exam, rule.code): D(10) for rule in stream.subjects if rule.code != "MA"}
    assert missing_marks(stream, candidate_type="enrolled", continuous_code="CC", marks=marks) == [
        "national:MA",
        "continuous:CC",
    ]
    assert missing_marks(stream, candidate_type="free", continuous_code="CC", marks=marks) == ["national:MA"]
