"""The candidate's convocation to the baccalaureate exam: one A4 page in Arabic and French.

The ministry's header, the candidate (names in both scripts, CNIE, Massar code, school, exam centre) and the
schedule of the candidate's subjects, each label given in Arabic on the right and in French on the left. The
portal maps the exam year's ``Convocation`` onto :class:`ConvocationDocument` and calls :func:`render_convocation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from common.pdf.ministry import (
    GREEN,
    INNER,
    KINGDOM_FR,
    MARGIN,
    MINISTRY_FR,
    SHADE,
    WHITE,
    LabelledRow,
    labelled_rows,
    letterhead,
)
from common.pdf.sheet import PAGE_HEIGHT, DocumentInfo, Sheet, line_height_of
from common.pdf.text import PdfTextError

#: The most subjects one page holds, on one line each; a stream has at most a dozen written exams (a free candidate
#: sits them all: ten at most in the rules file). Past it, or when wrapped labels make the rows taller than the page,
#: the convocation is refused rather than printed off the page.
MAX_SCHEDULE_LINES: Final = 12
#: Bounds on the values, in characters: the longest generated names are 40, school names about 70.
NAME_CHARS: Final = 60
LABEL_CHARS: Final = 120
IDENTIFIER_CHARS: Final = 20
WHEN_CHARS: Final = 32
#: The schedule's sizes in points: a subject's label wraps on up to ``SUBJECT_LINES`` lines at its size, and is
#: printed smaller (down to 70%, still legible on paper) only when three lines are not enough.
SUBJECT_FR_SIZE: Final = 10.5
SUBJECT_AR_SIZE: Final = 12.0
SUBJECT_LINES: Final = 3
WHEN_SIZE: Final = 10.5
#: A schedule row's height (mm) when its labels hold on one line; a row of wrapped labels grows to hold them.
ROW_HEIGHT: Final = 8.0
#: The lowest the notice may end (mm from the top): the printable area of an office printer.
PAGE_BOTTOM: Final = PAGE_HEIGHT - 10
_CELL_PADDING: Final = 3.0
#: The narrowest date or time column: its two-line header (Arabic above French) needs it.
_MIN_WHEN_WIDTH: Final = 14.0

TITLE_AR: Final = "استدعاء لاجتياز امتحان البكالوريا"
TITLE_FR: Final = "Convocation à l'examen du baccalauréat"
NOTICE_AR: Final = (
    "يتعين على المترشح(ة) الحضور إلى مركز الامتحان نصف ساعة قبل بداية كل اختبار، مصحوبا بهذا الاستدعاء "
    "وبالبطاقة الوطنية للتعريف الإلكترونية. يمنع إدخال الهاتف المحمول وكل وسيلة اتصال إلى قاعة الامتحان."
)
NOTICE_FR: Final = (
    "Le candidat se présente au centre d'examen une demi-heure avant le début de chaque épreuve, muni de la "
    "présente convocation et de sa carte nationale d'identité électronique. Le téléphone portable et tout moyen "
    "de communication sont interdits dans la salle d'examen."
)


@dataclass(frozen=True)
class ScheduleLine:
    """One written exam of the candidate: the subject's labels, its day and its start and end times (as printed)."""

    subject_ar: str
    subject_fr: str
    date: str
    start: str
    end: str


@dataclass(frozen=True)
class ConvocationDocument:
    """Everything a convocation prints, as plain strings (the portal formats dates and times).

    ``issued_at`` dates the PDF (its metadata); the same document with the same ``issued_at`` renders to the same
    bytes. Left out, the PDF is dated when it is rendered.
    """

    family_name_ar: str
    given_name_ar: str
    family_name_lat: str
    given_name_lat: str
    cnie: str
    massar_code: str
    session_ar: str
    session_fr: str
    exam_centre_ar: str
    exam_centre_fr: str
    school_ar: str
    school_fr: str
    schedule: Sequence[ScheduleLine]
    issued_at: datetime | None = None


def render_convocation(doc: ConvocationDocument) -> bytes:
    """The convocation as a one-page A4 PDF, fonts embedded.

    Raises :class:`common.pdf.text.PdfTextError` (a ``pdf.*`` code naming the field) for a value that cannot be
    printed: empty, too long, a control character, a character the font cannot draw; ``convocation.schedule_empty``
    or ``convocation.schedule_too_long`` for a schedule of no or too many subjects.
    """
    if not doc.schedule:
        raise PdfTextError(
            "the convocation has no subject to sit",
            code="convocation.schedule_empty",
            found="0 subjects",
            expected="at least one subject in the schedule",
        )
    if len(doc.schedule) > MAX_SCHEDULE_LINES:
        raise PdfTextError(
            "the convocation's schedule does not fit one page",
            code="convocation.schedule_too_long",
            found=f"{len(doc.schedule)} subjects",
            expected=f"at most {MAX_SCHEDULE_LINES}",
        )
    sheet = Sheet(
        DocumentInfo(
            title=f"{TITLE_FR} — {doc.session_fr}",
            subject=f"{TITLE_AR} / {TITLE_FR}",
            author=f"{KINGDOM_FR} — {MINISTRY_FR}",
            created=doc.issued_at or datetime.now(UTC),
            language="ar-MA",
        )
    )
    sheet.add_page()
    y = _header(sheet, session_ar=doc.session_ar, session_fr=doc.session_fr)
    y = _candidate(sheet, doc, top=y + 6)
    y = _schedule(sheet, doc.schedule, top=y + 8)
    bottom = _notice(sheet, top=y + 8)
    if bottom > PAGE_BOTTOM:
        raise PdfTextError(
            "the convocation's schedule does not fit one page",
            code="convocation.page_full",
            found=f"the page's text ends at {bottom:.1f} mm ({len(doc.schedule)} subjects)",
            expected=f"at most {PAGE_BOTTOM:g} mm from the top of the page",
        )
    return sheet.finish()


