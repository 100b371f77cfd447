"""The issuer's commands, added to the ``tawtiq`` command by :func:`register`, one module per command group.

``tawtiq serve issuer``, ``tawtiq db upgrade|status|purge``, ``tawtiq cohort import|generate|issue|status``,
``tawtiq diploma show|offer|revoke|suspend|reinstate|supersede|print|check-print``,
``tawtiq diploma signer create|show``, ``tawtiq keys create|rotate|list|retire|
compromise``, ``tawtiq admin token create|list|revoke``, ``tawtiq audit verify|show``.

A thin shell: each command reads the settings (``TAWTIQ_*``), calls the domain and prints the result on
stdout (``--json`` for scripts); progress and diagnostics go to stderr. Exit codes and the shared helpers
are in :mod:`issuer.commands.shell`.
"""

from __future__ import annotations

import typer

from issuer.commands.admin import admin_app
from issuer.commands.audit import audit_app
from issuer.commands.cohort import cohort_app
from issuer.commands.db import db_app
from issuer.commands.diploma import diploma_app
from issuer.commands.keys import keys_app
from issuer.commands.printing import register_printing
from issuer.commands.serve import serve_issuer


def register(app: typer.Typer, serve: typer.Typer) -> None:
    """Add the issuer's command groups to ``app`` and its ``serve`` command to ``serve``."""
    serve.command("issuer")(serve_issuer)
    app.add_typer(db_app, name="db")
    app.add_typer(cohort_app, name="cohort")
    register_printing(diploma_app)
    app.add_typer(diploma_app, name="diploma")
    app.add_typer(keys_app, name="keys")
    app.add_typer(admin_app, name="admin")
    app.add_typer(audit_app, name="audit")
