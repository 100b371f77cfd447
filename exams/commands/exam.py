"""``tawtiq exam …``: the registry, marks, deliberation and publication of an exam session."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from issuer.commands.shell import (
    EXIT_REFUSED,
    JsonOption,
    actor,
    clock,
    current_settings,
    err,
    fail,
    handled_errors,
    open_engine,
    print_json,
)

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Engine

    from issuer.settings import Settings

exam_app = typer.Typer(help="The exam year: registry, marks, deliberation, results.", no_args_is_help=True)
candidates_app = typer.Typer(help="The candidate registry of a session.", no_args_is_help=True)
marks_app = typer.Typer(help="The marks of a session.", no_args_is_help=True)
exam_app.add_typer(candidates_app, name="candidates")
exam_app.add_typer(marks_app, name="marks")

SessionOption = Annotated[str, typer.Option("--session", help="Exam session, e.g. 2025-normale.")]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Where to write the problem report (.csv or .json).")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Same seed, same file.")]


def _engine(settings: Settings | None = None) -> Engine:
    """The ministry's database (the issuer's), with the audit key; both schemas must be current."""
    from exams.db import require_current

    engine = open_engine(settings or current_settings())
    require_current(engine)
    return engine


@exam_app.command("db-upgrade")
def db_upgrade(json_output: JsonOption = False) -> None:
    """Apply the exam year's migrations to the ministry's database (after `tawtiq db upgrade`)."""
    from exams.db import upgrade

    with handled_errors():
        revision = upgrade(open_engine(current_settings(), migrated=False))
    if json_output:
        print_json({"revision": revision})
    else:
        typer.echo(f"exam tables at revision {revision}")


@candidates_app.command("generate")
def candidates_generate(
    count: Annotated[int, typer.Option("--count", help="Number of candidates.", min=0, max=1_000_000)],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    session: SessionOption = "2025-normale",
    seed: SeedOption = 2025,
) -> None:
    """Write a synthetic candidates file (realistic, reproducible, never real people)."""
    from exams.candidates_file import COLUMNS
    from exams.generate import generate_candidates, write_rows
    from issuer.cohort_file import ExamSession

    with handled_errors():
        exam = ExamSession.parse(session)
        written = write_rows(out, COLUMNS, generate_candidates(count=count, seed=seed, session=exam), what="candidates")
    typer.echo(f"{out}: {written:,} synthetic candidates for {exam} (seed {seed})")


def _print_import(summary: Any, refused: Exception | None, *, json_output: bool, noun: str) -> None:
    if json_output:
        print_json(summary.as_dict())
    else:
        verb = "imported" if summary.committed else "NOT imported (all-or-nothing)"
        typer.echo(
            f"{summary.source}: {summary.rows:,} rows, {summary.imported:,} {noun} {verb} for {summary.session}"
            + (f", {summary.rejected_rows:,} rows rejected" if summary.rejected_rows else "")
        )
        if summary.report:
            typer.echo(f"report: {summary.report}")
    for problem in summary.first_problems:
        err(f"  row {problem.row}: {problem.message}")
    if summary.problems > len(summary.first_problems):
        err(f"  … {summary.problems - len(summary.first_problems)} more in the report")
    if refused is not None:
        fail(f"refused: {refused}", EXIT_REFUSED)


@candidates_app.command("import")
def candidates_import(
    file: Annotated[Path, typer.Argument(help="Candidates CSV, one row per candidate.")],
    session: SessionOption,
    report: ReportOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register a session's candidates, all-or-nothing, with a row report of every problem."""
    from exams.imports import ImportRefusedError
    from exams.registry import import_candidates

    summary: Any = None
    refused: ImportRefusedError | None = None
    with handled_errors():
        engine = _engine()
        try:
            summary = import_candidates(
                engine, path=file, session=session, actor=actor(), now=clock.now(), report=report
            )
        except ImportRefusedError as exc:
            refused, summary = exc, exc.import_summary
    _print_import(summary, refused, json_output=json_output, noun="candidates")


