"""The ministry's letterhead, shared by its documents: the kingdom and the ministry in both scripts, and the rules
under them in the national colours."""

from __future__ import annotations

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
