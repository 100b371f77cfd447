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

from common.pdf.ministry import GREEN, GREY, INNER, KINGDOM_FR, MARGIN, MINISTRY_FR, SHADE, WHITE, letterhead
from common.pdf.sheet import PAGE_WIDTH, DocumentInfo, Sheet
from common.pdf.text import PdfTextError

#: The most subjects one page holds; a stream has at most a dozen written exams.
MAX_SCHEDULE_LINES: Final = 16
#: Bounds on the values, in characters: the longest generated names are 40, school names about 70.
NAME_CHARS: Final = 60
LABEL_CHARS: Final = 120
IDENTIFIER_CHARS: Final = 20
WHEN_CHARS: Final = 32

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
    _notice(sheet, top=y + 8)
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
    rows: list[tuple[str, str, str, str, str]] = [
        # (label fr, value fr, value ar, label ar, field)
        ("Nom", doc.family_name_lat, doc.family_name_ar, "الاسم العائلي", "family_name"),
        ("Prénom", doc.given_name_lat, doc.given_name_ar, "الاسم الشخصي", "given_name"),
        ("Établissement", doc.school_fr, doc.school_ar, "المؤسسة", "school"),
        ("Centre d'examen", doc.exam_centre_fr, doc.exam_centre_ar, "مركز الامتحان", "exam_centre"),
    ]
    identifiers = [
        ("N° CNIE", doc.cnie, "رقم البطاقة الوطنية", "cnie"),
        ("Code Massar", doc.massar_code, "الرمز مسار", "massar_code"),
    ]
    row = 9.0
    label_width = 30.0
    value_width = INNER / 2 - label_width - 2
    height = row * (len(rows) + len(identifiers))
    sheet.box(MARGIN, top, INNER, height, line_width=0.3, stroke=GREEN)
    y = top
    for index, (label_fr, value_fr, value_ar, label_ar, name) in enumerate(rows):
        if index % 2 == 0:
            sheet.box(MARGIN, y, INNER, row, stroke=None, fill=SHADE)
        _labels(sheet, label_fr=label_fr, label_ar=label_ar, y=y, height=row, width=label_width)
        sheet.text(
            value_fr,
            x=MARGIN + label_width,
            y=y,
            width=value_width,
            height=row,
            size=11,
            bold=True,
            field=f"{name}_lat" if name.endswith("name") else f"{name}_fr",
            max_chars=_limit(name),
            lines=2,
        )
        sheet.text(
            value_ar,
            x=PAGE_WIDTH - MARGIN - label_width - value_width,
            y=y,
            width=value_width,
            height=row,
            size=13,
            bold=True,
            field=f"{name}_ar",
            max_chars=_limit(name),
            align="right",
            lines=2,
        )
        y += row
    for index, (label_fr, value, label_ar, name) in enumerate(identifiers, start=len(rows)):
        if index % 2 == 0:
            sheet.box(MARGIN, y, INNER, row, stroke=None, fill=SHADE)
        _labels(sheet, label_fr=label_fr, label_ar=label_ar, y=y, height=row, width=label_width)
        sheet.text(
            value,
            x=MARGIN + label_width,
            y=y,
            width=INNER - 2 * label_width,
            height=row,
            size=12,
            bold=True,
            field=name,
            max_chars=IDENTIFIER_CHARS,
            align="center",
        )
        y += row
    return y


def _limit(name: str) -> int:
    return NAME_CHARS if name.endswith("name") else LABEL_CHARS


def _labels(sheet: Sheet, *, label_fr: str, label_ar: str, y: float, height: float, width: float) -> None:
    sheet.text(
        label_fr,
        x=MARGIN + 2,
        y=y,
        width=width - 2,
        height=height,
        size=9.5,
        field="label",
        max_chars=40,
        colour=GREY,
    )
    sheet.text(
        label_ar,
        x=PAGE_WIDTH - MARGIN - width,
        y=y,
        width=width - 2,
        height=height,
        size=11,
        field="label",
        max_chars=40,
        align="right",
        colour=GREY,
    )


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
    # (width, French header, Arabic header)
    columns = [(28.0, "Date", "التاريخ"), (18.0, "Début", "البداية"), (18.0, "Fin", "النهاية")]
    subject_width = (INNER - sum(width for width, _, _ in columns)) / 2
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
        width=subject_width - 2,
        height=header,
        size=10,
        bold=True,
        field="heading",
        max_chars=20,
        colour=WHITE,
    )
    sheet.text(
        "المادة",
        x=x + subject_width,
        y=y,
        width=subject_width - 2,
        height=header,
        size=11,
        bold=True,
        field="heading",
        max_chars=20,
        align="right",
        colour=WHITE,
    )
    y += header
    row = 8.0
    for index, line in enumerate(schedule, start=1):
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
                size=10.5,
                field=f"schedule[{index}].{name}",
                max_chars=WHEN_CHARS,
                align="center",
            )
            x += width
        sheet.text(
            line.subject_fr,
            x=x + 2,
            y=y,
            width=subject_width - 3,
            height=row,
            size=10.5,
            field=f"schedule[{index}].subject_fr",
            max_chars=LABEL_CHARS,
        )
        sheet.text(
            line.subject_ar,
            x=x + subject_width + 1,
            y=y,
            width=subject_width - 3,
            height=row,
            size=12,
            field=f"schedule[{index}].subject_ar",
            max_chars=LABEL_CHARS,
            align="right",
        )
        y += row
    sheet.box(MARGIN, top + 9, INNER, y - top - 9, line_width=0.3, stroke=GREEN)
    return y


def _notice(sheet: Sheet, *, top: float) -> None:
    half = INNER / 2
    sheet.paragraph(
        NOTICE_AR, x=MARGIN + half + 4, y=top, width=half - 4, size=10.5, field="notice", max_chars=400, align="right"
    )
    sheet.paragraph(NOTICE_FR, x=MARGIN, y=top, width=half - 4, size=9.5, field="notice", max_chars=400)