@exam_app.command("publish")
def publish(
    session: SessionOption,
    at: Annotated[str, typer.Option("--at", help="The instant, with its time zone: 2025-06-14T09:00:00+01:00.")],
    catch_up: Annotated[bool, typer.Option("--catch-up", help="The catch-up outcomes' instant.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Set the instant results become visible (a time zone is required; refused once the instant has passed)."""
    from exams.results import publish as publish_results

    with handled_errors():
        moment = _instant(at, "--at")
        instant = publish_results(
            _engine(), session=session, at=moment, actor=actor(), now=clock.now(), catch_up=catch_up
        )
    if json_output:
        print_json({"session": session, "catch_up": catch_up, "published_at": instant.isoformat()})
    else:
        typer.echo(f"{session}: {'catch-up outcomes' if catch_up else 'results'} published at {instant.isoformat()}")


@marks_app.command("generate")
def marks_generate(
    session: SessionOption,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    seed: SeedOption = 2025,
    catch_up: Annotated[
        bool, typer.Option("--catch-up", help="The catch-up marks of the candidates in the catch-up band.")
    ] = False,
) -> None:
    """Write synthetic marks for the session's registered candidates (or their catch-up marks)."""
    from exams.marks import write_generated_marks

    with handled_errors():
        written = write_generated_marks(_engine(), session=session, seed=seed, out=out, catch_up=catch_up)
    typer.echo(f"{out}: {written:,} synthetic {'catch-up ' if catch_up else ''}marks for {session} (seed {seed})")


@marks_app.command("import")
def marks_import(
    file: Annotated[Path, typer.Argument(help="Marks CSV: cnie, exam, subject, mark; one row per mark.")],
    session: SessionOption,
    report: ReportOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import a session's marks, all-or-nothing, with a row report of every problem."""
    from exams.imports import ImportRefusedError
    from exams.marks import import_marks

    summary: Any = None
    refused: ImportRefusedError | None = None
    with handled_errors():
        engine = _engine()
        try:
            summary = import_marks(engine, path=file, session=session, actor=actor(), now=clock.now(), report=report)
        except ImportRefusedError as exc:
            refused, summary = exc, exc.import_summary
    _print_import(summary, refused, json_output=json_output, noun="marks")


@exam_app.command("deliberate")
def deliberate(
    session: SessionOption,
    catch_up: Annotated[
        bool, typer.Option("--catch-up", help="The catch-up stage, after the catch-up marks are imported.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Deliberate the session from its marks and create the admitted candidates' diploma records (resumable)."""
    from exams.deliberation import deliberate_session

    with handled_errors():
        settings = current_settings()
        summary = deliberate_session(
            _engine(settings),
            settings=settings,
            session=session,
            actor=actor(),
            clock=clock.now,
            catch_up=catch_up,
            progress=lambda done: err(f"  {done:,} candidates deliberated"),
        )
    if json_output:
        print_json(summary.as_dict())
    else:
        totals = ", ".join(f"{count:,} {decision}" for decision, count in summary.totals.items())
        typer.echo(
            f"{summary.session} ({summary.stage}): {summary.deliberated:,} now, {summary.already:,} before; "
            f"{totals}; {summary.records.created:,} diploma records created"
        )


@exam_app.command("complaints")
def complaints_window(
    session: SessionOption,
    open_at: Annotated[str, typer.Option("--open", help="When complaints open, with its time zone.")],
    close_at: Annotated[str, typer.Option("--close", help="When they close, with its time zone.")],
    json_output: JsonOption = False,
) -> None:
    """Set the complaint window (by default: from the publication, three days)."""
    from exams.complaints import set_window

    with handled_errors():
        window = set_window(
            _engine(),
            session=session,
            open_at=_instant(open_at, "--open"),
            close_at=_instant(close_at, "--close"),
            actor=actor(),
            now=clock.now(),
        )
    if json_output:
        print_json(
            {"session": session, "opens_at": window.opens_at.isoformat(), "closes_at": window.closes_at.isoformat()}
        )
    else:
        typer.echo(f"{session}: complaints from {window.opens_at.isoformat()} to {window.closes_at.isoformat()}")


def _instant(text: str, option: str) -> datetime:
    from exams.errors import InputError

    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} is not an ISO 8601 instant",
            code="instant.invalid",
            found=text[:40],
            expected="e.g. 2025-06-14T09:00:00+01:00",
        ) from None
