"""The W3C Bitstring Status List v1.0 codec (W3C REC, 15 May 2025): ``encodedList`` to and from a list.

The REC's list is most-significant-bit first, GZIP-compressed behind a multibase ``u`` (base64url), and at
least 16 KB long so that one credential's entry hides among many (herd privacy).
"""

from __future__ import annotations

import gzip
from typing import Final

from vc.encoding import b64url_encode
from vc.errors import ConfigurationError, FormatError, StatusError
from vc.statuslist.bits import BitOrder, StatusList, check_bits
from vc.statuslist.compression import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    GZIP_WBITS,
    check_max_bytes,
    decode_list_text,
    inflate,
)

#: Bitstring Status List §2.2: "The uncompressed bitstring MUST be at least 16KB in size."
MIN_BITSTRING_BITS: Final = 131_072
#: Bitstring Status List §3.2 step 9: the bitstring length divided by ``statusSize`` must reach this
#: ``minimumNumberOfEntries``, so a 2-bit list needs 32 KB, not 16 KB.
MIN_BITSTRING_ENTRIES: Final = 131_072


def encode_bitstring(lst: StatusList) -> str:
    """Encode an MSB-first list as a REC ``encodedList``: ``"u"`` + base64url(GZIP(bitstring)).

    GZIP runs at level 9 with mtime 0, so the same list always gives the same string (and the same
    ``ETag``). Raises :class:`ConfigurationError`: ``status.order_mismatch`` for an LSB-first list,
    ``status.list_too_short`` for fewer than 131,072 entries (REC §2.2 and §3.2 step 9).
    """
    if lst.order is not BitOrder.MSB_FIRST:
        raise ConfigurationError(
            "a Bitstring Status List must be most-significant-bit first",
            code="status.order_mismatch",
            found=lst.order.value,
            expected=BitOrder.MSB_FIRST.value,
        )
    if len(lst.data) * 8 < MIN_BITSTRING_BITS or lst.size < MIN_BITSTRING_ENTRIES:
        raise ConfigurationError(
            "a Bitstring Status List is too short for herd privacy",
            code="status.list_too_short",
            found=f"{lst.size} entries",
            expected=f"at least {MIN_BITSTRING_ENTRIES} entries and {MIN_BITSTRING_BITS} bits",
        )
    return "u" + b64url_encode(gzip.compress(lst.data, compresslevel=9, mtime=0))


def decode_bitstring(
    encoded_list: str,
    *,
    status_size: int = 1,
    max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> StatusList:
    """Decode a REC ``encodedList`` (§3.4 Bitstring Expansion Algorithm) into an MSB-first list.

    ``status_size`` is the entry's ``statusSize`` (1, 2, 4 or 8). Raises :class:`FormatError`:
    ``status.list_malformed`` (not a string, no multibase ``u`` prefix, not base64url),
    ``status.list_compression`` (not a single complete GZIP stream), ``status.bits_unsupported``;
    and :class:`StatusError`: ``status.list_too_large`` (would inflate past ``max_bytes``; at most
    ``max_bytes + 1`` bytes are ever produced), ``status.list_too_short`` (fewer than 131,072 bits or
    entries, the REC's STATUS_LIST_LENGTH_ERROR).
    """
    check_max_bytes(max_bytes)
    bits = check_bits(status_size, error=FormatError, what="statusSize")
    if not isinstance(encoded_list, str):
        raise FormatError(
            "encodedList is not a string",
            code="status.list_malformed",
            found=type(encoded_list).__name__,
            expected="a multibase base64url string",
        )
    if not encoded_list.startswith("u"):
        raise FormatError(
            "encodedList lacks the multibase base64url prefix",
            code="status.list_malformed",
            found=repr(encoded_list[:1]) if encoded_list else "an empty string",
            expected="'u' followed by base64url without padding",
        )
    compressed = decode_list_text(encoded_list[1:], what="encodedList", max_bytes=max_bytes)
    data = inflate(compressed, wbits=GZIP_WBITS, container="GZIP", what="encodedList", max_bytes=max_bytes)
    entries = len(data) * 8 // bits
    if len(data) * 8 < MIN_BITSTRING_BITS or entries < MIN_BITSTRING_ENTRIES:
        raise StatusError(
            "the status list is shorter than the REC's minimum",
            code="status.list_too_short",
            found=f"{len(data) * 8} bits = {entries} entries of {bits} bit(s)",
            expected=f"at least {MIN_BITSTRING_ENTRIES} entries and {MIN_BITSTRING_BITS} bits",
        )
    return StatusList(data, bits=bits, order=BitOrder.MSB_FIRST)
