"""The ``tawtiq`` command itself: its version, and help that shows flags as flags."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from tawtiq.cli import app


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"tawtiq {importlib.metadata.version('tawtiq')}\n"


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``command`` (Typer's click groups and commands, duck-typed: Typer may vendor click)."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_help_shows_boolean_options_as_flags() -> None:
    root = typer.main.get_command(app)
    seen = 0
    for path, command in _commands(root):
        result = CliRunner().invoke(app, [*path, "--help"], terminal_width=120)
        assert result.exit_code == 0, (path, result.stdout)
        for marker in ("<bool>", "BOOLEAN"):
            assert marker not in result.stdout, (path, result.stdout)
        flags = [option for option in command.params if getattr(option, "is_flag", False)]
        for flag in flags:
            assert flag.opts[-1] in result.stdout, (path, flag.opts)
        seen += 1
    assert seen > 30
