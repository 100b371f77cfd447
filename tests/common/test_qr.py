"""QR decoding of untrusted pictures: real images made with segno and Pillow, and one crafted file per refusal."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import pytest
import segno
from PIL import Image, ImageFile

from common.qr import (
    DEFAULT_MAX_PIXELS,
    MAX_PIXELS_CEILING,
    ImageTooLargeError,
    ImageTypeError,
    ImageUnreadableError,
    QrNotFoundError,
    decode_qr,
    image_type,
    qr_png,
    qr_svg,
)
from vc.errors import ConfigurationError

TEXT = "https://verify.example.ma/s/abcdefgh12345678"


def _picture(kind: str, *, size: tuple[int, int] | None = None, text: str = TEXT) -> bytes:
    """A segno QR code saved by Pillow as ``kind``, pasted on a white page of ``size`` when given."""
    code = Image.open(io.BytesIO(qr_png(text, scale=6))).convert("RGB")
    if size is not None:
        page = Image.new("RGB", size, "white")
        page.paste(code, (size[0] // 3, size[1] // 3))
        code = page
    out = io.BytesIO()
    code.save(out, kind)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature, an IHDR declaring ``width``×``height`` (8-bit grey) and IEND: no pixel data at all."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_segno_qr_code_decodes_from_each_accepted_format(kind: str) -> None:
    assert image_type(_picture(kind)) == kind
    assert decode_qr(_picture(kind)) == [TEXT]


def test_a_large_photo_is_searched_at_a_reduced_size_first() -> None:
    photo = _picture("JPEG", size=(4800, 3600))
    assert decode_qr(photo) == [TEXT]


def test_two_codes_give_both_texts_and_one_repeated_code_gives_one() -> None:
    first = Image.open(io.BytesIO(qr_png("first", scale=6)))
    second = Image.open(io.BytesIO(qr_png("second", scale=6)))
    page = Image.new("L", (first.width * 3, first.height), 255)
    page.paste(first, (0, 0))
    page.paste(second, (first.width * 2, 0))
    out = io.BytesIO()
    page.save(out, "PNG")
    assert sorted(decode_qr(out.getvalue())) == ["first", "second"]

    page.paste(first, (first.width * 2, 0))
    out = io.BytesIO()
    page.save(out, "PNG")
    assert decode_qr(out.getvalue()) == ["first"]


def test_the_svg_drawing_is_titled_and_the_png_is_a_png() -> None:
    assert b"<title>Tawtiq</title>" in qr_svg(TEXT, title="Tawtiq")
    assert image_type(qr_png(TEXT)) == "PNG"


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", "PostScript/EPS"),
        (b"\xc5\xd0\xd3\xc6" + bytes(28), "EPS"),
        (None, "GIF"),
        (None, "BMP"),
        (None, "TIFF"),
        (b"%PDF-1.7\n", "PDF"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"hello", "an unknown type"),
        (b"", "an empty file"),
    ],
)
def test_other_file_types_are_refused_naming_what_was_found(content: bytes | None, found: str) -> None:
    image = content if content is not None else _picture(found)
    with pytest.raises(ImageTypeError) as caught:
        decode_qr(image)
    assert caught.value.code == "qr.image_type_unsupported"
    assert caught.value.found == found
    assert "PNG, JPEG or WebP" in str(caught.value)


def test_an_eps_never_reaches_a_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:  # pragma: no cover - must not be reached
        raise AssertionError("Pillow must not be asked to open a PostScript file")

    monkeypatch.setattr(Image, "open", refuse)
    with pytest.raises(ImageTypeError):
        decode_qr(b"%!PS-Adobe-3.0 EPSF-3.0\n")


@pytest.mark.parametrize(
    ("width", "height"),
    [(7_000, 7_000), (100_000, 100_000), (2**31 - 1, 2**31 - 1)],
    ids=["above-our-bound", "above-pillows-bound", "largest-declarable"],
)
def test_an_over_large_header_is_refused_without_allocating(
    width: int, height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pixels(*args: object, **kwargs: object) -> None:  # pragma: no cover - must not be reached
        raise AssertionError("no pixel buffer may be made for a refused header")

    # Pillow makes the pixel buffer in load_prepare (C memory, which tracemalloc cannot see): it must not run.
    monkeypatch.setattr(ImageFile.ImageFile, "load_prepare", no_pixels)
    header = _png_header(width, height)
    assert len(header) < 100
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLargeError) as caught:
            decode_qr(header)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{peak} bytes allocated while refusing a header"
    assert caught.value.code == "qr.image_too_large"
    assert caught.value.expected == f"at most {DEFAULT_MAX_PIXELS:,} pixels"


def test_the_bound_is_the_callers_and_names_the_dimensions() -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        decode_qr(_picture("PNG"), max_pixels=10_000)
    assert "×" in str(caught.value.found)


def test_a_bound_above_pillows_own_guard_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        decode_qr(_picture("PNG"), max_pixels=MAX_PIXELS_CEILING + 1)
    assert caught.value.code == "qr.max_pixels_invalid"


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_truncated_file_gives_a_clear_error(kind: str) -> None:
    whole = _picture(kind)
    with pytest.raises(ImageUnreadableError) as caught:
        decode_qr(whole[: len(whole) * 2 // 3])
    assert caught.value.code == "qr.image_unreadable"
    assert kind in str(caught.value)
    assert "truncated" in str(caught.value)


def test_a_file_cut_inside_its_header_is_unreadable() -> None:
    with pytest.raises(ImageUnreadableError) as caught:
        decode_qr(_picture("PNG")[:20])
    assert "header" in str(caught.value)


def test_a_picture_without_a_code_is_not_found() -> None:
    out = io.BytesIO()
    Image.new("L", (300, 200), 255).save(out, "PNG")
    with pytest.raises(QrNotFoundError) as caught:
        decode_qr(out.getvalue())
    assert caught.value.code == "qr.not_found"


def test_segno_and_pillow_agree_on_the_drawn_code() -> None:
    out = io.BytesIO()
    segno.make(TEXT, error="q").save(out, kind="png", scale=3, border=4)
    assert decode_qr(out.getvalue()) == [TEXT]
