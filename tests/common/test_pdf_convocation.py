"""The convocation PDF: one A4 page, Arabic shaped and extractable in logical order, fonts embedded, bad input
refused with the field named and the value kept out of the message."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest

from common.pdf.convocation import MAX_SCHEDULE_LINES, ConvocationDocument, ScheduleLine, render_convocation
from common.pdf.text import PdfTextError
from exams.generate import generate_candidates
from exams.subjects import ExamRules, load_rules
from issuer.cohort_file import ExamSession
from tests.common.pdf_inspect import cells, fonts, ink, page_count, page_text, render

FAMILY_AR = "بنعبد الله"
GIVEN_AR = "محمد الأمين"


def sample(**changes: object) -> ConvocationDocument:
    document = ConvocationDocument(
        family_name_ar=FAMILY_AR,
        given_name_ar=GIVEN_AR,
        family_name_lat="BENABDELLAH",
        given_name_lat="Mohamed El Amine",
        cnie="BE123456",
        massar_code="R130245678",
        session_ar="الدورة العادية 2025",
        session_fr="Session normale 2025",
        exam_centre_ar="ثانوية ابن خلدون التأهيلية",
        exam_centre_fr="Lycée qualifiant Ibn Khaldoun",
        school_ar="ثانوية مولاي إدريس التأهيلية",
        school_fr="Lycée qualifiant Moulay Idriss",
        schedule=[
            ScheduleLine("الرياضيات", "Mathématiques", "2025-06-10", "08:00", "11:00"),
            ScheduleLine("الفيزياء والكيمياء", "Physique-chimie", "2025-06-10", "15:00", "18:00"),
            ScheduleLine("الفلسفة", "Philosophie", "2025-06-11", "08:00", "10:00"),
        ],
        issued_at=datetime(2025, 5, 20, 9, 0, tzinfo=UTC),
    )
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def convocation() -> bytes:
    return render_convocation(sample())


def test_one_a4_page_with_ink(convocation: bytes) -> None:
    assert convocation.startswith(b"%PDF-")
    assert page_count(convocation) == 1
    document = pdfium.PdfDocument(convocation)
    width, height = document[0].get_size()
    document.close()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    picture = render(convocation, dpi=60)
    assert 0.02 < ink(picture) < 0.4
    # the top band (the ministry's header and the title) and the schedule are drawn, not only a frame
    assert ink(picture.crop((0, 0, picture.width, picture.height // 5))) > 0.02
    assert ink(picture.crop((0, picture.height // 2, picture.width, picture.height * 3 // 4))) > 0.02


def test_arabic_reads_right_to_left_as_typed(convocation: bytes) -> None:
    read = cells(convocation)
    for text in (
        FAMILY_AR,
        GIVEN_AR,
        "ثانوية مولاي إدريس التأهيلية",
        "ثانوية ابن خلدون التأهيلية",
        "الدورة العادية 2025",
        "الفيزياء والكيمياء",
        "استدعاء لاجتياز امتحان البكالوريا",
        "المملكة المغربية",
    ):
        assert text in read


def test_extracted_text_is_the_letters_typed(convocation: bytes) -> None:
    text = page_text(convocation)
    # PDFium's own extraction finds the names (its word order on lines mixing scripts is its own guess)
    assert FAMILY_AR in text
    # no presentation forms (U+FB50–U+FEFF) and no unmapped glyph (shown as a control character): the PDF carries
    # the letters typed, not their drawn shapes
    assert not [char for char in text if "\ufb50" <= char <= "\ufeff"]
    assert not [char for char in text if ord(char) < 0x20 and char not in "\r\n"]


def test_latin_values_and_schedule_extract(convocation: bytes) -> None:
    text = "\n".join(cells(convocation))
    for value in ("BENABDELLAH", "Mohamed El Amine", "BE123456", "R130245678", "Lycée qualifiant Ibn Khaldoun"):
        assert value in text
    for value in ("Mathématiques", "Physique-chimie", "2025-06-10", "08:00", "18:00"):
        assert value in text


def test_decomposed_input_prints_as_its_nfc_form() -> None:
    decomposed = unicodedata.normalize("NFD", GIVEN_AR)
    assert decomposed != GIVEN_AR  # the hamza above the alif is a separate mark in NFD
    assert unicodedata.normalize("NFC", decomposed) in cells(render_convocation(sample(given_name_ar=decomposed)))


def test_fonts_are_embedded_subsets(convocation: bytes) -> None:
    used = fonts(convocation)
    assert used
    for font in used:
        assert font.embedded, font.base_font
        assert font.subtype == "/Type0"
        assert "Amiri" in font.base_font
        assert font.to_unicode


def test_same_input_same_bytes_and_the_date_is_the_input() -> None:
    first = render_convocation(sample())
    assert render_convocation(sample()) == first
    later = render_convocation(sample(issued_at=datetime(2025, 5, 21, 9, 0, tzinfo=UTC)))
    assert later != first
    assert b"2025-05-20T09:00:00+00:00" in first
    assert b"D:20250520090000" in first


@pytest.mark.parametrize(
    ("changes", "code", "found"),
    [
        ({"family_name_ar": "بنعبد\x07الله"}, "pdf.text_control", "U+0007 at character 6"),
        ({"given_name_lat": "Mohamed\nEl Amine"}, "pdf.text_control", "U+000A"),
        ({"family_name_ar": "\u202eبنعبد الله"}, "pdf.text_control", "U+202E at character 1"),
        ({"given_name_ar": "محمد" * 20}, "pdf.text_too_long", "80 characters"),
        ({"cnie": "   "}, "pdf.text_empty", "an empty value"),
        ({"family_name_lat": "李"}, "pdf.glyph_missing", "U+674E"),
        ({"school_fr": "\ue000Lycée"}, "pdf.text_invalid", "U+E000"),
        ({"family_name_lat": "W" * 55}, "pdf.text_too_wide", "mm at"),
        ({"schedule": []}, "convocation.schedule_empty", "0 subjects"),
        (
            {"schedule": [ScheduleLine("الرياضيات", "Mathématiques", "2025-06-10", "08:00", "11:00")] * 13},
            "convocation.schedule_too_long",
            "13 subjects",
        ),
        ({"issued_at": datetime(2025, 5, 20, 9, 0)}, "pdf.created_naive", "naive"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_without_the_value(
    changes: dict[str, object], code: str, found: str
) -> None:
    with pytest.raises(PdfTextError) as caught:
        render_convocation(sample(**changes))
    assert caught.value.code == code
    assert found in str(caught.value.found)
    assert caught.value.expected
    for value in changes.values():
        if isinstance(value, str) and len(value) > 3:
            assert value.strip() not in str(caught.value)


def test_the_field_is_named() -> None:
    with pytest.raises(PdfTextError, match="family_name_ar holds a control character"):
        render_convocation(sample(family_name_ar="بنعبد\x07الله"))
    with pytest.raises(PdfTextError, match=r"schedule\[2\]\.subject_fr is empty"):
        render_convocation(
            sample(
                schedule=[
                    ScheduleLine("الرياضيات", "Mathématiques", "2025-06-10", "08:00", "11:00"),
                    ScheduleLine("الفلسفة", "", "2025-06-11", "08:00", "10:00"),
                ]
            )
        )


def test_a_long_name_is_printed_smaller_or_wrapped_not_refused() -> None:
    long_name = "عبد الرحمن بن محمد بن عبد الله الإدريسي الحسني"  # 46 characters: smaller, then on two lines
    read = cells(render_convocation(sample(family_name_ar=long_name)))
    first = next(line for line in read if line.startswith("عبد الرحمن"))
    second = long_name.removeprefix(first).strip()
    assert first != long_name
    assert second in read  # the rest of the name, on the line below, in its order


def test_a_free_candidates_centre_wraps_on_two_lines() -> None:
    """The longest labels the exam year generates (a free candidates' centre named after its directorate)."""
    centre_fr = "Centre d'examen des candidats libres - Direction Provinciale El Kelâa des Sraghna"
    centre_ar = "مركز امتحان المترشحين الأحرار - المديرية الإقليمية الفداء مرس السلطان"
    read = "\n".join(cells(render_convocation(sample(exam_centre_fr=centre_fr, exam_centre_ar=centre_ar))))
    for word in ("Sraghna", "Centre", "الأحرار", "السلطان"):
        assert word in read


def test_schedule_bound_is_one_page() -> None:
    line = ScheduleLine("الرياضيات", "Mathématiques", "2025-06-10", "08:00", "11:00")
    data = render_convocation(sample(schedule=[line] * MAX_SCHEDULE_LINES))
    assert page_count(data) == 1
    assert "la salle d'examen." in page_text(data)  # the notice's end, on the page


def _longest(rows: list[dict[str, str]], column: str) -> str:
    return max((row[column] for row in rows), key=len)


@pytest.fixture(scope="module")
def longest_generated() -> dict[str, str]:
    """The longest names, schools and centres a synthetic exam year holds (free candidates' centres among them)."""
    rows = list(generate_candidates(count=3000, seed=2025, session=ExamSession(2025, "normale")))
    columns = ("familyName.ar", "givenName.ar", "familyName.lat", "givenName.lat", "school.ar", "school.fr")
    found = {column: _longest(rows, column) for column in columns}
    found["examCentre.ar"] = _longest(rows, "examCentre.ar")
    found["examCentre.fr"] = _longest(rows, "examCentre.fr")
    assert found["examCentre.fr"].startswith("Centre d'examen des candidats libres")
    return found


def _free_candidates_schedule(rules: ExamRules, stream: str) -> list[ScheduleLine]:
    """Every subject of the stream, regional and national, as a free candidate sits them (the longest schedule)."""
    lines = []
    for rule in rules.stream(stream).subjects:
        when = rules.exam_date("2025-normale", rule.exam, rule.day)
        assert when is not None
        lines.append(
            ScheduleLine(rule.label_ar, rule.label_fr, when.isoformat(), f"{rule.start:%H:%M}", f"{rule.end:%H:%M}")
        )
    return lines


def _read_back(label: str, read: list[str], *, start: int = 0, within: int | None = None) -> bool:
    """Whether ``label`` reads back whole: on one line, or wrapped on lines that follow one another on the page (the
    other cells of its row — times, the other language, a row's label — may sit between them, a few cells apart)."""
    if not label:
        return True
    end = len(read) if within is None else min(len(read), start + within)
    for index in range(start, end):
        cell = read[index]
        if label.startswith(cell) and _read_back(label[len(cell) :].lstrip(" "), read, start=index + 1, within=8):
            return True
    return False


@pytest.mark.parametrize("stream", sorted(load_rules().streams))
def test_every_stream_of_the_rules_file_prints_every_label(stream: str, longest_generated: dict[str, str]) -> None:
    schedule = _free_candidates_schedule(load_rules(), stream)
    data = render_convocation(
        sample(
            family_name_ar=longest_generated["familyName.ar"],
            given_name_ar=longest_generated["givenName.ar"],
            family_name_lat=longest_generated["familyName.lat"],
            given_name_lat=longest_generated["givenName.lat"],
            school_ar=longest_generated["school.ar"],
            school_fr=longest_generated["school.fr"],
            exam_centre_ar=longest_generated["examCentre.ar"],
            exam_centre_fr=longest_generated["examCentre.fr"],
            schedule=schedule,
        )
    )
    assert page_count(data) == 1
    read = cells(data)
    for line in schedule:
        assert _read_back(line.subject_fr, read), (line.subject_fr, read)
        assert _read_back(line.subject_ar, read), (line.subject_ar, read)
        assert line.date in read
    for value in longest_generated.values():
        assert _read_back(value, read), (value, read)
    assert not [char for char in page_text(data) if "\ufb50" <= char <= "\ufeff"]  # letters, not drawn shapes


def test_the_longest_subject_is_wrapped_at_its_size_not_refused() -> None:
    """The label that once made SE and SGC convocations unprintable, in a narrow table of long dates."""
    label_fr = "Économie et organisation administrative des entreprises"
    label_ar = "الاقتصاد والتنظيم الإداري للمقاولات"
    wide = ScheduleLine(label_ar, label_fr, "mardi 10 juin 2025", "08:00", "11:00")
    read = cells(render_convocation(sample(schedule=[wide, *sample().schedule])))
    assert _read_back(label_fr, read)
    assert _read_back(label_ar, read)
    assert label_fr not in read  # wrapped, since the dates leave it less room


def test_a_subject_too_long_even_on_three_smaller_lines_is_refused() -> None:
    label = "Épreuve " + "W" * 110
    with pytest.raises(PdfTextError) as caught:
        render_convocation(sample(schedule=[ScheduleLine("الرياضيات", label, "2025-06-10", "08:00", "11:00")]))
    assert caught.value.code == "pdf.text_too_wide"
    assert "schedule[1].subject_fr" in str(caught.value)
    assert "on 3 lines" in str(caught.value.expected)


def test_a_schedule_of_long_labels_that_overflows_the_page_is_refused() -> None:
    long_fr = "Économie et organisation administrative des entreprises et comptabilité financière approfondie"
    line = ScheduleLine("الاقتصاد والتنظيم الإداري للمقاولات", long_fr, "2025-06-10", "08:00", "11:00")
    with pytest.raises(PdfTextError) as caught:
        render_convocation(sample(schedule=[line] * MAX_SCHEDULE_LINES))
    assert caught.value.code == "convocation.page_full"
    assert f"({MAX_SCHEDULE_LINES} subjects)" in str(caught.value.found)
    assert "mm from the top" in str(caught.value.expected)
