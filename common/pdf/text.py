"""The text a document may print: checked once, where a document is built, before anything is drawn.

A value is NFC-normalised (so an Arabic name typed with decomposed hamza or vowel marks prints and extracts the same
as its composed form) and refused when it holds what a printed page cannot show honestly: control characters, the
invisible bidirectional controls that reorder what a reader sees without changing what a program reads (U+202E
would print a CNIE number backwards), private-use or unassigned code points, or a character the embedded font has no
glyph for (it would print as an empty box). Lengths are bounded so that a value fits its place on the page.

Refusals are :class:`PdfTextError` with a stable code. They name the field, the position and the code point, never
the value itself: the values are names and identification numbers, and errors end up in logs.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Final

from fontTools.ttLib import TTFont

from vc.errors import CredentialError

#: The fonts embedded in every document (Amiri: Arabic and Latin in one family; see fonts/README.md).
FONT_DIRECTORY: Final = Path(__file__).parent / "fonts"
REGULAR_FONT: Final = FONT_DIRECTORY / "Amiri-Regular.ttf"
BOLD_FONT: Final = FONT_DIRECTORY / "Amiri-Bold.ttf"

#: Format characters that belong in Arabic text: the zero-width non-joiner and joiner choose a letter's form.
_ALLOWED_FORMAT: Final = frozenset({"\u200c", "\u200d"})
#: Unicode general categories never printed: controls, other format characters (the bidi embeddings, overrides,
#: isolates and marks among them), surrogates, private use, unassigned.
_REFUSED_CATEGORIES: Final = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}
#: Separators other than the plain space: line and paragraph separators break a cell.
_REFUSED_SEPARATORS: Final = {"Zl": "a line separator", "Zp": "a paragraph separator"}


class PdfTextError(CredentialError):
    """A value cannot be printed as given. ``code`` says why; ``found`` names the field and the character."""

    default_code = "pdf.text_invalid"


class TextEmptyError(PdfTextError):
    """A required value is empty (or only spaces)."""

    default_code = "pdf.text_empty"


class TextTooLongError(PdfTextError):
    """A value is longer than its place on the page allows."""

    default_code = "pdf.text_too_long"


class GlyphMissingError(PdfTextError):
    """A character the embedded font cannot draw."""

    default_code = "pdf.glyph_missing"


@cache
def _printable_code_points() -> frozenset[int]:
    """Code points both embedded fonts have a glyph for."""
    points: set[int] | None = None
    for path in (REGULAR_FONT, BOLD_FONT):
        with TTFont(path, lazy=True) as font:
            mapped = set(font.getBestCmap())
        points = mapped if points is None else points & mapped
    return frozenset(points or ())


def checked_text(value: str, *, field: str, max_chars: int, required: bool = True) -> str:
    """Return ``value`` NFC-normalised with outer spaces removed, ready to print.

    ``field`` names the value in errors. Inner runs of spaces are kept as given (a name is printed as the registry
    holds it). Raises :class:`TextEmptyError` when ``required`` and the value is blank, :class:`TextTooLongError`
    past ``max_chars`` characters, :class:`PdfTextError` for a character a page must not carry and
    :class:`GlyphMissingError` for one the embedded font cannot draw.
    """
    if not isinstance(value, str):
        raise PdfTextError(
            f"{field} is not text", code="pdf.text_type", found=type(value).__name__, expected="a string"
        )
    text = unicodedata.normalize("NFC", value).strip(" ")
    if not text:
        if required:
            raise TextEmptyError(f"{field} is empty", found="an empty value", expected="at least one character")
        return text
    if len(text) > max_chars:
        raise TextTooLongError(
            f"{field} is too long to print",
            found=f"{len(text)} characters",
            expected=f"at most {max_chars} characters",
        )
    printable = _printable_code_points()
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        refused = _REFUSED_CATEGORIES.get(category) or _REFUSED_SEPARATORS.get(category)
        if refused and char not in _ALLOWED_FORMAT:
            raise PdfTextError(
                f"{field} holds {refused}",
                code="pdf.text_control" if category in {"Cc", "Cf", "Zl", "Zp"} else "pdf.text_invalid",
                found=f"U+{ord(char):04X} at character {position}",
                expected="printable letters, digits, spaces and punctuation",
            )
        if ord(char) not in printable and char not in _ALLOWED_FORMAT:
            raise GlyphMissingError(
                f"{field} holds a character the document's font cannot draw",
                found=f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')}) at character {position}",
                expected="Arabic or Latin letters, digits and common punctuation",
            )
    return text