def _header(sheet: Sheet, *, session_ar: str, session_fr: str) -> float:
    half = INNER / 2
    letterhead(sheet)
    sheet.text(
        TITLE_AR,
        x=MARGIN,
        y=37,
        width=INNER,
        height=10,
        size=20,
        bold=True,
        field="title",
        max_chars=60,
        align="center",
        colour=GREEN,
    )
    sheet.text(
        TITLE_FR,
        x=MARGIN,
        y=47,
        width=INNER,
        height=8,
        size=15,
        bold=True,
        field="title",
        max_chars=60,
        align="center",
        colour=GREEN,
    )
    sheet.text(
        session_ar,
        x=MARGIN + half,
        y=56,
        width=half,
        height=7,
        size=13,
        field="session_ar",
        max_chars=LABEL_CHARS,
        align="center",
    )
    sheet.text(
        session_fr,
        x=MARGIN,
        y=56,
        width=half,
        height=7,
        size=12,
        field="session_fr",
        max_chars=LABEL_CHARS,
        align="center",
    )
    return 63.0


def _candidate(sheet: Sheet, doc: ConvocationDocument, *, top: float) -> float:
    """The candidate's rows: French label and value on the left, Arabic value and label on the right."""
    names = [
        # (label fr, value fr, value ar, label ar, field)
        ("Nom", doc.family_name_lat, doc.family_name_ar, "الاسم العائلي", "family_name"),
        ("Prénom", doc.given_name_lat, doc.given_name_ar, "الاسم الشخصي", "given_name"),
        ("Établissement", doc.school_fr, doc.school_ar, "المؤسسة", "school"),
        ("Centre d'examen", doc.exam_centre_fr, doc.exam_centre_ar, "مركز الامتحان", "exam_centre"),
    ]
    rows = [
        LabelledRow(
            label_fr,
            label_ar,
            value_fr,
            field=f"{name}_lat" if name.endswith("name") else f"{name}_fr",
            max_chars=NAME_CHARS if name.endswith("name") else LABEL_CHARS,
            value_ar=value_ar,
            field_ar=f"{name}_ar",
        )
        for label_fr, value_fr, value_ar, label_ar, name in names
    ]
    rows += [
        LabelledRow("N° CNIE", "رقم البطاقة الوطنية", doc.cnie, field="cnie", max_chars=IDENTIFIER_CHARS),
        LabelledRow("Code Massar", "الرمز مسار", doc.massar_code, field="massar_code", max_chars=IDENTIFIER_CHARS),
    ]
    return labelled_rows(sheet, rows, top=top, height=9.0)


