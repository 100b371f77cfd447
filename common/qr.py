"""QR codes for every party: drawn with segno (SVG, PNG, terminal), read from untrusted pictures with zxing-cpp.

Reading is safe for uploads from anyone. Only PNG, JPEG and WebP are opened (the type is recognised from the
file's first bytes, and Pillow is allowed no other decoder, so a PostScript file can never start Ghostscript);
the dimensions are read from the header and checked against a pixel bound *before* any pixel is decoded (a file
of a few kilobytes can declare gigapixels); JPEGs are decoded straight to grey; large photos are searched first
at a reduced size. Pillow's own decompression-bomb guard (:data:`PIL.Image.MAX_IMAGE_PIXELS`) stays behind ours:
a bound above it is refused as a configuration error.

Every refusal is a :class:`QrError` with a stable code; each party turns it into its own outcome (an HTTP status,
an exit code).
"""

from __future__ import annotations

import io
from typing import Final, TextIO

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from vc.errors import ConfigurationError, CredentialError

#: Default bound on the pixels of a picture to decode: 40 megapixels. A phone photo at its default resolution
#: (12 MP, binned), a 5K screenshot (14.7 MP) and a 6K one (20.4 MP) fit with room; a sensor's full-resolution mode
#: (48–50 MP) does not. Pillow holds a colour picture in 4 bytes a pixel before it is turned grey: at the bound a PNG
#: raised the peak memory by about 190 MB, a JPEG (decoded straight to grey) by about 95 MB, for every upload decoded
#: at the same time (measured December 2026, Pillow 13, zxing-cpp 3.1).
DEFAULT_MAX_PIXELS: Final = 40_000_000
#: The largest bound allowed: Pillow's own decompression-bomb guard, so that it stays behind ours.
MAX_PIXELS_CEILING: Final[int] = Image.MAX_IMAGE_PIXELS or DEFAULT_MAX_PIXELS
#: The formats read, as Pillow names them.
ACCEPTED_FORMATS: Final = ("PNG", "JPEG", "WEBP")
#: Pictures larger than this (longest side, pixels) are first searched at this size, then at full size.
FIRST_PASS_SIDE: Final = 2000

_EXPECTED_TYPE: Final = "a PNG, JPEG or WebP image"
_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
#: First bytes of the formats we read and of those we recognise only to name them in a refusal.
_SIGNATURES: Final = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"%!PS", "PostScript/EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"%PDF", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "Photoshop PSD"),
    (b"<svg", "SVG"),
    (b"<?xml", "XML/SVG"),
)
_ISO_MEDIA_BRANDS: Final = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF"}


class QrError(CredentialError):
    """A picture cannot be read or holds no QR code. ``code`` says which."""

    default_code = "qr.invalid"


class ImageTypeError(QrError):
    """The file is not one of the accepted image formats."""

    default_code = "qr.image_type_unsupported"


class ImageTooLargeError(QrError):
    """The picture declares more pixels than the bound."""

    default_code = "qr.image_too_large"


class ImageUnreadableError(QrError):
    """The file claims an accepted format but cannot be decoded (truncated, damaged)."""

    default_code = "qr.image_unreadable"


class QrNotFoundError(QrError):
    """The picture decodes but no QR code was found in it."""

    default_code = "qr.not_found"


# ------------------------------------------------------------------------------------------------- drawing


#: Error correction of the printed diploma's offline QR: level Q restores up to a quarter of the code (a fold, a
#: stain, a worn corner), where the screen codes' level M restores 15 %.
PRINTED_ERROR: Final = "q"
#: The largest QR version the printed diploma's layout leaves room for (77 × 77 modules).
PRINTED_MAX_VERSION: Final = 15


def qr_svg(data: str, *, title: str | None = None, scale: int = 6, error: str = "m") -> bytes:
    """An SVG QR code (error correction ``error``, M by default; 4-module quiet zone), with an accessible ``title``
    when given."""
    out = io.BytesIO()
    segno.make(data, error=error, micro=False).save(out, kind="svg", scale=scale, border=4, title=title, svgclass="qr")
    return out.getvalue()


