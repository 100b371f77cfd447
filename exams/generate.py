"""Synthetic exam years: candidates and marks for demos, tests and benchmarks (never real people).

:func:`generate_candidates` is the issuer's cohort generator (:func:`issuer.generate.generate_cohort`: its names,
places, academies, directorates, schools, streams, CNIE numbers and Massar codes) with what a candidate adds: an exam
centre and the candidate type (about one in five is free). An enrolled candidate sits in their own school; free
candidates in their directorate's centre for free candidates. :func:`generate_marks` draws marks so that about the
real shares come out of the deliberation (measured on 20,000 candidates with seed 2025: 66.8% admitted at the normal
stage, 10.2% in the catch-up band of whom 59% pass it, 23.1% not admitted — about 73% admitted in all; enrolled
candidates 76% at the normal stage, free ones 29%, as in published results; ``tests/exams/test_generate.py`` keeps
these within bounds). The same seed
gives the same files; memory does not grow with the count.
"""

from __future__ import annotations

import csv
import random  # synthetic data, not secrets
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Final

from common.private_files import PrivateFile
from exams.candidates_file import COLUMNS
from exams.errors import InputError
from exams.subjects import CATCH_UP, CONTINUOUS, ENROLLED, FREE, NATIONAL, ExamRules
from issuer.cohort_file import ExamSession
from issuer.generate import generate_cohort

#: Share of free candidates (illustrative).
FREE_SHARE: Final = 0.2
#: The marks file's columns.
MARK_COLUMNS: Final = ("cnie", "exam", "subject", "mark")


def generate_candidates(*, count: int, seed: int, session: ExamSession) -> Iterator[dict[str, str]]:
    """Yield ``count`` rows of a synthetic candidates file for ``session`` (column name → cell)."""
    rng = random.Random(seed ^ 0x5EED)  # noqa: S311 - reproducible synthetic data, not secrets
    for row in generate_cohort(count=count, seed=seed, session=session):
        free = rng.random() < FREE_SHARE
        directorate = row["directorate.code"]
        if free:
            centre = (
                f"{directorate}L",
                f"مركز امتحان المترشحين الأحرار - {row['directorate.ar']}",
                f"Centre d'examen des candidats libres - {row['directorate.fr']}",
            )
        else:
            centre = (f"{row['school.code']}C", row["school.ar"], row["school.fr"])
        cells = {column: row.get(column, "") for column in COLUMNS}
        cells["examCentre.code"], cells["examCentre.ar"], cells["examCentre.fr"] = centre
        cells["candidateType"] = FREE if free else ENROLLED
        yield cells


def write_rows(path: Path, columns: tuple[str, ...], rows: Iterable[dict[str, str]], *, what: str) -> int:
    """Write ``rows`` as UTF-8 CSV (header first), atomically and owner-only (personal data, even if made up).

    Returns the row count. Raises :class:`InputError` ``<what>.unwritable``.
    """
    written = 0
    try:
        with PrivateFile(path) as output:
            writer = csv.DictWriter(output.handle, fieldnames=list(columns))
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                written += 1
    except OSError as exc:
        raise InputError(
            f"cannot write the {what} file",
            code=f"{what}.unwritable",
            found=f"{path}: {exc.strerror or exc}",
            expected="a path in a directory this user can write to",
        ) from exc
    return written


def _mark(value: float) -> Decimal:
    """A mark /20 rounded to the quarter point, as markers give them."""
    bounded = min(20.0, max(0.0, value))
    return Decimal(round(bounded * 4)) / 4


def _text(mark: Decimal) -> str:
    return f"{mark:.2f}"


#: One candidate for mark generation: CNIE number, stream code, candidate type.
MarkCandidate = tuple[str, str, str]


def generate_marks(candidates: Iterable[MarkCandidate], *, rules: ExamRules, seed: int) -> Iterator[dict[str, str]]:
    """Yield the marks file's rows: every candidate's regional and national marks, and continuous assessment for the
    enrolled. A candidate's ability is drawn once; each mark scatters around it (illustrative model)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    for cnie, stream_code, candidate_type in candidates:
        enrolled = candidate_type != FREE
        ability = rng.gauss(11.7, 2.6) if enrolled else rng.gauss(8.4, 2.8)
        if enrolled:
            yield {
                "cnie": cnie,
                "exam": CONTINUOUS,
                "subject": rules.continuous_code,
                "mark": _text(_mark(ability + 2.0 + rng.gauss(0, 1.2))),
            }
        for rule in rules.stream(stream_code).subjects:
            offset = 0.3 if rule.exam == "regional" else -0.6
            yield {
                "cnie": cnie,
                "exam": rule.exam,
                "subject": rule.code,
                "mark": _text(_mark(ability + offset + rng.gauss(0, 2.6))),
            }


#: A candidate in the catch-up band: CNIE number, stream code, and their national marks by subject.
CatchUpCandidate = tuple[str, str, dict[str, Decimal]]


def generate_catch_up_marks(
    candidates: Iterable[CatchUpCandidate], *, rules: ExamRules, seed: int
) -> Iterator[dict[str, str]]:
    """Yield catch-up marks: each candidate retakes most of their national subjects (those below 12 more often),
    usually doing somewhat better."""
    rng = random.Random(seed ^ 0xCA7C)  # noqa: S311 - reproducible synthetic data, not secrets
    for cnie, stream_code, national in candidates:
        for rule in rules.stream(stream_code).of_exam(NATIONAL):
            before = national.get(rule.code)
            if before is None or rng.random() > (0.9 if before < 12 else 0.3):
                continue
            yield {
                "cnie": cnie,
                "exam": CATCH_UP,
                "subject": rule.code,
                "mark": _text(_mark(float(before) + rng.gauss(1.0, 2.2))),
            }
