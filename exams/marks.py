"""The marks of a session: the import of a marks file, and reading a candidate's marks back.

The file is UTF-8 CSV with the columns :data:`exams.generate.MARK_COLUMNS` — ``cnie``, ``exam``
(``continuous`` | ``regional`` | ``national`` | ``catch_up``), ``subject`` and ``mark`` (out of 20, at most two
decimals, a decimal point or comma) — one row per candidate, exam and subject. A row is refused, with its number and
what was found and expected, when its candidate is not registered for the session, its subject is not one of the
candidate's stream for that exam (the continuous assessment is the rules file's ``continuous_assessment.code``, for
enrolled candidates only; a catch-up mark is a national subject of a candidate deliberated into the catch-up band),
its mark is outside 0-20, or it repeats a mark of the file or one already imported. All-or-nothing
(:mod:`exams.imports`): the rows are written in one transaction with one audit event (``exam.marks_import``).
Marks are stored in hundredths of a point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, select

import schemas
from exams.errors import InputError
from exams.generate import MARK_COLUMNS
from exams.imports import ImportRun, ImportSummary, RowProblem, data_rows, open_source, read_header, write_checked
from exams.models import CandidateRow, MarkRow, ResultRow, table
from exams.registry import session_name
from exams.rules import CATCH_UP as CATCH_UP_DECISION
from exams.subjects import CATCH_UP, CONTINUOUS, EXAMS, FREE, NATIONAL, ExamRules, load_rules
from issuer.cohort_file import SourceLines, UnusableFileError
from issuer.db import reading
from issuer.import_report import header_problem

_INSERT_BATCH: Final = 5_000
_MARK: Final = re.compile(r"\d{1,2}([.,]\d{1,2})?")


def check_header(columns: tuple[str, ...]) -> list[RowProblem]:
    """The header's problems: exactly the columns ``cnie, exam, subject, mark``, each once."""
    if sorted(columns) == sorted(MARK_COLUMNS):
        return []
    return [header_problem("the columns are not the marks file's", ", ".join(columns), ", ".join(MARK_COLUMNS))]


