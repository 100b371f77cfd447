"""The ``tawtiq`` command: one entry point for the platform's chores.

Results go to stdout, progress and diagnostics to stderr. Exit codes: 0 success, 1 the input or
credential was refused, 2 the command could not run (bad arguments, unreadable files, configuration).
"""

from __future__ import annotations

import importlib.metadata
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tawtiq import conformance

app = typer.Typer(
    name="tawtiq",
    help="Tawtiq (توثيق): baccalaureate diplomas as verifiable credentials.",
    no_args_is_help=True,
    add_completion=False,
    # Click's plain help: it shows a flag as a flag (`--json`), where Typer's rich panels print `<bool>`
    # beside every boolean option as if it took a value.
    rich_markup_mode=None,
)
conformance_app = typer.Typer(
    help="The W3C VC-JOSE-COSE test-suite contract: issue|verify --input --key --feature [--sd] --output.",
    no_args_is_help=True,
)
app.add_typer(conformance_app, name="conformance")
serve_app = typer.Typer(help="Run a service: tawtiq serve issuer|verifier|eid [--host] [--port].", no_args_is_help=True)
app.add_typer(serve_app, name="serve")

EXIT_REFUSED = 1
EXIT_ERROR = 2


def _print_version(wanted: bool) -> None:
    if not wanted:
        return
    try:
        version = importlib.metadata.version("tawtiq")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree never installed
        version = "(not installed: run `pip install -e .`)"
    typer.echo(f"tawtiq {version}")
    raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Options that come before the command."""


InputOption = Annotated[Path, typer.Option("--input", help="The credential or presentation file.")]
KeyOption = Annotated[Path, typer.Option("--key", help="A JsonWebKey verification-method file.")]
FeatureOption = Annotated[
    str, typer.Option("--feature", help="credential_jose, presentation_jose, credential_sdjwt, presentation_sdjwt…")
]
OutputOption = Annotated[Path, typer.Option("--output", help='Where to write {"result": ..., "data": ...}.')]


def _finish(output: Path, result: str, data: object) -> None:
    conformance.write_result(output, result, data)
    typer.echo(json.dumps({"result": result}))
    if result == "error":
        typer.echo(f"error: {data}", err=True)
        raise typer.Exit(EXIT_ERROR)
    if result != "success":
        raise typer.Exit(EXIT_REFUSED)


def _feature(value: str) -> conformance.Feature | None:
    try:
        return conformance.Feature(value)
    except ValueError:
        return None


@conformance_app.command("issue")
def conformance_issue(
    input_path: InputOption,
    key: KeyOption,
    feature: FeatureOption,
    output: OutputOption,
    sd: Annotated[str | None, typer.Option("--sd", help='JSON array of claim paths, e.g. ["a.b", "c[0]"].')] = None,
) -> None:
    """Sign an unsigned credential or presentation in the feature's format."""
    chosen = _feature(feature)
    if chosen is None:
        _finish(
            output, "error", f"unknown feature {feature!r}; expected one of {[f.value for f in conformance.Feature]}"
        )
        return
    try:
        paths = json.loads(sd) if sd is not None else []
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise conformance.ConformanceInputError(f"--sd must be a JSON array of strings, got {sd!r}")
        result, data = conformance.run_issue(
            input_path=input_path, key_path=key, feature=chosen, sd=paths, now=datetime.now(UTC)
        )
    except json.JSONDecodeError as exc:
        result, data = "error", f"--sd is not JSON: {exc}"
    except conformance.ConformanceInputError as exc:
        result, data = "error", str(exc)
    _finish(output, result, data)


@conformance_app.command("verify")
def conformance_verify(
    input_path: InputOption,
    key: KeyOption,
    feature: FeatureOption,
    output: OutputOption,
    at: Annotated[
        str | None, typer.Option("--at", help="Apply time rules at this ISO 8601 instant (default: the token's own).")
    ] = None,
) -> None:
    """Verify a secured credential or presentation with the key file's public key."""
    chosen = _feature(feature)
    if chosen is None:
        _finish(
            output, "error", f"unknown feature {feature!r}; expected one of {[f.value for f in conformance.Feature]}"
        )
        return
    try:
        moment = _parse_instant(at) if at is not None else None
        result, data = conformance.run_verify(input_path=input_path, key_path=key, feature=chosen, at=moment)
    except conformance.ConformanceInputError as exc:
        result, data = "error", str(exc)
    _finish(output, result, data)


def _parse_instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise conformance.ConformanceInputError(f"--at is not an ISO 8601 instant: {text!r}") from exc
    if moment.tzinfo is None:
        raise conformance.ConformanceInputError(f"--at needs a time zone, e.g. {text}Z")
    return moment


@app.command()
def demo(
    engine: Annotated[
        bool, typer.Option("--engine", help="Only the engine's loop, in-process: no services, no wallet.")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="A fresh (absent or empty) directory to keep; default: a temporary one."),
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Stop the services after the walk-through instead of at Ctrl-C.")
    ] = False,
    after_results: Annotated[
        bool,
        typer.Option(
            "--after-results",
            help="After the results: a complaint in the candidate portal, upheld by the academy's reviewer, "
            "corrects the diploma in the wallet.",
        ),
    ] = False,
) -> None:
    """The credential loop on this machine: the issuer and the verifier start on localhost, a graduate receives
    a diploma in the wallet, presents it to a university (OpenID4VP), shares a link; the ministry revokes the
    diploma and both show it. With --after-results: the exam year, the eID and the candidate portal, where a
    complaint about a mark changes the mention; the old copy in the wallet is then revoked and the corrected one
    valid. The services then keep running until Ctrl-C. Exit code 1 if a verdict is not the expected one, 2 if
    the walk-through cannot run.
    """
    from tawtiq.demo import DemoError, run_after_results, run_engine, run_platform

    if engine:
        run_engine()
        return
    try:
        if after_results:
            outcome = run_after_results(directory=data_dir, wait=not no_wait)
            if not outcome.expected:
                raise typer.Exit(EXIT_REFUSED)
            return
        result = run_platform(directory=data_dir, wait=not no_wait)
    except DemoError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    if not result.expected:
        raise typer.Exit(EXIT_REFUSED)


def _register_services() -> None:
    """Each service adds its own command groups; they import their heavy dependencies lazily."""
    from eid.cli import register as register_eid
    from exams.commands import register as register_exams
    from issuer.commands import register as register_issuer
    from portal.cli import register as register_portal
    from verifier.cli import register as register_verifier

    register_issuer(app, serve_app)
    register_verifier(app, serve_app)
    register_portal(app, serve_app)
    register_eid(app, serve_app)
    register_exams(app)


_register_services()


def main() -> None:
    """Console entry point."""
    app(prog_name="tawtiq")


if __name__ == "__main__":  # pragma: no cover
    main()
