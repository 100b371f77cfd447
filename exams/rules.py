"""The deliberation's arithmetic, pure: a candidate's marks in, the general average, decision and mention out.

**Averages.** Marks are out of 20 with at most two decimals. Each exam's average is the coefficient-weighted mean of
its subjects' marks; the general average weighs the exams by candidate type (:class:`exams.subjects.Weights`,
percent): enrolled ``(25·CC + 25·R + 50·N) / 100``, free ``(50·R + 50·N) / 100``. The exam averages are **not**
rounded; the general average is rounded once, after weighting, to two places, half up (``ROUND_HALF_UP``: 9.995
gives 10.00). It is computed with :class:`decimal.Decimal` as one fraction,

    (wc·CC·ΣcR·ΣcN + wr·Σ(cR·mR)·ΣcN + wn·Σ(cN·mN)·ΣcR) / (100·ΣcR·ΣcN),

whose numerator and denominator are exact (two-decimal marks times whole numbers, far within 28 digits). Its one
division is therefore exact whenever the quotient ends within 28 digits — in particular on a rounding boundary such
as 9.995 — and otherwise lies at least 1/(10⁴·ΣcR·ΣcN) from any boundary, far more than its 28th-digit rounding: the
two-place rounding is the one of the exact rational average.

**Decisions** (the pass mark is the official one; the catch-up band's lower bound is illustrative):

* average ≥ 10.00: ``admitted``, with the mention of :func:`schemas.mention_for` (10-12 passable, 12-14 assez bien,
  14-16 bien, 16-20 très bien);
* 9.00 ≤ average < 10.00: ``catch_up`` — the candidate may retake national subjects at the catch-up session;
* below 9.00: ``not_admitted``.

**Catch-up.** For each national subject retaken, the better of the two marks counts; the other marks stay; the
general average is recomputed the same way: ≥ 10.00 ``admitted`` (with its mention), else ``not_admitted``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import schemas
from exams.subjects import FREE, NATIONAL, REGIONAL, StreamRules, Weights

ADMITTED: Final = "admitted"
CATCH_UP: Final = "catch_up"
NOT_ADMITTED: Final = "not_admitted"
DECISIONS: Final = (ADMITTED, CATCH_UP, NOT_ADMITTED)

PASS_MARK: Final = Decimal("10.00")
#: The lower bound of the catch-up band (illustrative: the ministry sets it).
CATCH_UP_FROM: Final = Decimal("9.00")
_HUNDREDTH: Final = Decimal("0.01")
_ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A deliberation's outcome: the general average (two places), the decision and the mention (admitted only)."""

    average: Decimal
    decision: str
    mention: str | None


def general_average(
    *,
    weights: Weights,
    continuous: Decimal | None,
    regional: Sequence[tuple[Decimal, int]],
    national: Sequence[tuple[Decimal, int]],
) -> Decimal:
    """The general average, rounded to two places half up (see the module docstring).

    ``regional`` and ``national`` are ``(mark, coefficient)`` pairs; ``continuous`` is the continuous-assessment
    mark (required when ``weights.continuous`` is not 0). Raises :class:`ValueError` on a missing mark.
    """
    if not regional or not national:
        raise ValueError("a general average needs regional and national marks")
    if weights.continuous and continuous is None:
        raise ValueError("an enrolled candidate's average needs the continuous-assessment mark")
    regional_coefficients = sum(coefficient for _, coefficient in regional)
    national_coefficients = sum(coefficient for _, coefficient in national)
    regional_sum = sum((mark * coefficient for mark, coefficient in regional), _ZERO)
    national_sum = sum((mark * coefficient for mark, coefficient in national), _ZERO)
    numerator = (
        weights.regional * regional_sum * national_coefficients
        + weights.national * national_sum * regional_coefficients
    )
    if weights.continuous:
        assert continuous is not None
        numerator += weights.continuous * continuous * regional_coefficients * national_coefficients
    denominator = 100 * regional_coefficients * national_coefficients
    return (numerator / denominator).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def decide(average: Decimal, *, catch_up_possible: bool) -> Outcome:
    """The decision of ``average``: admitted, catch-up (when ``catch_up_possible``) or not admitted."""
    if average >= PASS_MARK:
        return Outcome(average, ADMITTED, schemas.mention_for(average))
    if catch_up_possible and average >= CATCH_UP_FROM:
        return Outcome(average, CATCH_UP, None)
    return Outcome(average, NOT_ADMITTED, None)


#: A candidate's marks: ``(exam, subject) -> mark``.
Marks = Mapping[tuple[str, str], Decimal]


def missing_marks(stream: StreamRules, *, candidate_type: str, continuous_code: str, marks: Marks) -> list[str]:
    """The ``exam:subject`` marks ``marks`` lacks for a deliberation (empty when complete)."""
    wanted: list[tuple[str, str]] = [(rule.exam, rule.code) for rule in stream.subjects]
    if candidate_type != FREE:
        wanted.append(("continuous", continuous_code))
    return [f"{exam}:{subject}" for exam, subject in wanted if (exam, subject) not in marks]


def deliberate(
    stream: StreamRules, *, weights: Weights, continuous_code: str, marks: Marks, catch_up: Marks | None = None
) -> Outcome:
    """The outcome of one candidate: normal stage without ``catch_up``, the catch-up stage with it.

    ``catch_up`` holds the retaken national subjects' marks (``("catch_up", subject)``); a subject not retaken keeps
    its mark. Raises :class:`KeyError` on a missing mark (check with :func:`missing_marks` first).
    """
    regional = [(marks[(REGIONAL, rule.code)], rule.coefficient) for rule in stream.of_exam(REGIONAL)]
    national: list[tuple[Decimal, int]] = []
    for rule in stream.of_exam(NATIONAL):
        mark = marks[(NATIONAL, rule.code)]
        if catch_up is not None:
            retaken = catch_up.get(("catch_up", rule.code))
            if retaken is not None and retaken > mark:
                mark = retaken
        national.append((mark, rule.coefficient))
    continuous = marks[("continuous", continuous_code)] if weights.continuous else None
    average = general_average(weights=weights, continuous=continuous, regional=regional, national=national)
    return decide(average, catch_up_possible=catch_up is None)