def parse_mark(text: str) -> int | None:
    """A mark's text as hundredths of a point, or None unless it is a number from 0 to 20 with at most 2 decimals."""
    value = text.strip()
    if _MARK.fullmatch(value) is None:
        return None
    try:
        mark = Decimal(value.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    if not Decimal(0) <= mark <= Decimal(20):
        return None
    return int(mark * 100)


class _Registry:
    """The session's candidates as the check needs them: CNIE → (id, stream, type, in the catch-up band)."""

    def __init__(self, engine: Engine, session: str) -> None:
        candidates, results = table(CandidateRow), table(ResultRow)
        with reading(engine) as db:
            rows = db.execute(
                select(
                    candidates.c.cnie,
                    candidates.c.id,
                    candidates.c.stream_code,
                    candidates.c.candidate_type,
                    results.c.decision,
                )
                .outerjoin(results, results.c.candidate_id == candidates.c.id)
                .where(candidates.c.session == session)
            ).all()
            self.by_cnie: dict[str, tuple[int, str, str, bool]] = {
                cnie: (int(cid), stream, kind, decision == CATCH_UP_DECISION)
                for cnie, cid, stream, kind, decision in rows
            }
        self._engine, self._session = engine, session
        self._existing: dict[str, set[tuple[int, str]]] = {}

    def already_imported(self, candidate_id: int, exam: str, subject: str) -> bool:
        """Whether this mark is in the database; an exam's imported marks are read on its first row."""
        if exam not in self._existing:
            candidates, marks = table(CandidateRow), table(MarkRow)
            with reading(self._engine) as db:
                self._existing[exam] = {
                    (int(cid), code)
                    for cid, code in db.execute(
                        select(marks.c.candidate_id, marks.c.subject)
                        .join(candidates, candidates.c.id == marks.c.candidate_id)
                        .where(candidates.c.session == self._session, marks.c.exam == exam)
                    )
                }
        return (candidate_id, subject) in self._existing[exam]


def _check(
    row_number: int, cells: dict[str, str], registry: _Registry, rules: ExamRules, session: str
) -> tuple[tuple[int, str, str, int] | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def problem(column: str, found: str, expected: str) -> None:
        problems.append(
            RowProblem(row_number, column, found, expected, f"{column}: found {found}, expected {expected}")
        )

    cnie = schemas.normalise_identifier(cells.get("cnie", ""))
    exam = cells.get("exam", "").strip().lower()
    subject = cells.get("subject", "").strip().upper()
    candidate = registry.by_cnie.get(cnie)
    if candidate is None:
        problem("cnie", f"a CNIE number not registered for {session} (value withheld)", "a registered candidate")
    if exam not in EXAMS:
        problem("exam", repr(exam[:20]), f"one of {', '.join(EXAMS)}")
    centi = parse_mark(cells.get("mark", ""))
    if centi is None:
        problem("mark", repr(cells.get("mark", "").strip()[:20]), "a mark from 0 to 20 with at most two decimals")
    if candidate is None or exam not in EXAMS:
        return None, problems
    candidate_id, stream_code, kind, in_catch_up = candidate
    stream = rules.stream(stream_code)
    if exam == CONTINUOUS:
        if kind == FREE:
            problem(
                "exam",
                "continuous for a free candidate",
                "regional or national: free candidates have no continuous assessment",
            )
        elif subject != rules.continuous_code:
            problem("subject", repr(subject[:20]), f"{rules.continuous_code}, the continuous assessment")
    else:
        wanted = NATIONAL if exam == CATCH_UP else exam
        codes = [rule.code for rule in stream.of_exam(wanted)]
        if subject not in codes:
            problem(
                "subject", repr(subject[:20]), f"a {wanted} subject of the stream {stream_code}: {', '.join(codes)}"
            )
        elif exam == CATCH_UP and not in_catch_up:
            problem(
                "exam",
                "catch_up for a candidate outside the catch-up band",
                "a candidate deliberated into the catch-up band (tawtiq exam deliberate first)",
            )
    if registry.already_imported(candidate_id, exam, subject):
        problem(
            "subject",
            f"a {exam} {subject} mark already imported for this candidate",
            "one mark per candidate, exam and subject",
        )
    if problems or centi is None:
        return None, problems
    return (candidate_id, exam, subject, centi), problems


def import_marks(
    engine: Engine,
    *,
    path: Path,
    session: str,
    actor: str,
    now: datetime,
    report: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import the marks of ``path`` for ``session``, all or nothing (see the module docstring).

    Raises :class:`exams.imports.ImportRefusedError` with the summary and report; :class:`InputError`
    ``import.unreadable``, ``import.changed``, ``import.concurrent``.
    """
    name = session_name(session)
    run = ImportRun.start(path, session=name, report=report)
    try:
        return _import(engine, run, actor=actor, now=now, progress=progress)
    except BaseException:
        run.writer.abandon()
        raise


def _import(
    engine: Engine, run: ImportRun, *, actor: str, now: datetime, progress: Callable[[int], None] | None
) -> ImportSummary:
    rules = load_rules()
    registry = _Registry(engine, run.session)
    # (1) Check every row, and find the repeated ones; nothing is written.
    with open_source(run.path, what="marks") as handle:
        run.source = SourceLines(handle)
        try:
            header = read_header(run.source, check_header)
            # A mark's key packed in one int (candidate id × the number of exam-and-subject pairs + its pair's number):
            # a file of five million marks is checked for repeats in a few hundred megabytes, not gigabytes of tuples.
            seen: dict[int, int] = {}
            slots: dict[tuple[str, str], int] = {}
            pairs = len(EXAMS) * (len(rules.subject_labels) + 1)
            for row_number, cells in data_rows(run.source, header):
                run.rows += 1
                if isinstance(cells, RowProblem):
                    run.add(cells)
                    continue
                checked, problems = _check(row_number, cells, registry, rules, run.session)
                for problem in problems:
                    run.add(problem)
                if checked is not None:
                    candidate_id, exam, subject, _ = checked
                    key = candidate_id * pairs + slots.setdefault((exam, subject), len(slots))
                    if key in seen:
                        run.add(
                            RowProblem(
                                row_number,
                                "subject",
                                f"the mark of row {seen[key]} again",
                                "one mark per candidate, exam and subject",
                                f"subject: found the {exam} {subject} mark of row {seen[key]} again, expected one "
                                "mark per candidate, exam and subject",
                            )
                        )
                    else:
                        seen[key] = row_number
                if progress is not None and run.rows % 50_000 == 0:
                    progress(run.rows)
        except UnusableFileError as exc:
            raise run.refuse_file(exc) from None
    if run.writer.count:
        raise run.refuse()

    # (2) Write every mark, the import's record and its audit event, in one transaction.
    def values(row_number: int, cells: dict[str, str], import_id: int) -> dict[str, Any]:
        checked, _ = _check(row_number, cells, registry, rules, run.session)
        assert checked is not None, "the first pass refused every row with a problem"
        candidate_id, exam, subject, centi = checked
        return {
            "candidate_id": candidate_id,
            "exam": exam,
            "subject": subject,
            "mark_centi": centi,
            "import_id": import_id,
        }

    return write_checked(
        engine,
        run,
        kind="marks",
        into=table(MarkRow),
        check_header=check_header,
        values=values,
        batch_size=_INSERT_BATCH,
        actor=actor,
        now=now,
        concurrent=InputError(
            "nothing was imported: another import wrote some of these marks meanwhile; import again",
            code="import.concurrent",
            found="a mark imported for the session while this import was checking",
            expected="one import of a mark at a time",
        ),
    )


def write_generated_marks(engine: Engine, *, session: str, seed: int, out: Path, catch_up: bool = False) -> int:
    """Write synthetic marks for the session's registered candidates (:func:`exams.generate.generate_marks`), or with
    ``catch_up`` the catch-up marks of those deliberated into the catch-up band; returns the row count."""
    from exams.generate import generate_catch_up_marks, generate_marks, write_rows

    name = session_name(session)
    rules = load_rules()
    candidates, marks, results = table(CandidateRow), table(MarkRow), table(ResultRow)
    with reading(engine) as db:
        if not catch_up:
            registered = db.execute(
                select(candidates.c.cnie, candidates.c.stream_code, candidates.c.candidate_type)
                .where(candidates.c.session == name)
                .order_by(candidates.c.id)
            ).all()
            rows = generate_marks(((c, s, k) for c, s, k in registered), rules=rules, seed=seed)
            return write_rows(out, MARK_COLUMNS, rows, what="marks")
        national: dict[int, dict[str, Decimal]] = {}
        for candidate_id, subject, centi in db.execute(
            select(marks.c.candidate_id, marks.c.subject, marks.c.mark_centi)
            .join(results, results.c.candidate_id == marks.c.candidate_id)
            .where(results.c.session == name, results.c.decision == CATCH_UP_DECISION, marks.c.exam == NATIONAL)
        ):
            national.setdefault(int(candidate_id), {})[subject] = Decimal(centi) / 100
        band = db.execute(
            select(candidates.c.id, candidates.c.cnie, candidates.c.stream_code)
            .join(results, results.c.candidate_id == candidates.c.id)
            .where(results.c.session == name, results.c.decision == CATCH_UP_DECISION)
            .order_by(candidates.c.id)
        ).all()
    rows = generate_catch_up_marks(
        ((cnie, stream, national.get(int(cid), {})) for cid, cnie, stream in band), rules=rules, seed=seed
    )
    return write_rows(out, MARK_COLUMNS, rows, what="marks")
