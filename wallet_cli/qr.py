"""QR codes in the wallet: links read from photos or screenshots, drawn for the terminal, PNG or SVG (common.qr)."""

from __future__ import annotations

from pathlib import Path
from typing import Final, TextIO

from common.qr import QrError, QrNotFoundError, decode_qr, qr_png, qr_svg, qr_terminal
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.store import read_limited, write_atomically

#: Largest picture decoded, in pixels: the holder's own file, decoded once, so a 48-megapixel phone photo fits.
MAX_PIXELS: Final = 50_000_000


def decode_image(path: Path) -> str:
    """The text of the QR code in the image (PNG, JPEG or WebP) at ``path``.

    Raises :class:`UsageError` for a file that cannot be read or is not such an image (``qr.image_type_unsupported``,
    ``qr.image_too_large``, ``qr.image_unreadable``), :class:`RefusedError` ``qr.not_found`` when the picture holds
    no QR code, and ``qr.several`` when it holds more than one different code.
    """
    raw = read_limited(path, what="image")
    try:
        texts = decode_qr(raw, max_pixels=MAX_PIXELS)
    except QrNotFoundError as exc:
        raise RefusedError(
            f"no QR code was found in {path}",
            code=exc.code,
            hint="Take the photo closer, straight on and in focus, or paste the link itself.",
        ) from exc
    except QrError as exc:
        raise UsageError(f"{path}: {exc.summary}", code=exc.code, found=exc.found, expected=exc.expected) from exc
    if len(texts) > 1:
        raise RefusedError(
            f"the image {path} holds {len(texts)} different QR codes; the wallet cannot tell which one is meant",
            code="qr.several",
            hint="Crop the picture to the one QR code.",
        )
    return texts[0]


def looks_like_path(argument: str, schemes: tuple[str, ...]) -> bool:
    """Whether a command argument is a file rather than a URL of one of ``schemes``."""
    return not argument.strip().lower().startswith(tuple(f"{scheme}:" for scheme in schemes))


def terminal(text: str, out: TextIO) -> None:
    """Draw ``text`` as a QR code with block characters."""
    qr_terminal(text, out)


def save(text: str, path: Path) -> None:
    """Write ``text`` as a QR code to ``path``: SVG for ``.svg``, PNG otherwise. Raises :class:`UsageError`."""
    picture = qr_svg(text, scale=8) if path.suffix.lower() == ".svg" else qr_png(text, scale=8)
    try:
        write_atomically(path, picture)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}", code="file.unwritable") from exc
