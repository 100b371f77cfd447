"""The verifier's commands, added to the `tawtiq` command by :func:`register`."""

from __future__ import annotations

import typer


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the verifier's command groups to ``app`` and its ``serve`` command to ``serve``."""
