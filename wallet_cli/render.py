"""How the wallet shows things: claims with their Arabic, French and English labels, reports, tables.

Labels come from the issuer's metadata kept with each diploma, then from the diploma's type metadata
(:func:`schemas.claim_label`). Arabic is right-aligned. ``lang=None`` shows all three languages.

Every value that came from an issuer (claims, labels, names, check messages) reaches the terminal through
:func:`shown`: as plain text (never read as Rich markup), inside U+2068 FIRST STRONG ISOLATE … U+2069 so it
cannot reorder the line around it, with invisible or reordering characters shown by code point (``[U+202E]``):
a foreign issuer is not bound by our import's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from rich.table import Table
from rich.text import Text

import schemas
from vc import Outcome, VerificationReport
from wallet_cli.model import Diploma, Labels

LANGUAGES: Final = ("ar", "fr", "en")
_LANGUAGE_NAMES: Final = {"ar": "العربية", "fr": "Français", "en": "English"}
_OUTCOME_STYLE: Final = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.NOT_CHECKED: "yellow"}
VERDICT_STYLE: Final = {"valid": "bold green", "invalid": "bold red", "indeterminate": "bold yellow"}
VERDICT_WORDS: Final = {
    "valid": {"ar": "صالحة", "fr": "Valide", "en": "VALID"},
    "invalid": {"ar": "غير صالحة", "fr": "Non valide", "en": "INVALID"},
    "indeterminate": {"ar": "تعذّر التحقق", "fr": "Vérification impossible", "en": "COULD NOT BE CHECKED"},
}


def shown(value: object, *, style: str = "") -> Text:
    """A value from a credential or an issuer, fit for a terminal (see the module docstring)."""
    return Text(schemas.isolated(str(value)), style=style)


def label(claim: str, lang: str, labels: Mapping[str, Labels] | None = None) -> str:
    """The label of a top-level claim in ``lang``: the issuer's, else the type metadata's."""
    own = (labels or {}).get(claim, {})
    return own.get(lang) or schemas.claim_label([claim], lang)


def all_labels(claim: str, labels: Mapping[str, Labels] | None = None) -> dict[str, str]:
    return {lang: label(claim, lang, labels) for lang in LANGUAGES}


def value_text(claim: str, value: Any, lang: str | None) -> str:
    """A claim value as a person reads it; without ``lang``, names show both their Latin and Arabic forms."""
    if lang is not None:
        return schemas.display_value(claim, value, lang)
    latin = schemas.display_value(claim, value, "fr")
    arabic = schemas.display_value(claim, value, "ar")
    if isinstance(value, Mapping) and isinstance(value.get("ar"), str) and arabic != latin:
        return f"{latin} · {arabic}"
    return latin


def localized(names: Labels, lang: str | None) -> str:
    """A name from a locale map: ``lang``'s, else French, English, Arabic, any."""
    for candidate in (lang, "fr", "en", "ar"):
        if candidate and names.get(candidate):
            return names[candidate]
    return next(iter(names.values()), "")


def claims_table(
    subject: Mapping[str, Any],
    *,
    lang: str | None,
    labels: Mapping[str, Labels] | None,
    only: Sequence[str] | None = None,
) -> Table:
    """Every claim of the diploma (or ``only`` those) with its label(s) and value."""
    table = Table(show_header=True, header_style="bold", expand=False)
    right = lang == "ar"
    if lang is None:
        table.add_column(_LANGUAGE_NAMES["ar"], justify="right")
        table.add_column(_LANGUAGE_NAMES["fr"])
        table.add_column(_LANGUAGE_NAMES["en"])
    else:
        table.add_column(_LANGUAGE_NAMES[lang], justify="right" if right else "left")
    table.add_column("claim", style="dim")
    table.add_column("value" if not right else "القيمة", justify="right" if right else "left", overflow="fold")
    names = [name for name in (only or schemas.SUBJECT_CLAIMS) if only is not None or name in subject]
    for name in names:
        text = value_text(name, subject[name], lang) if name in subject else "—"
        private = name in schemas.PRIVATE_CLAIMS
        cells = [shown(label(name, code, labels)) for code in (LANGUAGES if lang is None else (lang,))]
        table.add_row(*cells, Text(name + (" 🔒" if private else "")), shown(text))
    return table


def report_table(report: VerificationReport) -> Table:
    """The checks of a report in order, each with its outcome, code and message."""
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("code")
    table.add_column("message", overflow="fold")
    for check in report.checks:
        style = _OUTCOME_STYLE[check.outcome]
        table.add_row(str(check.name), Text(str(check.outcome), style=style), check.code, shown(check.message))
    return table


def verdict_text(verdict: str, lang: str | None) -> Text:
    words = VERDICT_WORDS.get(verdict, {})
    shown = words.get(lang, "") if lang else " · ".join(words.get(code, "") for code in ("en", "fr", "ar"))
    return Text(shown or verdict.upper(), style=VERDICT_STYLE.get(verdict, "bold"))


def diploma_summary(diploma: Diploma, subject: Mapping[str, Any], lang: str | None) -> dict[str, str]:
    """The few facts that tell diplomas apart in a list."""
    given, family = subject.get("givenName"), subject.get("familyName")
    name = " ".join(
        value_text(claim, value, lang or "fr")
        for claim, value in (("givenName", given), ("familyName", family))
        if value
    )
    return {
        "name": name,
        "session": value_text("session", subject["session"], lang or "fr") if "session" in subject else "",
        "mention": value_text("mention", subject["mention"], lang or "fr") if "mention" in subject else "",
        "average": value_text("generalAverage", subject["generalAverage"], lang) if "generalAverage" in subject else "",
        "issuer": localized(diploma.issuer_name, lang) or diploma.issuer,
    }
