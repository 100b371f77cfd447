"""What the wallet prints of another issuer's values: plain text, isolated, invisible characters made visible."""

from __future__ import annotations

import io

from rich.console import Console

import schemas
from wallet_cli import render


def _printed(renderable: object) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(renderable)
    return buffer.getvalue()


def test_a_name_that_lies_is_printed_isolated_with_its_override_shown() -> None:
    subject = schemas.sample_subject()
    subject["givenName"] = {"ar": "سلمى", "lat": "Salma\u202eLIAF ENO"}
    subject["familyName"] = {"ar": "العلوي", "lat": "[bold red]Alaoui[/bold red]"}

    printed = _printed(render.claims_table(subject, lang="fr", labels={"givenName": {"fr": "Prénom\u202e"}}))

    assert "\u202e" not in printed
    assert "\u2068Salma[U+202E]LIAF ENO\u2069" in printed
    assert "\u2068Prénom[U+202E]\u2069" in printed, "labels from the issuer's metadata are foreign too"
    assert "\u2068[bold red]Alaoui[/bold red]\u2069" in printed, "a value is never read as Rich markup"


def test_both_scripts_of_a_name_are_marked() -> None:
    value = {"ar": "سلمى\u200f", "lat": "Salma"}
    assert render.value_text("givenName", value, None) == "Salma · سلمى[U+200F]"
    assert render.shown("x").plain == "\u2068x\u2069"
