"""An A4 sheet for the ministry's documents: Arabic and French text shaped by HarfBuzz, rules, vector QR codes,
attached files, optionally archival (PDF/A-3b).

Built on fpdf2 with its HarfBuzz text shaping (uharfbuzz): Arabic letters take their joined forms and ligatures,
runs are laid out right to left with the Unicode bidirectional algorithm, so a name mixed with digits or Latin
prints in the order a reader expects, while the text stored in the PDF (its ToUnicode maps) stays the logical,
NFC string a program extracts and searches. One font family (Amiri, embedded as a subset) draws both scripts.

Coordinates are millimetres from the top-left corner. Every value is checked by :func:`common.pdf.text.checked_text`
before it is drawn; a value too wide for its place is first printed smaller (down to ``min_size``), then refused
with :class:`TextTooWideError` rather than overflowing into its neighbour.

The output is deterministic: the same calls with the same ``DocumentInfo.created`` give the same bytes (the XMP
packet is written here from the document information, without the time of writing that fpdf2 would add).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Final, Literal

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont

from common.pdf.text import BOLD_FONT, REGULAR_FONT, PdfTextError, checked_text

#: The font family name inside the documents.
FAMILY: Final = "Amiri"
#: A4 portrait, millimetres.
PAGE_WIDTH: Final = 210.0
PAGE_HEIGHT: Final = 297.0
#: The archival profile: PDF/A-3 level B (ISO 19005-3), which allows the attached credential as an associated file.
ARCHIVAL_PROFILE: Final = "PDFA_3B"
#: OpenType features switched off. Amiri's contextual alternates (``calt``) draw some letter pairs with an extra
#: kashida glyph that fpdf2 cannot map back to a character, so the text would extract with a hole; without them the
#: letters still take their joined initial, medial and final forms and the required ligatures.
SHAPING_FEATURES: Final = {"calt": False}
#: OpenType layout tables left out of fontTools' copy of the fonts (shaping reads them from the file, with HarfBuzz).
_LAYOUT_TABLES: Final = ("GSUB", "GPOS", "GDEF", "JSTF", "BASE", "MATH")
#: Points per millimetre (a font size is in points, the layout in millimetres).
_PT_PER_MM: Final = 72 / 25.4

Alignment = Literal["left", "right", "center"]
_ALIGN: Final = {"left": Align.L, "right": Align.R, "center": Align.C}
Colour = tuple[int, int, int]
BLACK: Final[Colour] = (0, 0, 0)


class TextTooWideError(PdfTextError):
    """A value does not fit its place on the page even at the smallest size allowed."""

    default_code = "pdf.text_too_wide"


@dataclass(frozen=True)
class DocumentInfo:
    """What the document says about itself (Info dictionary and XMP metadata).

    ``created`` is written as the creation and modification date; give the same value to get the same bytes.
    ``language`` is the document's primary language (BCP 47), for screen readers and text extraction.
    """

    title: str
    subject: str
    author: str
    created: datetime
    language: str = "ar-MA"
    keywords: tuple[str, ...] = field(default_factory=tuple)


class Sheet:
    """One document being drawn, page by page. Call :meth:`finish` once for the PDF bytes."""

    def __init__(self, info: DocumentInfo, *, archival: bool = False) -> None:
        if info.created.tzinfo is None:
            raise PdfTextError(
                "the document's creation time has no time zone",
                code="pdf.created_naive",
                found="a naive datetime",
                expected="an aware datetime (UTC or with an offset)",
            )
        self.info = info
        self.archival = archival
        pdf = FPDF(
            orientation="portrait", unit="mm", format="A4", enforce_compliance=ARCHIVAL_PROFILE if archival else None
        )
        pdf.set_auto_page_break(auto=False)
        pdf.set_margins(0, 0, 0)
        pdf.c_margin = 0
        pdf.add_font(FAMILY, "", REGULAR_FONT)
        pdf.add_font(FAMILY, "B", BOLD_FONT)
        pdf.set_text_shaping(use_shaping_engine=True, features=dict(SHAPING_FEATURES))
        for font in pdf.fonts.values():
            # HarfBuzz shapes from the font file; fontTools' copy only measures and subsets the glyphs drawn, and its
            # layout tables (which fpdf2 drops from the subset anyway) would cost half the page's time to decompile.
            if isinstance(font, TTFFont):
                for tag in _LAYOUT_TABLES:
                    if tag in font.ttfont:
                        del font.ttfont[tag]
        pdf.set_title(info.title)
        pdf.set_subject(info.subject)
        pdf.set_author(info.author)
        pdf.set_creator("Tawtiq")
        pdf.set_producer("Tawtiq (fpdf2)")
        if info.keywords:
            pdf.set_keywords(", ".join(info.keywords))
        pdf.set_lang(info.language)
        pdf.set_creation_date(info.created.astimezone(UTC))
        pdf.set_xmp_metadata(_xmp(info, archival=archival))
        self._pdf = pdf
        self._attachments: set[str] = set()

    # Pages and graphics.

    def add_page(self) -> None:
        """Start a new A4 page."""
        self._pdf.add_page()

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.3, colour: Colour = BLACK) -> None:
        """A straight line, ``width`` millimetres thick."""
        self._pdf.set_line_width(width)
        self._pdf.set_draw_color(*colour)
        self._pdf.line(x1, y1, x2, y2)

    def box(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        line_width: float = 0.3,
        stroke: Colour | None = BLACK,
        fill: Colour | None = None,
    ) -> None:
        """A rectangle, stroked, filled or both."""
        style = ("D" if stroke else "") + ("F" if fill else "")
        if not style:
            return
        self._pdf.set_line_width(line_width)
        if stroke:
            self._pdf.set_draw_color(*stroke)
        if fill:
            self._pdf.set_fill_color(*fill)
        self._pdf.rect(x, y, width, height, style=style)

    def qr(self, data: str, *, x: float, y: float, size: float, error: Literal["l", "m", "q", "h"] = "m") -> int:
        """Draw a QR code of ``data`` as vector squares filling a ``size`` millimetre square (quiet zone included).

        Vector modules stay sharp at any printer resolution and keep the page free of images. Returns the QR
        version used (1-40).
        """
        code = segno.make_qr(data, error=error, boost_error=False)
        matrix = code.matrix
        modules = len(matrix) + 8  # 4 modules of quiet zone on each side
        module = size / modules
        self._pdf.set_fill_color(255, 255, 255)
        self._pdf.rect(x, y, size, size, style="F")
        self._pdf.set_fill_color(0, 0, 0)
        for row_index, row in enumerate(matrix):
            top = y + (row_index + 4) * module
            column = 0
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                # a hair wider than the run so that neighbouring squares leave no visible seam when rasterised
                self._pdf.rect(
                    x + (start + 4) * module, top, (column - start) * module + 0.01, module + 0.01, style="F"
                )
        version = code.version
        return version if isinstance(version, int) else 0

    # Text.

    def text(
        self,
        value: str,
        *,
        x: float,
        y: float,
        width: float,
        height: float,
        size: float,
        field: str,
        max_chars: int,
        align: Alignment = "left",
        bold: bool = False,
        min_size: float | None = None,
        colour: Colour = BLACK,
        required: bool = True,
        lines: int = 1,
        wrap_first: bool = False,
    ) -> float:
        """Print checked ``value`` in the box (``x``, ``y``, ``width``, ``height``); return the font size used.

        Text is vertically centred. Arabic takes its joined forms and right-to-left order whatever ``align`` says;
        ``align`` only places the text in its box. A value wider than the box is printed smaller, or on up to
        ``lines`` lines when that fits the box's height, down to ``min_size`` (default: 70% of ``size``), and
        refused past that with :class:`TextTooWideError`. A name is first printed a little smaller (one line reads
        best); with ``wrap_first`` (a table's cell sized by :meth:`lines_needed`) wrapping comes first, at ``size``.
        ``field`` names the value in errors; ``max_chars`` bounds it (see :func:`checked_text`).
        """
        text = checked_text(value, field=field, max_chars=max_chars, required=required)
        if not text:
            return size
        style = "B" if bold else ""
        smallest = min_size if min_size is not None else round(size * 0.7, 1)
        chosen = size
        self._pdf.set_text_color(*colour)
        while True:
            self._pdf.set_font(FAMILY, style, chosen)
            if self._pdf.get_string_width(text) <= width:
                self._pdf.set_xy(x, y)
                self._pdf.cell(w=width, h=height, text=text, align=_ALIGN[align], new_x=XPos.RIGHT, new_y=YPos.TOP)
                return chosen
            if lines > 1 and (wrap_first or chosen <= size * 0.85):  # a little smaller first, then on several lines
                line_height = line_height_of(chosen)
                wrapped = self._pdf.multi_cell(
                    w=width, h=line_height, text=text, align=_ALIGN[align], dry_run=True, output=MethodReturnValue.LINES
                )
                assert isinstance(wrapped, list)  # output=LINES
                if len(wrapped) <= lines and len(wrapped) * line_height <= height:
                    self._pdf.set_xy(x, y + (height - len(wrapped) * line_height) / 2)
                    self._pdf.multi_cell(
                        w=width, h=line_height, text=text, align=_ALIGN[align], new_x=XPos.RIGHT, new_y=YPos.TOP
                    )
                    return chosen
            if chosen <= smallest:
                raise TextTooWideError(
                    f"{field} is too wide for its place on the page",
                    found=f"{self._pdf.get_string_width(text):.1f} mm at {chosen:g} pt",
                    expected=f"at most {width:.1f} mm"
                    + (f" on {lines} lines" if lines > 1 else "")
                    + f" at {smallest:g} pt or more",
                )
            chosen = max(smallest, round(chosen - 0.5, 1))

    def width_of(self, value: str, *, size: float, field: str, max_chars: int, bold: bool = False) -> float:
        """The width in millimetres of checked ``value`` on one line at ``size`` (nothing is drawn)."""
        text = checked_text(value, field=field, max_chars=max_chars)
        self._pdf.set_font(FAMILY, "B" if bold else "", size)
        return float(self._pdf.get_string_width(text))

    def lines_needed(
        self, value: str, *, width: float, size: float, field: str, max_chars: int, bold: bool = False
    ) -> int:
        """How many lines checked ``value`` takes wrapped to ``width`` at ``size`` (nothing is drawn).

        A table sizes its rows with it: a row is as tall as its longest cell's lines (see :func:`line_height_of`).
        """
        text = checked_text(value, field=field, max_chars=max_chars)
        self._pdf.set_font(FAMILY, "B" if bold else "", size)
        if self._pdf.get_string_width(text) <= width:
            return 1
        wrapped = self._pdf.multi_cell(
            w=width, h=line_height_of(size), text=text, dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(wrapped, list)  # output=LINES
        return len(wrapped)

    def paragraph(
        self,
        value: str,
        *,
        x: float,
        y: float,
        width: float,
        size: float,
        field: str,
        max_chars: int,
        align: Alignment = "left",
        line_height: float | None = None,
        bold: bool = False,
        colour: Colour = BLACK,
    ) -> float:
        """Print ``value`` wrapped to ``width``; return the bottom of the last line (millimetres from the top)."""
        text = checked_text(value, field=field, max_chars=max_chars)
        self._pdf.set_font(FAMILY, "B" if bold else "", size)
        self._pdf.set_text_color(*colour)
        self._pdf.set_xy(x, y)
        self._pdf.multi_cell(
            w=width,
            h=line_height if line_height is not None else size / _PT_PER_MM * 1.45,
            text=text,
            align=_ALIGN[align],
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        return float(self._pdf.get_y())

    # Attachments and output.

    def attach(
        self,
        data: bytes,
        *,
        name: str,
        mime_type: str,
        description: str,
        relationship: Literal["Data", "Source", "Alternative", "Supplement", "Unspecified"] = "Data",
    ) -> None:
        """Embed ``data`` as a file of the document (an associated file of the document when archival).

        ``relationship`` is the PDF/A-3 AFRelationship: ``Data`` for a machine-readable twin of what the page
        shows, ``Source`` for what it was made from.
        """
        if name in self._attachments:
            raise PdfTextError(
                "a file of that name is already attached",
                code="pdf.attachment_duplicate",
                found=name,
                expected="a new name",
            )
        self._attachments.add(name)
        self._pdf.embed_file(
            bytes=data,
            basename=name,
            mime_type=mime_type,
            desc=description,
            modification_date=self.info.created,
            creation_date=self.info.created,
            associated_file_relationship=relationship if self.archival else None,
            compress=True,
        )

    def finish(self) -> bytes:
        """The PDF, with every font embedded (as a subset). The sheet cannot be drawn on afterwards."""
        return bytes(self._pdf.output())


def line_height_of(size: float) -> float:
    """The height in millimetres of one line of wrapped text at ``size`` points (the font size and a fifth)."""
    return size / _PT_PER_MM * 1.2


def _xmp(info: DocumentInfo, *, archival: bool) -> str:
    """The XMP packet body (fpdf2 wraps it), matching the Info dictionary as PDF/A requires, dated ``created``."""
    created = info.created.astimezone(UTC).isoformat(timespec="seconds")
    keywords = ", ".join(info.keywords)
    lines = [
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '    <rdf:Description rdf:about=""',
        '        xmlns:dc="http://purl.org/dc/elements/1.1/"',
        '        xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
        '        xmlns:pdf="http://ns.adobe.com/pdf/1.3/"',
        '        xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"',
        '        xmp:CreatorTool="Tawtiq"',
        f'        xmp:CreateDate="{created}"',
        f'        xmp:ModifyDate="{created}"',
        f'        xmp:MetadataDate="{created}"',
        '        pdf:Producer="Tawtiq (fpdf2)"',
    ]
    if keywords:
        lines.append(f'        pdf:Keywords="{escape(keywords)}"')
    lines.append("      >")
    if archival:
        lines += ["      <pdfaid:part>3</pdfaid:part>", "      <pdfaid:conformance>B</pdfaid:conformance>"]
    lines += [
        f'      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.title)}</rdf:li></rdf:Alt></dc:title>',
        "      <dc:description><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{escape(info.subject)}</rdf:li></rdf:Alt></dc:description>',
        f"      <dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>",
        f"      <dc:language><rdf:Bag><rdf:li>{escape(info.language)}</rdf:li></rdf:Bag></dc:language>",
        "    </rdf:Description>",
        "  </rdf:RDF>",
        "</x:xmpmeta>",
    ]
    return "\n".join(lines)
