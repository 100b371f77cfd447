"""The sheet: Arabic drawn with its joined forms, archival output (PDF/A-3b metadata, sRGB output intent, associated
files), vector QR codes that read back, text checks."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

import pytest

from common.pdf.sheet import SHAPING_FEATURES, DocumentInfo, Sheet, TextTooWideError
from common.pdf.text import BOLD_FONT, REGULAR_FONT, PdfTextError, checked_text
from common.qr import decode_qr
from tests.common.pdf_inspect import attachments, cells, fonts, reader, render, shaped_glyphs

CREATED = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
INFO = DocumentInfo(title="Essai", subject="Un essai", author="Ministère", created=CREATED)


def one_line(text: str, *, bold: bool = False, archival: bool = False) -> bytes:
    sheet = Sheet(INFO, archival=archival)
    sheet.add_page()
    sheet.text(text, x=20, y=20, width=170, height=12, size=16, field="name", max_chars=80, align="right", bold=bold)
    return sheet.finish()


@pytest.mark.parametrize("name", ["محمد", "المملكة المغربية", "عبد الرحمن العلوي", "بنعبد الله"])
@pytest.mark.parametrize("bold", [False, True])
def test_arabic_is_drawn_with_its_joined_forms(name: str, *, bold: bool) -> None:
    """The embedded subset holds exactly the glyphs HarfBuzz shapes the name with: initial, medial and final forms
    and ligatures, not one isolated glyph per letter."""
    data = one_line(name, bold=bold)
    (font,) = fonts(data)
    drawn = {code for code, text in font.to_unicode.items() if text.strip() and text != "\x00"}
    shaped = shaped_glyphs(name, BOLD_FONT if bold else REGULAR_FONT, dict(SHAPING_FEATURES))
    letters = {char for char in name if char != " "}
    assert len(drawn) == len(shaped) - (1 if " " in name else 0)
    # a name of several letters in one word is more than its letters' isolated forms
    if name == "محمد":
        assert len(drawn) > len(letters)  # م is drawn twice, in its initial and its medial form
    assert name in cells(data)


def test_vowel_marks_and_lam_alef_print() -> None:
    data = one_line("لا إله")
    assert "لا إله" in cells(data)


def test_archival_output_carries_pdfa_metadata_and_an_srgb_intent() -> None:
    sheet = Sheet(INFO, archival=True)
    sheet.add_page()
    sheet.text("شهادة البكالوريا", x=20, y=20, width=170, height=12, size=16, field="title", max_chars=80)
    sheet.attach(b'{"a": 1}', name="credential.json", mime_type="application/json", description="the credential")
    data = sheet.finish()
    root = reader(data).root
    xmp = root["/Metadata"].get_object().data.decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert 'xmp:CreateDate="2025-07-01T10:00:00+00:00"' in xmp
    (intent,) = root["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.data[36:40] == b"acsp"  # an ICC profile
    assert b"sRGB" in profile.data[:1000] or "sRGB" in str(intent.get("/OutputConditionIdentifier"))
    files = attachments(data)
    content, details = files["credential.json"]
    assert content == b'{"a": 1}'
    assert details["relationship"] == "/Data"
    assert details["subtype"] == "/application/json"
    # PDF/A-3: the file is associated with the document
    associated = [spec.get_object()["/F"] for spec in root["/AF"]]
    assert "credential.json" in [str(name) for name in associated]
    assert all(font.embedded for font in fonts(data))


def test_a_file_is_attached_once() -> None:
    sheet = Sheet(INFO, archival=True)
    sheet.attach(b"1", name="a.json", mime_type="application/json", description="a")
    with pytest.raises(PdfTextError) as caught:
        sheet.attach(b"2", name="a.json", mime_type="application/json", description="a")
    assert caught.value.code == "pdf.attachment_duplicate"


def test_qr_code_reads_back_from_the_rendered_page() -> None:
    sheet = Sheet(INFO)
    sheet.add_page()
    url = "https://verify.example.ma/d/urn:uuid:0b7e6a52-8f0d-4c43-9d55-8f1a3c2b9e10"
    version = sheet.qr(url, x=70, y=100, size=40)
    assert 1 <= version <= 10
    picture = render(sheet.finish(), dpi=150)
    png = io.BytesIO()
    picture.save(png, format="PNG")
    assert decode_qr(png.getvalue()) == [url]


def test_too_wide_is_refused_after_shrinking() -> None:
    sheet = Sheet(INFO)
    sheet.add_page()
    used = sheet.text("Mohamed El Amine", x=0, y=0, width=32, height=8, size=12, field="given_name_lat", max_chars=60)
    assert used < 12
    with pytest.raises(TextTooWideError) as caught:
        sheet.text("Mohamed El Amine", x=0, y=0, width=10, height=8, size=12, field="given_name_lat", max_chars=60)
    assert caught.value.code == "pdf.text_too_wide"
    assert "Mohamed" not in str(caught.value)


def test_checked_text_normalises_and_allows_the_joiners() -> None:
    assert checked_text("  " + unicodedata.normalize("NFD", "الأمين") + " ", field="f", max_chars=10) == "الأمين"
    assert checked_text("لا\u200cإله", field="f", max_chars=10) == "لا\u200cإله"
    assert checked_text("", field="f", max_chars=10, required=False) == ""
    with pytest.raises(PdfTextError) as caught:
        checked_text(42, field="f", max_chars=10)  # type: ignore[arg-type]
    assert caught.value.code == "pdf.text_type"
    with pytest.raises(PdfTextError) as separator:
        checked_text("a\u2028b", field="f", max_chars=10)
    assert separator.value.code == "pdf.text_control"
