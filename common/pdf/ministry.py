"""What the ministry's documents share: the letterhead (the kingdom and the ministry in both scripts, and the rules
under them in the national colours) and the framed table of labelled rows (French on the left, Arabic on the right)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from common.pdf.sheet import PAGE_WIDTH, Colour, Sheet

KINGDOM_AR: Final = "المملكة المغربية"
KINGDOM_FR: Final = "Royaume du Maroc"
MINISTRY_AR: Final = "وزارة التربية الوطنية والتعليم الأولي والرياضة"
MINISTRY_FR: Final = "Ministère de l'Éducation nationale, du Préscolaire et des Sports"

#: Margins of the documents, millimetres, and the width between them.
MARGIN: Final = 15.0
INNER: Final = PAGE_WIDTH - 2 * MARGIN
GREEN: Final[Colour] = (0, 98, 51)
RED: Final[Colour] = (193, 39, 45)
SHADE: Final[Colour] = (236, 242, 238)
GREY: Final[Colour] = (90, 90, 90)
WHITE: Final[Colour] = (255, 255, 255)


def letterhead(sheet: Sheet, *, top: float = 12.0) -> float:
    """Draw the letterhead from ``top``; return the height under it where the document's title may start."""
    half = INNER / 2
    right = MARGIN + half + 5
    sheet.text(KINGDOM_FR, x=MARGIN, y=top, width=half - 5, height=6, size=12, bold=True, field="kingdom", max_chars=40)
    sheet.text(
        KINGDOM_AR,
        x=right,
        y=top,
        width=half - 5,
        height=6,
        size=14,
        bold=True,
        field="kingdom",
        max_chars=40,
        align="right",
    )
    sheet.text(MINISTRY_FR, x=MARGIN, y=top + 6, width=half - 5, height=10, size=9.5, field="ministry", max_chars=80)
    sheet.text(
        MINISTRY_AR,
        x=right,
        y=top + 6,
        width=half - 5,
        height=10,
        size=11,
        field="ministry",
        max_chars=80,
        align="right",
    )
    sheet.line(MARGIN, top + 19, PAGE_WIDTH - MARGIN, top + 19, width=0.8, colour=GREEN)
    sheet.line(MARGIN, top + 20.2, PAGE_WIDTH - MARGIN, top + 20.2, width=0.4, colour=RED)
    return top + 25


@dataclass(frozen=True)
class LabelledRow:
    """A row of :func:`labelled_rows`: the French label on the left, the Arabic label on the right, and between them
    the value in each script, or one value centred when ``value_ar`` is None (a number, an identifier).

    ``field`` names the French (or the one) value in a :class:`common.pdf.text.PdfTextError`, ``field_ar`` the
    Arabic one; ``max_chars`` bounds each value. ``size`` and ``bold`` are the centred value's; a row is shaded every
    other one unless ``shaded`` is False.
    """

    label_fr: str
    label_ar: str
    value: str
    field: str
    max_chars: int
    value_ar: str | None = None
    field_ar: str = ""
    size: float = 12
    bold: bool = True
    shaded: bool = True


#: The width of each label's column, millimetres.
LABEL_WIDTH: Final = 30.0


def labelled_rows(sheet: Sheet, rows: Sequence[LabelledRow], *, top: float, height: float) -> float:
    """Draw ``rows`` from ``top``, each ``height`` millimetres high, in a green frame; return the bottom of the table.

    Raises :class:`common.pdf.text.PdfTextError` for a value that cannot be printed, naming its field.
    """
    value_width = INNER / 2 - LABEL_WIDTH - 2
    sheet.box(MARGIN, top, INNER, height * len(rows), line_width=0.3, stroke=GREEN)
    y = top
    for index, row in enumerate(rows):
        if index % 2 == 0 and row.shaded:
            sheet.box(MARGIN, y, INNER, height, stroke=None, fill=SHADE)
        sheet.text(
            row.label_fr,
            x=MARGIN + 2,
            y=y,
            width=LABEL_WIDTH - 2,
            height=height,
            size=9.5,
            field="label",
            max_chars=40,
            colour=GREY,
        )
        sheet.text(
            row.label_ar,
            x=PAGE_WIDTH - MARGIN - LABEL_WIDTH,
            y=y,
            width=LABEL_WIDTH - 2,
            height=height,
            size=11,
            field="label",
            max_chars=40,
            align="right",
            colour=GREY,
        )
        if row.value_ar is None:
            sheet.text(
                row.value,
                x=MARGIN + LABEL_WIDTH,
                y=y,
                width=INNER - 2 * LABEL_WIDTH,
                height=height,
                size=row.size,
                bold=row.bold,
                field=row.field,
                max_chars=row.max_chars,
                align="center",
            )
        else:
            sheet.text(
                row.value,
                x=MARGIN + LABEL_WIDTH,
                y=y,
                width=value_width,
                height=height,
                size=11,
                bold=True,
                field=row.field,
                max_chars=row.max_chars,
                lines=2,
            )
            sheet.text(
                row.value_ar,
                x=PAGE_WIDTH - MARGIN - LABEL_WIDTH - value_width,
                y=y,
                width=value_width,
                height=height,
                size=13,
                bold=True,
                field=row.field_ar,
                max_chars=row.max_chars,
                align="right",
                lines=2,
            )
        y += height
    return y
