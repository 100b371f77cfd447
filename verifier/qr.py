"""QR codes: drawn with segno (SVG and PNG), read back from photos and screenshots with zxing-cpp.

Reading takes untrusted images: the declared dimensions are checked before any pixel is decoded (a small file can
declare a huge image), and decoding failures become a clear :class:`~verifier.errors.RequestError`.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from verifier.errors import RequestError

#: Photos are first searched at this size (longest side, pixels); the full image is tried only if that fails.
_FIRST_PASS_SIDE: Final = 2000
_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def qr_svg(data: str, *, title: str) -> bytes:
    """An SVG QR code (error correction M, 4-module quiet zone) with an accessible title."""
    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(out, kind="svg", scale=6, border=4, title=title, svgclass="qr")
    return out.getvalue()


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """A PNG QR code (error correction M, 4-module quiet zone)."""
    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def decode_qr(image: bytes, *, max_pixels: int) -> list[str]:
    """The texts of the QR codes found in ``image`` (PNG, JPEG, WebP, GIF…), largest first.

    Raises :class:`RequestError`: ``qr.image_unreadable`` (not an image we can read), ``qr.image_too_large``
    (more than ``max_pixels`` pixels) and ``qr.not_found`` (no QR code in it).
    """

    def too_large(found: str) -> RequestError:
        return RequestError(
            "the image is too large",
            code="qr.image_too_large",
            status_code=413,
            found=found,
            expected=f"at most {max_pixels} pixels",
        )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(image))
            width, height = picture.size
            if width * height > max_pixels:
                raise too_large(f"{width}×{height} pixels")
            picture.load()
            grey = picture.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large("more pixels than the decoder allows") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise RequestError(
            "the file is not an image that can be read", code="qr.image_unreadable", expected="a PNG or JPEG photo"
        ) from exc
    attempts = [grey]
    if max(grey.size) > _FIRST_PASS_SIDE:
        small = grey.copy()
        small.thumbnail((_FIRST_PASS_SIDE, _FIRST_PASS_SIDE))
        attempts.insert(0, small)
    for attempt in attempts:
        found = zxingcpp.read_barcodes(attempt, formats=_QR_ONLY, text_mode=zxingcpp.TextMode.Plain)
        texts = [code.text for code in found if code.valid and code.text]
        if texts:
            return texts
    raise RequestError(
        "no QR code was found in the image; take the photo closer, straight on and in focus",
        code="qr.not_found",
        status_code=422,
    )