def qr_png(data: str, *, scale: int = 8, error: str = "m") -> bytes:
    """A PNG QR code (error correction ``error``, M by default; 4-module quiet zone)."""
    out = io.BytesIO()
    segno.make(data, error=error, micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_version(data: str, *, error: str = "m") -> int:
    """The version (1 to 40) of the smallest QR code holding ``data`` at error correction ``error``."""
    version = segno.make(data, error=error, micro=False, boost_error=False).version
    assert isinstance(version, int)  # an int for a QR code; a string ("M1"…) only for Micro QR, refused here
    return version


def qr_terminal(data: str, out: TextIO) -> None:
    """Draw ``data`` as a QR code (error correction M) with block characters on ``out``."""
    segno.make(data, error="m", micro=False).terminal(out=out, compact=True)


# ------------------------------------------------------------------------------------------------- reading


def image_type(image: bytes) -> str:
    """The type of ``image`` named from its first bytes (``"PNG"``, ``"GIF"``, ``"PostScript/EPS"``…).

    Only a name for messages and for choosing Pillow's decoder; the decoder still checks the whole header.
    Returns ``"an unknown type"`` for anything else, ``"an empty file"`` for no bytes.
    """
    if not image:
        return "an empty file"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "WEBP"
    if image[4:8] == b"ftyp" and image[8:12] in _ISO_MEDIA_BRANDS:
        return _ISO_MEDIA_BRANDS[image[8:12]]
    head = image[:64].lstrip()
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    return "an unknown type"


def decode_qr(image: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[str]:
    """The distinct texts of the QR codes found in ``image`` (PNG, JPEG or WebP bytes), in the decoder's order.

    Raises :class:`ImageTypeError` (``qr.image_type_unsupported``) for any other type, :class:`ImageTooLargeError`
    (``qr.image_too_large``) when the header declares more than ``max_pixels`` pixels, :class:`ImageUnreadableError`
    (``qr.image_unreadable``) for a truncated or damaged file and :class:`QrNotFoundError` (``qr.not_found``).
    Raises :class:`~vc.errors.ConfigurationError` when ``max_pixels`` exceeds Pillow's own bomb guard.
    """
    if not 0 < max_pixels <= MAX_PIXELS_CEILING:
        raise ConfigurationError(
            "the pixel bound for QR pictures is out of range",
            code="qr.max_pixels_invalid",
            found=max_pixels,
            expected=f"between 1 and {MAX_PIXELS_CEILING:,} (Pillow's MAX_IMAGE_PIXELS)",
        )
    grey = _grey_picture(image, max_pixels=max_pixels)
    attempts = [grey]
    if max(grey.size) > FIRST_PASS_SIDE:
        small = grey.copy()
        small.thumbnail((FIRST_PASS_SIDE, FIRST_PASS_SIDE))
        attempts.insert(0, small)
    for attempt in attempts:
        found = zxingcpp.read_barcodes(attempt, formats=_QR_ONLY, text_mode=zxingcpp.TextMode.Plain)
        texts = list(dict.fromkeys(code.text for code in found if code.valid and code.text))
        if texts:
            return texts
    raise QrNotFoundError(
        "no QR code was found in the image; take the photo closer, straight on and in focus",
        expected="a sharp photo or screenshot of one QR code",
    )


def _grey_picture(image: bytes, *, max_pixels: int) -> Image.Image:
    """Open ``image`` as one of the accepted formats, check its declared size, and decode it to greyscale."""
    kind = image_type(image)
    if kind not in ACCEPTED_FORMATS:
        raise ImageTypeError("the file is not an accepted type of image", found=kind, expected=_EXPECTED_TYPE)

    def too_large(found: str) -> ImageTooLargeError:
        return ImageTooLargeError(
            "the image is too large to decode", found=found, expected=f"at most {max_pixels:,} pixels"
        )

    try:
        # Header only: Pillow reads the size here and decodes pixels in load().
        picture = Image.open(io.BytesIO(image), formats=[kind])
    except Image.DecompressionBombError as exc:
        raise too_large(f"a {kind} header declaring more than {2 * MAX_PIXELS_CEILING:,} pixels") from exc
    except Image.DecompressionBombWarning as exc:  # only when warnings are errors
        raise too_large(f"a {kind} header declaring more than {MAX_PIXELS_CEILING:,} pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageUnreadableError(
            f"the {kind} header cannot be read", found="a damaged or truncated header", expected=_EXPECTED_TYPE
        ) from exc
    with picture:
        width, height = picture.size
        if width * height > max_pixels:
            raise too_large(f"{width}×{height} pixels ({width * height:,})")
        try:
            if picture.format == "JPEG":
                picture.draft("L", None)  # the JPEG decoder writes grey directly: a quarter of the memory of RGB
            picture.load()
            return picture.convert("L")
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageUnreadableError(
                f"the {kind} image is truncated or damaged",
                found=f"{width}×{height} pixels declared, but {_short(exc)}",
                expected=f"a complete {kind} file",
            ) from exc


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 80 else text[:79] + "…"
