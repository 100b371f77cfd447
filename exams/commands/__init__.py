"""The exam year's commands, added to the ``tawtiq`` command as ``tawtiq exam …`` by :func:`register`.

``tawtiq exam db-upgrade``, ``exam candidates generate|import``, ``exam marks generate|import``, ``exam deliberate``,
``exam publish``, ``exam complaints``. A thin shell over :mod:`exams` with the issuer's conventions
(:mod:`issuer.commands.shell`): the ``TAWTIQ_*`` settings (the ministry's database is the issuer's), results on
stdout (``--json`` for scripts), progress and diagnostics on stderr, exit code 1 for a refused input and 2 when the
command cannot run.
"""

from __future__ import annotations

import typer

from exams.commands.exam import exam_app


def register(app: typer.Typer) -> None:
    """Add ``tawtiq exam`` to ``app``."""
    app.add_typer(exam_app, name="exam")
