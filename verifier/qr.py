"""QR photos uploaded to the verifier's page: decoded by :mod:`common.qr`, refusals turned into HTTP problems."""

from __future__ import annotations

from typing import Final

from common.qr import ImageTooLargeError, ImageTypeError, QrError, QrNotFoundError, decode_qr
from verifier.errors import RequestError

#: HTTP status of each refusal; anything else (a damaged file) is a plain 400.
_STATUS: Final[tuple[tuple[type[QrError], int], ...]] = (
    (ImageTypeError, 415),
    (ImageTooLargeError, 413),
    (QrNotFoundError, 422),
)


def decode_upload(image: bytes, *, max_pixels: int) -> list[str]:
    """The texts of the QR codes in an uploaded picture (see :func:`common.qr.decode_qr`).

    Raises :class:`RequestError` with the refusal's code: ``qr.image_type_unsupported`` (415),
    ``qr.image_too_large`` (413), ``qr.image_unreadable`` (400) or ``qr.not_found`` (422).
    """
    try:
        return decode_qr(image, max_pixels=max_pixels)
    except QrError as exc:
        status = next((status for kind, status in _STATUS if isinstance(exc, kind)), 400)
        raise RequestError(
            exc.summary, code=exc.code, status_code=status, found=exc.found, expected=exc.expected
        ) from exc