def _schedule(sheet: Sheet, schedule: Sequence[ScheduleLine], *, top: float) -> float:
    """The table of written exams: date, start, end, the subject in French and in Arabic."""
    sheet.text(
        "جدول الاختبارات",
        x=MARGIN + INNER / 2,
        y=top,
        width=INNER / 2,
        height=7,
        size=13,
        bold=True,
        field="heading",
        max_chars=40,
        align="right",
        colour=GREEN,
    )
    sheet.text(
        "Calendrier des épreuves",
        x=MARGIN,
        y=top,
        width=INNER / 2,
        height=7,
        size=12,
        bold=True,
        field="heading",
        max_chars=40,
        colour=GREEN,
    )
    columns = _when_columns(sheet, schedule)
    subject_fr_width, subject_ar_width = _subject_widths(sheet, schedule, INNER - sum(w for w, _, _ in columns))
    y = top + 9
    header = 11.0
    sheet.box(MARGIN, y, INNER, header, stroke=GREEN, fill=GREEN)
    x = MARGIN
    for width, french, arabic in columns:
        sheet.text(
            arabic,
            x=x,
            y=y,
            width=width,
            height=header / 2 + 0.5,
            size=10,
            bold=True,
            field="heading",
            max_chars=20,
            align="center",
            colour=WHITE,
        )
        sheet.text(
            french,
            x=x,
            y=y + header / 2 - 0.5,
            width=width,
            height=header / 2,
            size=9,
            field="heading",
            max_chars=20,
            align="center",
            colour=WHITE,
        )
        x += width
    sheet.text(
        "Épreuve",
        x=x + 2,
        y=y,
        width=subject_fr_width - 2,
        height=header,
        size=10,
        bold=True,
        field="heading",
        max_chars=20,
        colour=WHITE,
    )
    sheet.text(
        "المادة",
        x=x + subject_fr_width,
        y=y,
        width=subject_ar_width - 2,
        height=header,
        size=11,
        bold=True,
        field="heading",
        max_chars=20,
        align="right",
        colour=WHITE,
    )
    y += header
    for index, line in enumerate(schedule, start=1):
        fr_field, ar_field = f"schedule[{index}].subject_fr", f"schedule[{index}].subject_ar"
        needed = [
            min(SUBJECT_LINES, sheet.lines_needed(label, width=width, size=size, field=name, max_chars=LABEL_CHARS))
            * line_height_of(size)
            for label, width, size, name in (
                (line.subject_fr, subject_fr_width - _CELL_PADDING, SUBJECT_FR_SIZE, fr_field),
                (line.subject_ar, subject_ar_width - _CELL_PADDING, SUBJECT_AR_SIZE, ar_field),
            )
        ]
        row = max(ROW_HEIGHT, max(needed) + 1.5)
        if index % 2 == 0:
            sheet.box(MARGIN, y, INNER, row, stroke=None, fill=SHADE)
        x = MARGIN
        for (width, _, _), value, name in zip(
            columns, (line.date, line.start, line.end), ("date", "start", "end"), strict=True
        ):
            sheet.text(
                value,
                x=x,
                y=y,
                width=width,
                height=row,
                size=WHEN_SIZE,
                field=f"schedule[{index}].{name}",
                max_chars=WHEN_CHARS,
                align="center",
            )
            x += width
        sheet.text(
            line.subject_fr,
            x=x + 2,
            y=y,
            width=subject_fr_width - _CELL_PADDING,
            height=row,
            size=SUBJECT_FR_SIZE,
            field=fr_field,
            max_chars=LABEL_CHARS,
            lines=SUBJECT_LINES,
            wrap_first=True,
        )
        sheet.text(
            line.subject_ar,
            x=x + subject_fr_width + 1,
            y=y,
            width=subject_ar_width - _CELL_PADDING,
            height=row,
            size=SUBJECT_AR_SIZE,
            field=ar_field,
            max_chars=LABEL_CHARS,
            align="right",
            lines=SUBJECT_LINES,
            wrap_first=True,
        )
        y += row
    sheet.box(MARGIN, top + 9, INNER, y - top - 9, line_width=0.3, stroke=GREEN)
    return y


def _when_columns(sheet: Sheet, schedule: Sequence[ScheduleLine]) -> list[tuple[float, str, str]]:
    """The date, start and end columns (width, French header, Arabic header), each as wide as its widest value."""
    columns: list[tuple[float, str, str]] = []
    for index, (french, arabic) in enumerate((("Date", "التاريخ"), ("Début", "البداية"), ("Fin", "النهاية"))):
        widest = max(
            sheet.width_of(
                (line.date, line.start, line.end)[index],
                size=WHEN_SIZE,
                field=f"schedule[{number}].{('date', 'start', 'end')[index]}",
                max_chars=WHEN_CHARS,
            )
            for number, line in enumerate(schedule, start=1)
        )
        columns.append((max(widest + _CELL_PADDING, _MIN_WHEN_WIDTH), french, arabic))
    return columns


def _subject_widths(sheet: Sheet, schedule: Sequence[ScheduleLine], room: float) -> tuple[float, float]:
    """The French and Arabic subject columns sharing ``room``, from their longest labels.

    When both languages' longest labels hold on one line, each column gets its label and a share of what is left;
    otherwise the language of shorter labels keeps them on one line (it gets its width, between a third and a half
    of ``room``) and the other wraps, so that a row grows only once.
    """
    french = _CELL_PADDING + max(
        sheet.width_of(line.subject_fr, size=SUBJECT_FR_SIZE, field=f"schedule[{n}].subject_fr", max_chars=LABEL_CHARS)
        for n, line in enumerate(schedule, start=1)
    )
    arabic = _CELL_PADDING + max(
        sheet.width_of(line.subject_ar, size=SUBJECT_AR_SIZE, field=f"schedule[{n}].subject_ar", max_chars=LABEL_CHARS)
        for n, line in enumerate(schedule, start=1)
    )
    if french + arabic <= room:
        french += (room - french - arabic) * french / (french + arabic)
        return french, room - french
    if arabic <= french:
        arabic = min(room / 2, max(room / 3, arabic))
        return room - arabic, arabic
    french = min(room / 2, max(room / 3, french))
    return french, room - french


def _notice(sheet: Sheet, *, top: float) -> float:
    """The notice in both languages; returns where the longer one ends."""
    half = INNER / 2
    arabic = sheet.paragraph(
        NOTICE_AR, x=MARGIN + half + 4, y=top, width=half - 4, size=10.5, field="notice", max_chars=400, align="right"
    )
    french = sheet.paragraph(NOTICE_FR, x=MARGIN, y=top, width=half - 4, size=9.5, field="notice", max_chars=400)
    return max(arabic, french)
