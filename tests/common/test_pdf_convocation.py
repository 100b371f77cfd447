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
            {"schedule": [ScheduleLine("الرياضيات", "Mathématiques", "2025-06-10", "08:00", "11:00")] * 17},
            "convocation.schedule_too_long",
            "17 subjects",
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
