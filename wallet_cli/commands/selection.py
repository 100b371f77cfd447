"""Choosing what a command works on: which diploma and which copy, which claims to disclose (with the personal-data
warning), and recording that a copy was shown to a verifier.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from rich.panel import Panel
from rich.text import Text

import schemas
from wallet_cli import checking, render
from wallet_cli.commands.runtime import Ui
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.model import Copy, Diploma, Labels, Verifier, WalletData


def pick_diploma(data: WalletData, identifier: str | None, *, profile: str | None = None) -> Diploma:
    if identifier is not None:
        return data.diploma(identifier)
    candidates = [d for d in data.diplomas if profile is None or d.copies_of(profile)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UsageError(
            "the wallet holds no diploma" + (f" with a {profile} copy" if profile else ""),
            code="diploma.none",
            hint=f"The diplomas here have only {', '.join(sorted({p for d in data.diplomas for p in d.profiles()}))} "
            f"copies; receive the diploma again from an offer that includes {profile}."
            if data.diplomas
            else "Receive one first with `tawtiq-wallet receive`.",
        )
    raise UsageError(
        f"the wallet holds {len(candidates)} diplomas; say which with --diploma ID",
        code="diploma.ambiguous",
        found=[d.id for d in candidates],
    )


def subject_of(diploma: Diploma) -> dict[str, Any]:
    return checking.read_copy(diploma.copies[0].credential).subject


def parse_claims(text: str, *, option: str = "--disclose") -> tuple[str, ...]:
    """``familyName,givenName`` -> the claim names, each a top-level diploma claim. Raises :class:`UsageError`."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise UsageError(
            f"{option} names no claim", code="disclose.empty", expected="e.g. familyName,givenName,mention"
        )
    unknown = [name for name in names if name not in schemas.SUBJECT_CLAIMS]
    if unknown:
        nested = [name for name in unknown if name.split(".")[0] in schemas.SUBJECT_CLAIMS]
        what = "parts of claims" if len(nested) == len(unknown) else "claims a diploma does not have"
        raise UsageError(
            f"{option} names {what}: {', '.join(unknown)}",
            code="disclose.unknown_claim",
            expected=f"whole claims among {', '.join(schemas.SUBJECT_CLAIMS)}",
            hint="Each claim is disclosed whole (e.g. familyName gives both the Arabic and the Latin spelling).",
        )
    return tuple(dict.fromkeys(names))


def private_warning(ui: Ui, chosen: Sequence[str], labels: Mapping[str, Labels]) -> list[str]:
    private = [name for name in chosen if name in schemas.PRIVATE_CLAIMS]
    if private:
        described = ", ".join(f"{name} ({render.label(name, ui.lang or 'fr', labels)})" for name in private)
        ui.err.print(
            Panel(
                Text(
                    f"You are about to disclose personal data: {described}.\n"
                    "Your CNIE number, birth date, birth place and Massar code identify you everywhere; "
                    "a diploma check rarely needs them. Disclose them only if you know why this verifier needs them.",
                ),
                title="⚠ personal data",
                border_style="bold red",
            )
        )
    return private


def use_copy(diploma: Diploma, profile: str) -> Copy:
    copy = diploma.least_used(profile)
    if copy is None:
        raise RefusedError(
            f"this diploma has no {profile} copy",
            code="diploma.profile_missing",
            found=list(diploma.profiles()),
            expected=profile,
            hint="Receive the diploma again from an offer that includes this profile.",
        )
    return copy


def count_use(data: WalletData, diploma_id: str, copy_id: str, verifier: str, when: datetime) -> WalletData:
    """Record that a copy was shown to ``verifier`` (the least-used copy goes next; the verifier is now met)."""
    with contextlib.suppress(UsageError):
        diploma = data.diploma(diploma_id)
        for copy in diploma.copies:
            if copy.id == copy_id:
                data = data.with_diploma(diploma.with_copy(replace(copy, presentations=copy.presentations + 1)))
    met = data.verifier(verifier) or Verifier(origin=verifier, first_seen=when)
    return data.with_verifier(
        replace(met, presentations=met.presentations + 1, last_seen=when, first_seen=met.first_seen or when)
    )
