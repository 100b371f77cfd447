"""How both demos print what they saw: the engine's verification reports and claims, and the verifier's and
the wallet's JSON answers as tables and verdict lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table
from rich.text import Text

import schemas
from vc import VerificationReport
from vc.report import Outcome, Verdict

_COLOURS = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.NOT_CHECKED: "yellow"}
VERDICT_STYLE = {Verdict.VALID: "bold green", Verdict.INVALID: "bold red", Verdict.INDETERMINATE: "bold yellow"}


def report_table(report: VerificationReport) -> Table:
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("code")
    table.add_column("message", overflow="fold")
    for check in report.checks:
        colour = _COLOURS[check.outcome]
        table.add_row(str(check.name), f"[{colour}]{check.outcome}[/]", check.code, check.message)
    return table


def claims_table(subject: Mapping[str, Any]) -> Table:
    table = Table(show_header=True, header_style="bold")
    table.add_column("claim")
    table.add_column("العربية", justify="right")
    table.add_column("français")
    table.add_column("value", overflow="fold")
    for name in schemas.SUBJECT_CLAIMS:
        if name not in subject:
            continue
        value = subject[name]
        table.add_row(
            name,
            schemas.claim_label([name], "ar"),
            schemas.claim_label([name], "fr"),
            schemas.display_value(name, value, "fr"),
        )
    return table


def verdict_table(result: Mapping[str, Any]) -> Table:
    """The checks of a verifier's answer (its ``report``), each with its outcome and message."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("code")
    table.add_column("message", overflow="fold")
    for check in result.get("report", {}).get("checks", []) or result.get("checks", []):
        colour = {"passed": "green", "failed": "red"}.get(check["outcome"], "yellow")
        table.add_row(check["check"], f"[{colour}]{check['outcome']}[/]", check["code"], check["message"])
    return table


def copies_table(report: Mapping[str, Any]) -> Table:
    """The wallet's ``verify --json`` in brief: each copy's verdict and its status check."""
    table = Table(show_header=True, header_style="bold")
    for column in ("copy", "profile", "verdict", "status check"):
        table.add_column(column, overflow="fold")
    for copy in report.get("copies", []):
        status: Mapping[str, Any] = next((check for check in copy["checks"] if check["check"] == "status"), {})
        table.add_row(
            copy["id"],
            copy["profile"],
            verdict_line("", copy["verdict"]).plain.lstrip(": "),
            f"{status.get('code')}: {status.get('message')}",
        )
    return table


def verdict_line(label: str, verdict: str) -> Text:
    style = VERDICT_STYLE.get(Verdict(verdict), "bold") if verdict in set(Verdict) else "bold"
    return Text.assemble(f"{label}: ", (verdict.upper(), style))
