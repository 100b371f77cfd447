"""``tawtiq cohort import|generate|issue|status``: a session's deliberated results and its diploma records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from issuer.commands.shell import (
    EXIT_REFUSED,
    JsonOption,
    SessionOption,
    actor,
    clock,
    current_settings,
    err,
    fail,
    handled_errors,
    open_engine,
    print_json,
)

cohort_app = typer.Typer(help="Deliberated results: import, generate, create diploma records.", no_args_is_help=True)


@cohort_app.command("import")
def cohort_import(
    file: Annotated[Path, typer.Argument(help="CSV of deliberated results, one row per graduate.")],
    session: SessionOption,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows and report the others.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Where to write the problem report (.csv or .json).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Import a cohort, all-or-nothing, with a row-level report of every problem."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from issuer.cohort import ExamSession, ImportRefusedError, ImportSummary, import_cohort

    console = Console(stderr=True)
    summary: ImportSummary | None = None
    refused: ImportRefusedError | None = None
    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        exam = ExamSession.parse(session)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        ) as bar:
            task = bar.add_task(f"checking {file.name}", total=None)

            def progress(rows: int) -> None:
                bar.update(task, description=f"checking {file.name}: {rows:,} rows")

            try:
                summary = import_cohort(
                    engine,
                    path=file,
                    session=exam,
                    actor=actor(),
                    now=clock.now(),
                    skip_invalid=skip_invalid,
                    report=report,
                    progress=progress,
                )
            except ImportRefusedError as exc:
                refused = exc
                summary = exc.import_summary
    assert summary is not None
    if json_output:
        print_json(summary.as_dict())
    else:
        _print_import(summary)
    for problem in summary.first_problems:
        err(f"  row {problem.row}: {problem.message}")
    if summary.problems > len(summary.first_problems):
        err(f"  … {summary.problems - len(summary.first_problems)} more in the report")
    if refused is not None:
        fail(f"refused: {refused.summary}", EXIT_REFUSED)


def _print_import(summary: Any) -> None:
    verb = "imported" if summary.committed else "NOT imported (all-or-nothing)"
    typer.echo(
        f"{summary.source}: {summary.rows:,} rows, {summary.imported:,} graduates {verb} for {summary.session}"
        + (f", {summary.rejected_rows:,} rows rejected" if summary.rejected_rows else "")
    )
    if summary.report:
        typer.echo(f"report: {summary.report}")


@cohort_app.command("generate")
def cohort_generate(
    count: Annotated[int, typer.Option("--count", help="Number of graduates.", min=0, max=1_000_000)],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    session: SessionOption = "2024-normale",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same cohort.")] = 2024,
) -> None:
    """Write a synthetic cohort (realistic, reproducible, never real people) as an import file."""
    from issuer.cohort import ExamSession
    from issuer.generate import write_cohort

    with handled_errors():
        written = write_cohort(out, count=count, seed=seed, session=ExamSession.parse(session))
    typer.echo(f"{out}: {written:,} synthetic graduates for {session} (seed {seed})")


@cohort_app.command("issue")
def cohort_issue(
    session: SessionOption,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Records per transaction.", min=1)] = None,
    json_output: JsonOption = False,
) -> None:
    """Create one diploma record per graduate who has none (exactly once; safe to interrupt and re-run)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from issuer.cohort import ExamSession
    from issuer.records import issue_cohort

    console = Console(stderr=True)
    with handled_errors():
        settings = current_settings()
        engine = open_engine(settings)
        name = str(ExamSession.parse(session))
        with Progress(
            TextColumn("records"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("records", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = issue_cohort(
                engine,
                settings=settings,
                session_name=name,
                actor=actor(),
                clock=clock.now,
                batch_size=batch_size,
                progress=progress,
            )
    if json_output:
        print_json(summary.as_dict())
    else:
        typer.echo(
            f"{name}: {summary.created:,} records created in {summary.batches} batches; "
            f"{summary.already:,} already had one; {summary.remaining:,} graduates without a record"
        )


@cohort_app.command("status")
def cohort_status(session: SessionOption, json_output: JsonOption = False) -> None:
    """Counts for a session: graduates imported, records created, still to create, revoked."""
    from issuer.cohort import ExamSession, cohort_counts

    with handled_errors():
        name = str(ExamSession.parse(session))
        counts = cohort_counts(open_engine(current_settings()), session=name)
    if json_output:
        print_json({"session": name, **counts})
    else:
        typer.echo(
            f"{name}: {counts['graduates']:,} graduates, {counts['with_record']:,} with a record, "
            f"{counts['without_record']:,} without, {counts['revoked_records']:,} revoked records, "
            f"{counts['imports']} imports"
        )
