"""Before a final action the operator sees whose diploma it is, and confirms (``--yes`` for scripts).

A revocation cannot be undone and a supersession revokes: ``tawtiq diploma revoke`` and ``supersede`` show
the graduate's name, session and mention — the CNIE number masked (``BE****56``), never in full — then ask on
the terminal. Declining changes nothing (exit 1); with no terminal to ask on and no ``--yes`` the command
refuses before changing anything (exit 2).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

import schemas
from issuer.commands.shell import EXIT_ERROR, EXIT_REFUSED, fail

if TYPE_CHECKING:  # pragma: no cover
    from issuer.records import RecordView

YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts); the diploma is still shown.")
]

#: Claims shown by name only when a correction changes them: identifiers and birth data stay off the screen.
PERSONAL_CLAIMS = frozenset({"cnie", "massarCode", "birthDate", "birthPlace"})


def mask_cnie(cnie: str) -> str:
    """``BE123456`` → ``BE****56``: enough to tell two graduates apart, not enough to copy the number."""
    return schemas.mask_identifier(cnie)


def _full_name(claims: dict[str, Any], script: str) -> str:
    parts = [claims.get("givenName"), claims.get("familyName")]
    return " ".join(str(part[script]) for part in parts if isinstance(part, dict) and part.get(script))


def _isolated(text: str) -> str:
    return schemas.isolated(text) if text else text


def shown_value(value: Any) -> str:
    """A claim value on an operator's line: text (names, places, schools) isolated (U+2068 … U+2069) so that
    Arabic cannot reorder the Latin line around it, with any invisible character shown by code point; numbers
    as they are."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return schemas.isolated(text)


def whose(record: RecordView) -> str:
    """One line naming the graduate and the record: name (Latin and Arabic), session, mention, masked CNIE."""
    claims = record.claims
    # Each name is isolated (U+2068 … U+2069): the Arabic one cannot reorder the Latin line around it.
    latin, arabic = _isolated(_full_name(claims, "lat")), _isolated(_full_name(claims, "ar"))
    name = f"{latin} ({arabic})" if latin and arabic else latin or arabic or "(no name)"
    copies = f"{record.copies} signed cop{'y' if record.copies == 1 else 'ies'}"
    return (
        f"{name}, session {record.session}, mention {claims.get('mention', '?')}, "
        f"CNIE {mask_cnie(str(claims.get('cnie', '')))} — record {record.id} v{record.version}, "
        f"{record.status}, {copies}"
    )


def changed_claims(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The claims a correction changes, as ``name: old → new`` (personal claims by name only)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        if name in PERSONAL_CLAIMS:
            lines.append(f"{name}: changed")
        else:
            lines.append(
                f"{name}: {shown_value(before.get(name, '(absent)'))} → {shown_value(after.get(name, '(absent)'))}"
            )
    return lines


def stdin_is_terminal() -> bool:
    """Whether there is someone at a terminal to answer a question."""
    return sys.stdin.isatty()


def confirm_final(question: str, *, yes: bool, action: str) -> None:
    """Ask ``question`` on the terminal unless ``yes``; exit 1 when declined, 2 when nobody can be asked.

    ``action`` names what did not happen, for the message: e.g. ``"revoke"``.
    """
    if yes:
        return
    if not stdin_is_terminal():
        fail(
            f"error: cannot {action} without a confirmation: there is no terminal to ask on (stdin is not a tty). "
            f"Nothing was changed. Check the diploma shown above and run the command again with --yes.",
            EXIT_ERROR,
        )
    try:
        agreed = typer.confirm(question, default=False, err=True)
    except click.exceptions.Abort:  # Ctrl-C or end of input at the prompt
        agreed = False
    if not agreed:
        fail(f"not confirmed: did not {action}; nothing was changed", EXIT_REFUSED)
