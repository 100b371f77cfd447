"""QR codes: read from a photo or screenshot (zxing-cpp through Pillow), drawn for the terminal, PNG or SVG (segno)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Final, TextIO

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.store import read_limited, write_atomically

#: Largest picture decoded, in pixels (a 48-megapixel phone photo fits).
MAX_PIXELS: Final = 50_000_000
#: Photos are tried first at this size (fast, and sharper for the decoder), then at full size.
_FIRST_PASS_SIDE: Final = 1600
_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def decode_image(path: Path) -> str:
    """The text of the QR code in the image at ``path``.

    Raises :class:`UsageError` for a file that cannot be read, :class:`RefusedError` ``qr.not_found`` when the
    picture holds no QR code, and ``qr.several`` when it holds more than one different code.
    """
    raw = read_limited(path, what="image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(raw))
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise UsageError(
                    f"the image {path} is too large to decode",
                    code="qr.image_too_large",
                    found=f"{width}×{height} pixels",
                    expected=f"at most {MAX_PIXELS} pixels",
                )
            picture.load()
            grey = picture.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UsageError(f"the image {path} is too large to decode", code="qr.image_too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UsageError(
            f"{path} is not an image that can be read", code="qr.image_unreadable", expected="a PNG or JPEG picture"
        ) from exc
    attempts = [grey]
    if max(grey.size) > _FIRST_PASS_SIDE:
        small = grey.copy()
        small.thumbnail((_FIRST_PASS_SIDE, _FIRST_PASS_SIDE))
        attempts.insert(0, small)
    for attempt in attempts:
        found = zxingcpp.read_barcodes(attempt, formats=_QR_ONLY, text_mode=zxingcpp.TextMode.Plain)
        texts = list(dict.fromkeys(code.text for code in found if code.valid and code.text))
        if len(texts) == 1:
            return texts[0]
        if len(texts) > 1:
            raise RefusedError(
                f"the image {path} holds {len(texts)} different QR codes; the wallet cannot tell which one is meant",
                code="qr.several",
                hint="Crop the picture to the one QR code.",
            )
    raise RefusedError(
        f"no QR code was found in {path}",
        code="qr.not_found",
        hint="Take the photo closer, straight on and in focus, or paste the link itself.",
    )


def looks_like_path(argument: str, schemes: tuple[str, ...]) -> bool:
    """Whether a command argument is a file rather than a URL of one of ``schemes``."""
    return not argument.strip().lower().startswith(tuple(f"{scheme}:" for scheme in schemes))


def terminal(text: str, out: TextIO) -> None:
    """Draw ``text`` as a QR code with block characters."""
    segno.make(text, error="m").terminal(out=out, compact=True)


def save(text: str, path: Path) -> None:
    """Write ``text`` as a QR code to ``path``: SVG for ``.svg``, PNG otherwise. Raises :class:`UsageError`."""
    code = segno.make(text, error="m")
    buffer = io.BytesIO()
    kind = "svg" if path.suffix.lower() == ".svg" else "png"
    code.save(buffer, kind=kind, scale=8, border=4)
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}", code="file.unwritable") from exc
