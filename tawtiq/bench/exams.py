"""The exam year's benchmark figures for ``make bench`` (measured, never asserted).

:func:`run` returns:

* ``deliberation_core`` — the rules (:func:`exams.rules.deliberate`: exact decimal averages, decisions, mentions)
  over N generated candidates' marks held in memory, against a plain pass over the same marks (each candidate's
  marks summed as :class:`~decimal.Decimal`, nothing else); ``ratio`` = deliberation / plain pass.
* ``complaints`` — :func:`run_complaints`: the review queue and the correction at 50,000 complaints.
* ``deliberation_database`` — on SQLite: ``tawtiq exam deliberate``'s results stage
  (:func:`exams.deliberation.deliberate_results`: reading candidates and marks in batches, deliberating, writing the
  results and the admitted's validated ``graduate`` rows, one audit event per batch) for the same N candidates,
  against a plain pass over the same marks table (every mark read in candidate order and summed per candidate, in
  one streamed query); ``ratio`` = deliberation / plain pass. The records (``cohort issue``) are the issuer's
  benchmark's and are left out.

``quick=True`` uses 20,000 candidates; the full run 500,000 (a few minutes, most of it loading the marks). Progress
goes to stderr.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Engine, insert, text

if TYPE_CHECKING:  # pragma: no cover
    from exams.subjects import ExamRules
    from issuer.settings import Settings

_PASSPHRASE: Final = "benchmark passphrase, not a secret 7f3a"  # noqa: S105 - a throwaway benchmark database
_SESSION: Final = "2025-normale"
_NOW: Final = datetime(2025, 6, 13, 18, 0, tzinfo=UTC)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(*, quick: bool = False, count: int | None = None) -> dict[str, Any]:
    """The figures of the module docstring for ``count`` candidates (default 20,000 quick, 500,000 full)."""
    from exams.subjects import load_rules

    total = count if count is not None else (20_000 if quick else 500_000)
    rules = load_rules()
    with tempfile.TemporaryDirectory(prefix="tawtiq-bench-exams-") as directory:
        engine, plan, marks = _load(Path(directory), total)
        try:
            database = _database(engine)
        finally:
            engine.dispose()
    _log(f"exams: deliberation_database {json.dumps(database)}")
    core = _core(plan, rules)
    _log(f"exams: deliberation_core {json.dumps(core)}")
    return {
        "candidates": total,
        "marks": marks,
        "deliberation_core": core,
        "deliberation_database": database,
        "complaints": run_complaints(quick=quick, count=count, decisions=None if count is None else 10),
    }


#: One generated candidate: CNIE number, stream code, candidate type.
Planned = tuple[str, str, str]


def _settings(directory: Path) -> Settings:
    from issuer.settings import load_settings

    return load_settings(
        {
            "TAWTIQ_ISSUER_URL": "https://bac.example.ma",
            "TAWTIQ_DATABASE_URL": f"sqlite:///{directory / 'exams.sqlite3'}",
            "TAWTIQ_DATA_DIR": str(directory),
            "TAWTIQ_KEY_PASSPHRASE": _PASSPHRASE,
        }
    )


def _marks_of(plan: list[Planned]) -> Iterator[dict[str, str]]:
    from exams.generate import generate_marks
    from exams.subjects import load_rules

    return generate_marks(plan, rules=load_rules(), seed=2025)


def _load(directory: Path, total: int) -> tuple[Engine, list[Planned], int]:
    """A migrated SQLite database holding ``total`` generated candidates and their marks (streamed in)."""
    from exams.candidates_file import ATTRIBUTE_OF
    from exams.db import upgrade as upgrade_exams
    from exams.generate import generate_candidates
    from exams.marks import parse_mark
    from exams.models import CandidateRow, MarkRow, table
    from issuer.audit import keyed_engine
    from issuer.cohort_file import ExamSession
    from issuer.db import upgrade as upgrade_issuer
    from issuer.db import writing

    engine = keyed_engine(_settings(directory))
    upgrade_issuer(engine)
    upgrade_exams(engine)
    _log(f"exams: generating and loading {total:,} candidates and their marks into SQLite")
    plan: list[Planned] = []
    ids: dict[str, int] = {}
    batch: list[dict[str, Any]] = []

    def flush(model: Any) -> None:
        if batch:
            with writing(engine) as db:
                db.execute(insert(table(model)), batch)
            batch.clear()

    for number, row in enumerate(generate_candidates(count=total, seed=2025, session=ExamSession.parse(_SESSION)), 1):
        values: dict[str, Any] = {ATTRIBUTE_OF[column]: value for column, value in row.items()}
        values["birth_date"] = date.fromisoformat(row["birthDate"])
        batch.append(
            {**values, "id": number, "session": _SESSION, "import_id": 1, "row_number": number + 1, "created_at": _NOW}
        )
        plan.append((row["cnie"], row["stream.code"], row["candidateType"]))
        ids[row["cnie"]] = number
        if len(batch) >= 20_000:
            flush(CandidateRow)
    flush(CandidateRow)
    marks = 0
    for mark in _marks_of(plan):
        batch.append(
            {
                "candidate_id": ids[mark["cnie"]],
                "exam": mark["exam"],
                "subject": mark["subject"],
                "mark_centi": parse_mark(mark["mark"]),
                "import_id": 1,
            }
        )
        marks += 1
        if len(batch) >= 50_000:
            flush(MarkRow)
    flush(MarkRow)
    return engine, plan, marks


def _core(plan: list[Planned], rules: ExamRules) -> dict[str, Any]:
    from exams.rules import deliberate

    by_candidate: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for row in _marks_of(plan):
        by_candidate[row["cnie"]][(row["exam"], row["subject"])] = Decimal(row["mark"])
    work = [(rules.stream(stream), rules.weights[kind], by_candidate[cnie]) for cnie, stream, kind in plan]
    _log("exams: the rules over every candidate in memory, and a plain pass")
    start = time.perf_counter()
    total = Decimal(0)
    for _, _, own in work:
        total += sum(own.values(), Decimal(0))
    plain = time.perf_counter() - start
    start = time.perf_counter()
    for stream, weights, own in work:
        deliberate(stream, weights=weights, continuous_code=rules.continuous_code, marks=own)
    deliberation = time.perf_counter() - start
    return {
        "deliberation_seconds": round(deliberation, 2),
        "plain_pass_seconds": round(plain, 2),
        "ratio": round(deliberation / plain, 2),
        "per_candidate_us": round(deliberation / len(work) * 1e6, 1),
    }


def _database(engine: Engine) -> dict[str, Any]:
    from exams.deliberation import deliberate_results

    _log("exams: a plain pass over the marks table")
    start = time.perf_counter()
    sums: dict[int, int] = defaultdict(int)
    with engine.connect() as connection:
        for candidate_id, centi in connection.execute(
            text("SELECT candidate_id, mark_centi FROM exam_mark ORDER BY candidate_id")
        ):
            sums[candidate_id] += centi
    plain = time.perf_counter() - start
    _log("exams: the deliberation's results stage")
    start = time.perf_counter()
    stage = deliberate_results(engine, session=_SESSION, actor="bench", clock=lambda: _NOW)
    deliberation = time.perf_counter() - start
    return {
        "database": "sqlite",
        "deliberation_seconds": round(deliberation, 2),
        "plain_pass_seconds": round(plain, 2),
        "ratio": round(deliberation / plain, 2),
        "candidates_per_second": round(stage.deliberated / deliberation),
        "totals": stage.totals,
    }


def run_complaints(*, quick: bool = False, count: int | None = None, decisions: int | None = None) -> dict[str, Any]:
    """The complaint figures: ``count`` complaints (default 50,000; 5,000 quick) on as many candidates' marks.

    ``queue_first_page_ms``: an academy's first page (200) of undecided complaints, median and worst over the 12
    academies, with and without a subject and centre filter; ``queue_walk_seconds``: the largest academy's whole
    queue, page after page; ``file_ms``: filing one complaint (a sample); ``decide_ms``: upholding one — its
    re-deliberation, the record superseded, revoked or created when the outcome changes, in one transaction (a sample
    of ``decisions``), and the time all ``count`` would take one after the other.
    """
    import statistics

    from exams.complaints import decide, file_complaint, queue_for
    from exams.deliberation import deliberate_session
    from exams.models import ComplaintRow, table
    from exams.results import publish
    from issuer.db import writing

    total = count if count is not None else (5_000 if quick else 50_000)
    sample = decisions if decisions is not None else (100 if quick else 500)
    with tempfile.TemporaryDirectory(prefix="tawtiq-bench-complaints-") as directory:
        engine, plan, _ = _load(Path(directory), total + sample)
        settings = _settings(Path(directory))
        try:
            _log(f"exams: deliberating {total + sample:,} candidates and creating their records")
            deliberate_session(engine, settings=settings, session=_SESSION, actor="bench", clock=lambda: _NOW)
            publish(engine, session=_SESSION, at=_NOW, actor="bench", now=_NOW)
            rules = _rules()
            subject_of = {cnie: _top(rules, stream) for cnie, stream, _ in plan}
            ids = {cnie: number for number, (cnie, _, _) in enumerate(plan, 1)}
            with engine.connect() as connection:
                academy_of: dict[str, str] = {
                    str(cnie): str(academy)
                    for cnie, academy in connection.execute(text("SELECT cnie, academy_code FROM exam_candidate"))
                }
            _log(f"exams: {total:,} complaints loaded, {sample} filed through the API")
            with engine.connect() as connection:
                marks = {
                    (int(cid), subject): int(centi)
                    for cid, subject, centi in connection.execute(
                        text("SELECT candidate_id, subject, mark_centi FROM exam_mark WHERE exam = 'national'")
                    )
                }
            rows = [
                {
                    "session": _SESSION,
                    "candidate_id": ids[cnie],
                    "academy_code": academy_of[cnie],
                    "exam": "national",
                    "subject": subject_of[cnie],
                    "kind": "wrong_sum",
                    "comment": "the parts add up to more",
                    "state": "received",
                    "original_mark_centi": marks[(ids[cnie], subject_of[cnie])],
                    "filed_at": _NOW,
                }
                for cnie, _, _ in plan[:total]
            ]
            for offset in range(0, len(rows), 20_000):
                with writing(engine) as db:
                    db.execute(insert(table(ComplaintRow)), rows[offset : offset + 20_000])
            filed = []
            file_times = []
            for cnie, _, _ in plan[total:]:
                start = time.perf_counter()
                filed.append(
                    file_complaint(
                        engine,
                        session=_SESSION,
                        cnie=cnie,
                        subject=subject_of[cnie],
                        kind="wrong_sum",
                        comment="the parts add up to more",
                        now=_NOW,
                    )
                )
                file_times.append(time.perf_counter() - start)
            academies = [f"{number:02d}" for number in range(1, 13)]
            first_page = []
            filtered = []
            for academy in academies:
                start = time.perf_counter()
                page = queue_for(engine, session=_SESSION, academy=academy)
                first_page.append(time.perf_counter() - start)
                if page:
                    start = time.perf_counter()
                    queue_for(
                        engine,
                        session=_SESSION,
                        academy=academy,
                        subject=page[0].subject,
                        centre=page[0].exam_centre_code,
                    )
                    filtered.append(time.perf_counter() - start)
            largest = max(academies, key=lambda a: sum(1 for c in filed if c.academy_code == a))
            start = time.perf_counter()
            walked, after = 0, 0
            while page := queue_for(engine, session=_SESSION, academy=largest, after_id=after):
                walked += len(page)
                after = page[-1].id
            walk = time.perf_counter() - start
            _log(f"exams: upholding {sample} complaints")
            outcomes: dict[str, int] = defaultdict(int)
            decide_times = []
            for complaint in filed:
                start = time.perf_counter()
                decided = decide(
                    engine,
                    settings=settings,
                    complaint_id=complaint.id,
                    academy=complaint.academy_code,
                    uphold=True,
                    new_mark="19" if complaint.original_mark == Decimal(20) else "20",
                    reason="the parts were added up wrongly",
                    reviewer="bench",
                    at=_NOW,
                )
                decide_times.append(time.perf_counter() - start)
                outcomes[decided.outcome or "none"] += 1
        finally:
            engine.dispose()
    decide_median = statistics.median(decide_times)
    return {
        "complaints": total + sample,
        "queue_first_page_ms": {
            "median": round(statistics.median(first_page) * 1e3, 1),
            "max": round(max(first_page) * 1e3, 1),
            "filtered_median": round(statistics.median(filtered) * 1e3, 1),
        },
        "queue_walk_seconds": {"academy": largest, "complaints": walked, "seconds": round(walk, 2)},
        "file_ms": round(statistics.median(file_times) * 1e3, 2),
        "decide_ms": {
            "median": round(decide_median * 1e3, 2),
            "p99": round(sorted(decide_times)[int(len(decide_times) * 0.99)] * 1e3, 2),
            "outcomes": dict(outcomes),
            f"all_{total + sample}_sequential_seconds": round(decide_median * (total + sample), 1),
        },
    }


def _top(rules: ExamRules, stream: str) -> str:
    return max(rules.stream(stream).of_exam("national"), key=lambda rule: rule.coefficient).code


def _rules() -> ExamRules:
    from exams.subjects import load_rules

    return load_rules()
