"""QR photos uploaded to the verifier's page: counted, bounded in concurrency, decoded by :mod:`common.qr`, and
refusals turned into HTTP problems.

Decoding a large photo costs tens of megabytes and up to a second of CPU (see :data:`common.qr.DEFAULT_MAX_PIXELS`),
so uploads are counted per client address like every other creation endpoint, and at most
``qr_max_concurrent_decodes`` are decoded at once in a process: one more is answered ``503`` with ``Retry-After``
at once rather than queued, so a burst of uploads can neither exhaust memory nor hold the worker threads.
"""

from __future__ import annotations

import threading
from typing import Final

from common.qr import ImageTooLargeError, ImageTypeError, QrError, QrNotFoundError, decode_qr
from verifier.errors import RequestError
from verifier.ratelimit import RateLimiter
from verifier.settings import Settings

#: HTTP status of each refusal; anything else (a damaged file) is a plain 400.
_STATUS: Final[tuple[tuple[type[QrError], int], ...]] = (
    (ImageTypeError, 415),
    (ImageTooLargeError, 413),
    (QrNotFoundError, 422),
)
#: Seconds a client is asked to wait when every decoding slot is taken (a decode takes about a second at most).
BUSY_RETRY_SECONDS: Final = 2


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


class QrUploads:
    """Reads uploaded QR photos: ``qr_rate_limit`` per client and window, ``qr_max_concurrent_decodes`` at a time."""

    def __init__(self, *, settings: Settings, limiter: RateLimiter) -> None:
        self._settings = settings
        self._limiter = limiter
        self._slots = threading.BoundedSemaphore(settings.qr_max_concurrent_decodes)

    def decode(self, image: bytes, *, client: str) -> list[str]:
        """The texts of the QR codes in ``image``. Blocks while decoding (call it from a worker thread).

        Raises :class:`~verifier.errors.RateLimitedError` (429) past the client's allowance, :class:`RequestError`
        ``qr.busy`` (503, with ``Retry-After``) when every decoding slot is taken, and :func:`decode_upload`'s
        refusals.
        """
        self._limiter.hit(
            action="qr",
            client=client,
            limit=self._settings.qr_rate_limit,
            window_seconds=self._settings.qr_rate_window_seconds,
        )
        if not self._slots.acquire(blocking=False):
            raise RequestError(
                "the verifier is reading other pictures; try again in a few seconds",
                code="qr.busy",
                status_code=503,
                headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
                found=f"{self._settings.qr_max_concurrent_decodes} pictures being read",
                expected="a free decoding slot",
            )
        try:
            return decode_upload(image, max_pixels=self._settings.max_upload_pixels)
        finally:
            self._slots.release()
