"""Bounded decoding shared by both status-list codecs: base64url text, then one GZIP or ZLIB stream.

Decoders take untrusted text: they refuse rather than repair, refuse text too long to fit the size limit
before decoding it, and inflate in a bounded stream so a decompression bomb never yields more than
``max_bytes + 1`` bytes.
"""

from __future__ import annotations

import zlib
from typing import Final

from vc.encoding import b64url_decode
from vc.errors import ConfigurationError, FormatError, StatusError

#: Largest decompressed list a decoder accepts unless told otherwise (4 MiB = 2^25 one-bit entries).
DEFAULT_MAX_DECOMPRESSED_BYTES: Final = 4 * 1024 * 1024
GZIP_WBITS: Final = 31  # RFC 1952 wrapper only
ZLIB_WBITS: Final = 15  # RFC 1950 wrapper only, any window size


def check_max_bytes(max_bytes: int) -> None:
    """Refuse a size limit that is not a positive number of bytes (``status.max_bytes_invalid``)."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(
            "max_bytes must be a positive number of bytes",
            code="status.max_bytes_invalid",
            found=max_bytes,
            expected="an integer >= 1",
        )


def _max_encoded_chars(max_bytes: int) -> int:
    """Longest base64url text that could inflate to ``max_bytes``: stored DEFLATE blocks add 5 bytes
    per 64 KiB, plus a GZIP/ZLIB header and trailer. Longer text is refused before it is decoded."""
    compressed = max_bytes + max_bytes // 1000 + 1024
    return (compressed * 4 + 2) // 3


def decode_list_text(text: str, *, what: str, max_bytes: int) -> bytes:
    """The compressed bytes behind base64url ``text``; too long for ``max_bytes`` is ``status.list_too_large``,
    not base64url is ``status.list_malformed``."""
    if len(text) > _max_encoded_chars(max_bytes):
        raise StatusError(
            f"{what} is too long to be a list within the size limit",
            code="status.list_too_large",
            found=f"{len(text)} characters",
            expected=f"a list that inflates to at most {max_bytes} bytes",
        )
    try:
        return b64url_decode(text, what=what)
    except FormatError as exc:
        raise FormatError(
            f"{what} is not unpadded base64url",
            code="status.list_malformed",
            found=exc.found,
            expected=exc.expected,
        ) from exc


def inflate(compressed: bytes, *, wbits: int, container: str, what: str, max_bytes: int) -> bytes:
    """Decompress one GZIP or ZLIB stream, never producing more than ``max_bytes + 1`` bytes."""
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        data = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise FormatError(
            f"{what} is not valid {container} data",
            code="status.list_compression",
            found=f"bytes starting {compressed[:4].hex() or '(empty)'}: {exc}",
            expected=container,
        ) from exc
    if len(data) > max_bytes:
        raise StatusError(
            f"{what} inflates past the size limit",
            code="status.list_too_large",
            found=f"more than {max_bytes} bytes",
            expected=f"at most {max_bytes} bytes",
        )
    if not inflater.eof:
        raise FormatError(
            f"{what} is a truncated {container} stream",
            code="status.list_compression",
            found=f"{len(compressed)} compressed bytes without an end of stream",
            expected=f"one complete {container} stream",
        )
    if inflater.unused_data:
        raise FormatError(
            f"{what} has data after its {container} stream",
            code="status.list_compression",
            found=f"{len(inflater.unused_data)} trailing bytes",
            expected=f"exactly one {container} stream",
        )
    return data
