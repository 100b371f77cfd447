"""Reading PDFs back in tests: pages as pictures and text (PDFium), fonts and attachments (pyHanko's reader)."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import uharfbuzz as hb
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader


def page_text(data: bytes, page: int = 0) -> str:
    """The text PDFium extracts from one page, in its reading order."""
    document = pdfium.PdfDocument(data)
    try:
        text = document[page].get_textpage().get_text_range()
        return str(text).replace("\r\n", "\n")
    finally:
        document.close()


def page_lines(data: bytes, page: int = 0) -> list[str]:
    """The extracted lines of a page, stripped."""
    return [line.strip() for line in page_text(data, page).split("\n") if line.strip()]


_RTL = frozenset({"R", "AL"})
_LTR_IN_RTL = frozenset({"L", "EN", "AN", "ES", "ET", "CS"})


def cells(data: bytes, page: int = 0, *, gap_points: float = 8.0) -> list[str]:
    """The text of each cell of a page as a reader sees it, in reading order, left to right then top to bottom.

    Characters are taken from where their glyphs are drawn (PDFium's boxes) and the text each glyph stands for
    (the font's ToUnicode map), not from an extractor's reading-order guesses: glyphs on one baseline separated by
    more than ``gap_points`` are separate cells; a cell holding Arabic is read right to left (its digits and Latin
    runs left to right), any other left to right. A name that reads back as typed is drawn in the right order with
    the right letters.
    """
    document = pdfium.PdfDocument(data)
    try:
        textpage = document[page].get_textpage()
        lines: dict[int, list[tuple[str, float, float]]] = {}
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            if char in {"\r", "\n", ""}:
                continue
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            lines.setdefault(round((bottom + top) / 2 / 3), []).append((char, left, right))
    finally:
        document.close()
    found: list[str] = []
    for key in sorted(lines, reverse=True):
        row = sorted(lines[key], key=lambda item: item[1])
        runs = [[row[0]]]
        for item in row[1:]:
            if item[1] - runs[-1][-1][2] > gap_points:
                runs.append([item])
            else:
                runs[-1].append(item)
        for run in runs:
            text = "".join(char for char, _, _ in run)
            if any(unicodedata.bidirectional(char) in _RTL for char in text):
                text = _read_right_to_left(text)
            if text.strip():
                found.append(text.strip())
    return found


def _read_right_to_left(visual: str) -> str:
    """A right-to-left cell read from its visual order: reversed, its left-to-right runs put back in their order."""
    reversed_text = visual[::-1]
    out: list[str] = []
    run: list[str] = []
    for char in reversed_text:
        if unicodedata.bidirectional(char) in _LTR_IN_RTL:
            run.append(char)
            continue
        out.extend(reversed(run))
        run = []
        out.append(char)
    out.extend(reversed(run))
    return "".join(out)


def render(data: bytes, page: int = 0, *, dpi: int = 100) -> Image.Image:
    """One page as a greyscale picture."""
    document = pdfium.PdfDocument(data)
    try:
        bitmap = document[page].render(scale=dpi / 72)
        picture: Image.Image = bitmap.to_pil().convert("L")
        return picture
    finally:
        document.close()


def ink(image: Image.Image) -> float:
    """The share of a picture's pixels that are not near white."""
    histogram = image.histogram()
    dark = sum(histogram[:200])
    return dark / (image.width * image.height)


def page_count(data: bytes) -> int:
    """The number of pages."""
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


@dataclass(frozen=True)
class FontInfo:
    """A font used on a page: its name, whether its program is embedded, and its ToUnicode map (code → text)."""

    base_font: str
    subtype: str
    embedded: bool
    to_unicode: dict[int, str]


def reader(data: bytes) -> PdfFileReader:
    """pyHanko's reader over the bytes (strict)."""
    return PdfFileReader(io.BytesIO(data))


def fonts(data: bytes, page: int = 0) -> list[FontInfo]:
    """Every font in a page's resources."""
    root = reader(data).root
    page_dict = root["/Pages"]["/Kids"][page]
    found: list[FontInfo] = []
    for _name, reference in page_dict["/Resources"]["/Font"].items():
        font = _deref(reference)
        descriptor_owner = _deref(font["/DescendantFonts"][0]) if "/DescendantFonts" in font else font
        descriptor = _deref(descriptor_owner["/FontDescriptor"]) if "/FontDescriptor" in descriptor_owner else {}
        embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        to_unicode = _parse_to_unicode(_deref(font["/ToUnicode"]).data) if "/ToUnicode" in font else {}
        found.append(FontInfo(str(font["/BaseFont"]), str(font["/Subtype"]), embedded, to_unicode))
    return found


def _deref(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def _parse_to_unicode(cmap: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, flags=re.S):
        for code, text in _BFCHAR.findall(block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    return mapping


def shaped_glyphs(text: str, font_file: Path, features: dict[str, bool]) -> set[int]:
    """The distinct glyphs HarfBuzz draws ``text`` with in ``font_file`` (contextual forms and ligatures)."""
    face = hb.Face(font_file.read_bytes())
    font = hb.Font(face)
    buffer = hb.Buffer()
    buffer.cluster_level = 1
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, features)
    return {info.codepoint for info in buffer.glyph_infos}


def pdfa_identification(data: bytes) -> tuple[str, str] | None:
    """The PDF/A part and conformance the document's XMP metadata declares (as attributes or as elements)."""
    xmp = reader(data).root["/Metadata"].get_object().data.decode("utf-8")
    part = re.search(r'pdfaid:part(?:="|>)\s*(\d)', xmp)
    conformance = re.search(r'pdfaid:conformance(?:="|>)\s*([ABU])', xmp)
    return (part.group(1), conformance.group(1)) if part and conformance else None


def attachments(data: bytes) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Embedded files by name: their bytes and their file specification's /AFRelationship, /Subtype, /Desc."""
    root = reader(data).root
    found: dict[str, tuple[bytes, dict[str, str]]] = {}
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    for index in range(0, len(names), 2):
        spec = _deref(names[index + 1])
        stream = _deref(spec["/EF"]["/F"])
        details = {
            "relationship": str(spec.get("/AFRelationship", "")),
            "subtype": str(stream.get("/Subtype", "")),
            "description": str(spec.get("/Desc", "")),
        }
        found[str(names[index])] = (stream.data, details)
    return found
