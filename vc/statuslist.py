"""Status lists: the W3C Bitstring Status List and the IETF Token Status List, read and written exactly.

Both formats pack one small status per credential into a compressed byte array, but with opposite bit
orders: Bitstring Status List v1.0 (W3C REC, 15 May 2025) puts index 0 in the left-most bit and uses
GZIP behind a multibase ``u``; Token Status List (draft-ietf-oauth-status-list-20) puts index 0 in the
least significant bit and uses ZLIB. :class:`StatusList` holds the decoded bytes and its bit order, so
the rest of the engine reads a status without caring where it came from.

Decoders take untrusted text: they refuse rather than repair, and they inflate in a bounded stream so a
decompression bomb never yields more than ``max_bytes + 1`` bytes. The document helpers build and parse the
unsigned status-list credential (W3C) and Status List Token claims (IETF); signing and signature checks
happen elsewhere.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeGuard
from urllib.parse import urlsplit

from vc.encoding import b64url_decode, b64url_encode
from vc.errors import ConfigurationError, FormatError, StatusError, TawtiqError
from vc.urls import is_secure_url

#: Token Status List status types (draft-20 §7.1). 0x03 and 0x0C-0x0F are application specific.
STATUS_VALID: Final = 0x00
STATUS_INVALID: Final = 0x01
STATUS_SUSPENDED: Final = 0x02

#: Bitstring Status List §2.2: "The uncompressed bitstring MUST be at least 16KB in size."
MIN_BITSTRING_BITS: Final = 131_072
#: Bitstring Status List §3.2 step 9: the bitstring length divided by ``statusSize`` must reach this
#: ``minimumNumberOfEntries``, so a 2-bit list needs 32 KB, not 16 KB.
MIN_BITSTRING_ENTRIES: Final = 131_072
#: Largest decompressed list a decoder accepts unless told otherwise (4 MiB = 2^25 one-bit entries).
DEFAULT_MAX_DECOMPRESSED_BYTES: Final = 4 * 1024 * 1024
#: Entry widths both codecs read: TSL allows exactly these (draft-20 §4.1); for Bitstring ``statusSize``
#: any positive width is legal, but only these keep entries inside one byte.
SUPPORTED_BITS: Final = frozenset({1, 2, 4, 8})
#: Longest ``statusListIndex`` accepted, in decimal digits (below 2^63).
MAX_INDEX_DIGITS: Final = 18
#: Widest Bitstring ``statusSize`` an entry may declare; wider needs 512+ ``statusMessage`` items.
MAX_STATUS_SIZE: Final = 8

VCDM_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"

_GZIP_WBITS: Final = 31  # RFC 1952 wrapper only
_ZLIB_WBITS: Final = 15  # RFC 1950 wrapper only, any window size
_HTTP_SCHEMES: Final = frozenset({"http", "https"})
_HTTPS_SCHEME: Final = frozenset({"https"})
_SECURE_SCHEMES: Final = frozenset({"https", "http"})
_MAX_URL_LENGTH: Final = 2048
_URL_FORBIDDEN: Final = re.compile(r"[\x00-\x20\x7f]")
_DECIMAL_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_HEX_STATUS: Final = re.compile(r"0x[0-9a-fA-F]{1,4}")
_ENCODED_LIST: Final = re.compile(r"u[A-Za-z0-9_-]+")
_DATETIME_STAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_NONZERO_BYTE: Final = re.compile(rb"[^\x00]")


class BitOrder(StrEnum):
    """Where entry 0 sits in byte 0, and so which standard a list belongs to."""

    #: W3C Bitstring Status List: index 0 is the left-most (most significant) bit of byte 0, and a
    #: multi-bit entry is read left to right as a big-endian number.
    MSB_FIRST = "msb-first"
    #: IETF Token Status List: index 0 is the least significant bit of byte 0; entry i of an n-bit list
    #: is ``(byte[i*n // 8] >> ((i*n) % 8)) & (2^n - 1)``.
    LSB_FIRST = "lsb-first"


def _check_bits(bits: Any, *, error: type[TawtiqError], what: str) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or bits not in SUPPORTED_BITS:
        raise error(
            f"{what} is not a supported entry width",
            code="status.bits_unsupported",
            found=bits,
            expected="1, 2, 4 or 8",
        )
    return bits


def _bit_order(order: Any) -> BitOrder:
    try:
        return BitOrder(order)
    except ValueError:
        raise ConfigurationError(
            "unknown bit order", code="status.order_mismatch", found=order, expected=[o.value for o in BitOrder]
        ) from None


def _check_max_bytes(max_bytes: int) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(
            "max_bytes must be a positive number of bytes",
            code="status.max_bytes_invalid",
            found=max_bytes,
            expected="an integer >= 1",
        )


@dataclass(frozen=True, slots=True, repr=False)
class StatusList:
    """An immutable, decoded status list: raw bytes, the width of one entry and the bit order.

    ``StatusList(data, bits=..., order=...)`` raises :class:`ConfigurationError`
    (``status.bits_unsupported``) unless ``bits`` is 1, 2, 4 or 8. Decoders validate their input first
    and raise :class:`FormatError` for the same problem in a received list.
    """

    data: bytes
    _: KW_ONLY
    bits: int
    order: BitOrder

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes | bytearray | memoryview):
            raise ConfigurationError(
                "status list data must be bytes", code="status.data_invalid", found=type(self.data).__name__
            )
        object.__setattr__(self, "data", bytes(self.data))
        _check_bits(self.bits, error=ConfigurationError, what="bits")
        object.__setattr__(self, "order", _bit_order(self.order))

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, bits={self.bits}, order={self.order.value!r})"

    @property
    def size(self) -> int:
        """Number of entries: every whole ``bits``-wide slot in ``data``."""
        return len(self.data) * 8 // self.bits

    def get(self, index: int) -> int:
        """Return the status value at ``index`` (0 to ``2**bits - 1``).

        Raises :class:`StatusError` (``status.index_out_of_range``) for a negative index or one at or
        beyond :attr:`size`: TSL draft-20 §8.3 step 6 and the REC's RANGE_ERROR both say no statement
        can be made about such an index.
        """
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise StatusError(
                f"status index {index!r} is outside a list of {self.size} entries",
                code="status.index_out_of_range",
                found=index,
                expected=f"an integer from 0 to {self.size - 1}",
            )
        byte, shift = _locate(index, bits=self.bits, order=self.order)
        return (self.data[byte] >> shift) & ((1 << self.bits) - 1)

    def nonzero(self) -> Iterator[tuple[int, int]]:
        """Yield ``(index, value)`` for every entry that is not 0, in index order.

        Zero bytes are skipped at C speed, so a sparse list of a million entries is walked in
        milliseconds.
        """
        per_byte = 8 // self.bits
        mask = (1 << self.bits) - 1
        for match in _NONZERO_BYTE.finditer(self.data):
            byte_index = match.start()
            value = self.data[byte_index]
            for slot in range(per_byte):
                index = byte_index * per_byte + slot
                _, shift = _locate(index, bits=self.bits, order=self.order)
                status = (value >> shift) & mask
                if status:
                    yield index, status

    @classmethod
    def from_entries(
        cls,
        *,
        size: int,
        bits: int,
        order: BitOrder,
        entries: Iterable[tuple[int, int]],
    ) -> StatusList:
        """Build a list of ``size`` entries, all 0 except the given ``(index, value)`` pairs.

        The byte array is rounded up to whole bytes, so :attr:`size` of the result can exceed ``size``
        (12 two-bit entries make 3 bytes and 12 entries; 12 one-bit entries make 2 bytes and 16).
        A later pair for the same index overrides an earlier one.

        Building a list is the issuer's own doing, so bad arguments are :class:`ConfigurationError`:
        ``status.bits_unsupported``, ``status.size_invalid`` (``size`` < 1),
        ``status.entry_index_out_of_range`` (index outside ``0..size-1``) and
        ``status.entry_value_out_of_range`` (value that does not fit in ``bits``).
        """
        _check_bits(bits, error=ConfigurationError, what="bits")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(
                "a status list needs at least one entry",
                code="status.size_invalid",
                found=size,
                expected="an integer >= 1",
            )
        order = _bit_order(order)
        buffer = bytearray((size * bits + 7) // 8)
        _set_entries(buffer, bits=bits, order=order, limit=size, entries=entries)
        return cls(bytes(buffer), bits=bits, order=order)

    def with_entries(self, entries: Iterable[tuple[int, int]]) -> StatusList:
        """Return a copy with the given ``(index, value)`` pairs set; this list is unchanged.

        Raises the same :class:`ConfigurationError` codes as :meth:`from_entries`, with the index bound
        being this list's :attr:`size`.
        """
        buffer = bytearray(self.data)
        _set_entries(buffer, bits=self.bits, order=self.order, limit=self.size, entries=entries)
        return StatusList(bytes(buffer), bits=self.bits, order=self.order)


def _locate(index: int, *, bits: int, order: BitOrder) -> tuple[int, int]:
    """Byte position of entry ``index`` and the right-shift that brings it to the low bits."""
    byte, offset = divmod(index * bits, 8)
    shift = offset if order is BitOrder.LSB_FIRST else 8 - bits - offset
    return byte, shift


def _set_entries(
    buffer: bytearray, *, bits: int, order: BitOrder, limit: int, entries: Iterable[tuple[int, int]]
) -> None:
    mask = (1 << bits) - 1
    for index, value in entries:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < limit:
            raise ConfigurationError(
                "status entry index is outside the list",
                code="status.entry_index_out_of_range",
                found=index,
                expected=f"an integer from 0 to {limit - 1}",
            )
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= mask:
            raise ConfigurationError(
                f"status value does not fit in {bits} bit(s)",
                code="status.entry_value_out_of_range",
                found=value,
                expected=f"an integer from 0 to {mask}",
            )
        byte, shift = _locate(index, bits=bits, order=order)
        buffer[byte] = (buffer[byte] & ~(mask << shift) & 0xFF) | (value << shift)


# --- Compression and text encoding shared by both codecs ------------------------------------------------


def _max_encoded_chars(max_bytes: int) -> int:
    """Longest base64url text that could inflate to ``max_bytes``: stored DEFLATE blocks add 5 bytes
    per 64 KiB, plus a GZIP/ZLIB header and trailer. Longer text is refused before it is decoded."""
    compressed = max_bytes + max_bytes // 1000 + 1024
    return (compressed * 4 + 2) // 3


def _b64url_list(text: str, *, what: str, max_bytes: int) -> bytes:
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


def _inflate(compressed: bytes, *, wbits: int, container: str, what: str, max_bytes: int) -> bytes:
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


# --- W3C Bitstring Status List v1.0 -------------------------------------------------------------------------


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
    _check_max_bytes(max_bytes)
    bits = _check_bits(status_size, error=FormatError, what="statusSize")
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
    compressed = _b64url_list(encoded_list[1:], what="encodedList", max_bytes=max_bytes)
    data = _inflate(compressed, wbits=_GZIP_WBITS, container="GZIP", what="encodedList", max_bytes=max_bytes)
    entries = len(data) * 8 // bits
    if len(data) * 8 < MIN_BITSTRING_BITS or entries < MIN_BITSTRING_ENTRIES:
        raise StatusError(
            "the status list is shorter than the REC's minimum",
            code="status.list_too_short",
            found=f"{len(data) * 8} bits = {entries} entries of {bits} bit(s)",
            expected=f"at least {MIN_BITSTRING_ENTRIES} entries and {MIN_BITSTRING_BITS} bits",
        )
    return StatusList(data, bits=bits, order=BitOrder.MSB_FIRST)


# --- IETF Token Status List (draft-ietf-oauth-status-list-20) -------------------------------------------


def encode_token_status_list(lst: StatusList, *, aggregation_uri: str | None = None) -> dict[str, Any]:
    """Encode an LSB-first list as the JSON ``StatusList`` object (draft-20 §4.2).

    Returns ``{"bits": n, "lst": base64url(ZLIB level 9)}`` plus ``aggregation_uri`` when given.
    Raises :class:`ConfigurationError`: ``status.order_mismatch`` for an MSB-first list,
    ``status.document_invalid`` for an ``aggregation_uri`` that is not an https URL.
    """
    if lst.order is not BitOrder.LSB_FIRST:
        raise ConfigurationError(
            "a Token Status List must be least-significant-bit first",
            code="status.order_mismatch",
            found=lst.order.value,
            expected=BitOrder.LSB_FIRST.value,
        )
    encoded: dict[str, Any] = {"bits": lst.bits, "lst": b64url_encode(zlib.compress(lst.data, 9))}
    if aggregation_uri is not None:
        if not _is_url(aggregation_uri, schemes=_HTTPS_SCHEME):
            raise ConfigurationError(
                "aggregation_uri is not an https URL",
                code="status.document_invalid",
                found=aggregation_uri,
                expected="https://...",
            )
        encoded["aggregation_uri"] = aggregation_uri
    return encoded


def decode_token_status_list(
    obj: Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> StatusList:
    """Decode the JSON ``StatusList`` object ``{"bits", "lst"}`` (draft-20 §4.2) into an LSB-first list.

    Raises :class:`FormatError`: ``status.list_malformed`` (not an object, ``bits`` not an integer,
    ``lst`` not a base64url string, ``aggregation_uri`` not a string), ``status.bits_unsupported``
    (``bits`` not 1, 2, 4 or 8), ``status.list_compression`` (not a single complete ZLIB stream); and
    :class:`StatusError` ``status.list_too_large`` (would inflate past ``max_bytes``).
    """
    _check_max_bytes(max_bytes)
    if not isinstance(obj, Mapping):
        raise FormatError(
            "status_list is not a JSON object",
            code="status.list_malformed",
            found=type(obj).__name__,
            expected='{"bits": ..., "lst": ...}',
        )
    bits = obj.get("bits")
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise FormatError(
            "status_list.bits is not an integer",
            code="status.list_malformed",
            found=repr(bits) if "bits" in obj else "no 'bits'",
            expected="1, 2, 4 or 8",
        )
    _check_bits(bits, error=FormatError, what="status_list.bits")
    lst = obj.get("lst")
    if not isinstance(lst, str):
        raise FormatError(
            "status_list.lst is not a string",
            code="status.list_malformed",
            found=type(lst).__name__ if "lst" in obj else "no 'lst'",
            expected="base64url of the ZLIB-compressed byte array",
        )
    if "aggregation_uri" in obj and not isinstance(obj["aggregation_uri"], str):
        raise FormatError(
            "status_list.aggregation_uri is not a string",
            code="status.list_malformed",
            found=type(obj["aggregation_uri"]).__name__,
            expected="a URI string",
        )
    compressed = _b64url_list(lst, what="status_list.lst", max_bytes=max_bytes)
    data = _inflate(compressed, wbits=_ZLIB_WBITS, container="ZLIB", what="status_list.lst", max_bytes=max_bytes)
    return StatusList(data, bits=bits, order=BitOrder.LSB_FIRST)


# --- Status entries inside credentials -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """One ``statusMessage`` item: a status value and the developer-facing text for it."""

    status: int
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BitstringStatusEntry:
    """A ``BitstringStatusListEntry`` from a credential's ``credentialStatus`` (REC §2.1).

    ``status_messages`` is sorted by status value and, when present, complete: item ``v`` describes
    status ``v``.
    """

    purpose: str
    index: int
    list_credential: str
    status_size: int = 1
    id: str | None = None
    status_messages: tuple[StatusMessage, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenStatusReference:
    """The ``status.status_list`` reference of an SD-JWT VC or other JOSE token (draft-20 §6.2)."""

    index: int
    uri: str


def _is_url(value: Any, *, schemes: frozenset[str]) -> TypeGuard[str]:
    """An absolute URL with one of ``schemes`` (lower case), a host, no user info, no spaces or controls."""
    if not isinstance(value, str) or not value or len(value) > _MAX_URL_LENGTH or _URL_FORBIDDEN.search(value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    return (
        parts.scheme in schemes
        and value.startswith(f"{parts.scheme}://")
        and bool(parts.hostname)
        and parts.username is None
    )


def _is_secure_url(value: Any) -> TypeGuard[str]:
    """A well-formed https URL, or http on the loopback interface (local development only)."""
    return _is_url(value, schemes=_SECURE_SCHEMES) and is_secure_url(value)


def _parse_status_messages(
    value: Any, *, status_size: int, error: type[TawtiqError], code: str, what: str
) -> tuple[StatusMessage, ...]:
    """Check a ``statusMessage`` array (REC §2.1): one item per possible value, each
    ``{"status": "0x..", "message": "..."}``, every value from 0 to ``2**status_size - 1`` exactly once."""
    count = 1 << status_size
    if not isinstance(value, list | tuple) or len(value) != count:
        raise error(
            f"{what} must list one message per possible status value",
            code=code,
            found=f"{len(value)} items" if isinstance(value, list | tuple) else type(value).__name__,
            expected=f"an array of {count} items for statusSize {status_size}",
        )
    messages: dict[int, StatusMessage] = {}
    for item in value:
        status = item.get("status") if isinstance(item, Mapping) else None
        message = item.get("message") if isinstance(item, Mapping) else None
        if not isinstance(status, str) or not _HEX_STATUS.fullmatch(status) or not isinstance(message, str):
            raise error(
                f"{what} item is malformed",
                code=code,
                found=item,
                expected='{"status": "0x<hex>", "message": "<text>"}',
            )
        number = int(status, 16)
        if number >= count or number in messages:
            raise error(
                f"{what} status value is out of range or repeated",
                code=code,
                found=status,
                expected=f"each of 0x0 to {count - 1:#x} exactly once",
            )
        messages[number] = StatusMessage(status=number, message=message)
    return tuple(messages[number] for number in range(count))


def parse_bitstring_status_entry(obj: Any) -> BitstringStatusEntry:
    """Parse one ``credentialStatus`` item as a ``BitstringStatusListEntry`` (REC §2.1), strictly.

    ``type`` must be ``"BitstringStatusListEntry"``; ``statusPurpose`` a non-empty string;
    ``statusListIndex`` a string of ASCII decimal digits without sign, spaces or leading zeros and at
    most :data:`MAX_INDEX_DIGITS` long; ``statusListCredential`` an http(s) URL; ``statusSize``, if
    present, an integer from 1 to :data:`MAX_STATUS_SIZE`; ``statusMessage`` present with one item
    per value when ``statusSize`` > 1; ``id``, if present, a string other than the list's URL.
    Unknown members (``statusReference``, ...) are ignored. Every failure is :class:`FormatError`
    ``status.entry_invalid``.
    """

    def invalid(message: str, *, found: Any, expected: Any) -> FormatError:
        return FormatError(message, code="status.entry_invalid", found=found, expected=expected)

    if not isinstance(obj, Mapping):
        raise invalid("credentialStatus entry is not a JSON object", found=type(obj).__name__, expected="object")
    if obj.get("type") != "BitstringStatusListEntry":
        raise invalid(
            "credentialStatus entry has the wrong type",
            found=obj.get("type", "no 'type'"),
            expected="BitstringStatusListEntry",
        )
    purpose = obj.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise invalid(
            "statusPurpose is not a non-empty string",
            found=purpose if "statusPurpose" in obj else "no 'statusPurpose'",
            expected="revocation, suspension, refresh, message or another string",
        )
    raw_index = obj.get("statusListIndex")
    # REC §2.1: "an arbitrary size integer greater than or equal to 0, expressed as a string in base 10".
    # A JSON number, a sign, spaces, non-ASCII digits or leading zeros are other spellings, refused.
    if not isinstance(raw_index, str) or len(raw_index) > MAX_INDEX_DIGITS or not _DECIMAL_INDEX.fullmatch(raw_index):
        raise invalid(
            "statusListIndex is not a canonical base-10 string",
            found=raw_index if "statusListIndex" in obj else "no 'statusListIndex'",
            expected=f'a string of 1 to {MAX_INDEX_DIGITS} ASCII digits without leading zeros, e.g. "94567"',
        )
    list_credential = obj.get("statusListCredential")
    if not _is_url(list_credential, schemes=_HTTP_SCHEMES):
        raise invalid(
            "statusListCredential is not an http(s) URL",
            found=list_credential if "statusListCredential" in obj else "no 'statusListCredential'",
            expected="https://...",
        )
    status_size = obj.get("statusSize", 1)
    if isinstance(status_size, bool) or not isinstance(status_size, int) or not 1 <= status_size <= MAX_STATUS_SIZE:
        raise invalid(
            "statusSize is not a positive integer this engine can read",
            found=status_size,
            expected=f"an integer from 1 to {MAX_STATUS_SIZE}",
        )
    messages: tuple[StatusMessage, ...] = ()
    if "statusMessage" in obj:
        messages = _parse_status_messages(
            obj["statusMessage"],
            status_size=status_size,
            error=FormatError,
            code="status.entry_invalid",
            what="statusMessage",
        )
    elif status_size > 1:
        # REC §2.1 statusSize: "greater than 1, then ... statusMessage MUST be present".
        raise invalid(
            "statusMessage is required when statusSize is greater than 1",
            found=f"statusSize {status_size} without statusMessage",
            expected=f"statusMessage with {1 << status_size} items",
        )
    entry_id = obj.get("id")
    if entry_id is not None and (not isinstance(entry_id, str) or not entry_id or entry_id == list_credential):
        # REC §2.1 id: "It MUST NOT be the URL for the status list."
        raise invalid(
            "credentialStatus id is not a string distinct from the status list URL",
            found=entry_id,
            expected="a URL other than statusListCredential",
        )
    return BitstringStatusEntry(
        purpose=purpose,
        index=int(raw_index),
        list_credential=list_credential,
        status_size=status_size,
        id=entry_id,
        status_messages=messages,
    )


def parse_token_status_reference(status_claim: Any) -> TokenStatusReference:
    """Parse the ``status`` claim ``{"status_list": {"idx": n, "uri": "https://..."}}`` (draft-20 §6.2).

    ``idx`` must be a non-negative JSON integer (not a string or boolean) and ``uri`` an https URL.
    Other status mechanisms and extra members are ignored. Every failure is :class:`FormatError`
    ``status.entry_invalid``.
    """

    def invalid(message: str, *, found: Any, expected: Any) -> FormatError:
        return FormatError(message, code="status.entry_invalid", found=found, expected=expected)

    if not isinstance(status_claim, Mapping):
        raise invalid("status claim is not a JSON object", found=type(status_claim).__name__, expected="object")
    reference = status_claim.get("status_list")
    if not isinstance(reference, Mapping):
        raise invalid(
            "status claim has no status_list object",
            found=type(reference).__name__ if "status_list" in status_claim else sorted(map(str, status_claim)),
            expected='{"status_list": {"idx": ..., "uri": ...}}',
        )
    index = reference.get("idx")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise invalid(
            "status_list.idx is not a non-negative integer",
            found=index if "idx" in reference else "no 'idx'",
            expected="a JSON integer >= 0",
        )
    uri = reference.get("uri")
    if not _is_secure_url(uri):
        raise invalid(
            "status_list.uri is not an https URL",
            found=uri if "uri" in reference else "no 'uri'",
            expected="https://... (http only on the loopback interface, for development)",
        )
    return TokenStatusReference(index=index, uri=uri)


# --- Status-list documents --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BitstringStatusListDocument:
    """A parsed ``BitstringStatusListCredential`` (REC §2.2), signature already checked by the caller.

    ``purposes`` holds every ``statusPurpose`` (the REC allows "one or more strings"); ``purpose`` is
    the first. ``credential_id`` is None when the credential has no ``id`` (the REC makes it optional).
    """

    credential_id: str | None
    issuer: str
    purpose: str
    purposes: tuple[str, ...]
    status_size: int
    status_messages: tuple[StatusMessage, ...]
    ttl_ms: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    status_list: StatusList

    def covers(self, purpose: str) -> bool:
        """Whether ``purpose`` is one of this list's purposes (REC §3.2 step 5)."""
        return purpose in self.purposes


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenStatusListDocument:
    """The parsed claims of a ``statuslist+jwt`` Status List Token (draft-20 §5.1)."""

    subject: str
    issuer: str | None
    issued_at: datetime
    expires_at: datetime | None
    ttl_seconds: int | None
    status_list: StatusList
    aggregation_uri: str | None = None


def _utc(value: Any, *, what: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ConfigurationError(
            f"{what} must be a timezone-aware datetime",
            code="status.document_invalid",
            found=value,
            expected="datetime with tzinfo",
        )
    return value.astimezone(UTC)


def _xml_datetime(value: datetime, *, what: str) -> str:
    """An XML Schema dateTimeStamp in UTC with ``Z``, as VCDM 2.0 §4.6 requires."""
    utc = _utc(value, what=what).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def _numeric_date(value: datetime, *, what: str) -> int:
    """RFC 7519 NumericDate: whole seconds since the epoch."""
    return math.floor(_utc(value, what=what).timestamp())


def bitstring_status_list_credential(
    *,
    credential_id: str,
    issuer: str,
    purpose: str,
    encoded_list: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    status_size: int = 1,
    status_messages: Sequence[Mapping[str, str]] | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """Build an unsigned VCDM 2.0 ``BitstringStatusListCredential`` (REC §2.2, Example 3).

    ``credentialSubject.id`` is ``credential_id + "#list"``. ``ttl`` is emitted when ``ttl_ms`` is
    given; ``statusSize`` when it is not 1 or the purpose is ``message``; ``statusMessage`` when
    ``status_messages`` is given, which it must be for ``statusSize`` > 1 or the ``message`` purpose
    (one item per value, ``{"status": "0x0", "message": "..."}``). Raises :class:`ConfigurationError`
    ``status.document_invalid`` for a bad argument, ``status.bits_unsupported`` for a bad size.
    """

    def invalid(message: str, *, found: Any, expected: Any) -> ConfigurationError:
        return ConfigurationError(message, code="status.document_invalid", found=found, expected=expected)

    if not _is_url(credential_id, schemes=_HTTP_SCHEMES):
        raise invalid("credential_id is not an http(s) URL", found=credential_id, expected="https://...")
    if not isinstance(issuer, str) or not issuer:
        raise invalid("issuer is not a non-empty string", found=issuer, expected="the issuer's URL or DID")
    if not isinstance(purpose, str) or not purpose:
        raise invalid("purpose is not a non-empty string", found=purpose, expected="revocation, suspension, ...")
    if not isinstance(encoded_list, str) or not _ENCODED_LIST.fullmatch(encoded_list):
        raise invalid(
            "encoded_list is not a multibase base64url string",
            found=encoded_list[:16] if isinstance(encoded_list, str) else type(encoded_list).__name__,
            expected="the output of encode_bitstring()",
        )
    _check_bits(status_size, error=ConfigurationError, what="status_size")
    if ttl_ms is not None and (isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 0):
        raise invalid("ttl_ms is not a non-negative integer", found=ttl_ms, expected="milliseconds >= 0")

    subject: dict[str, Any] = {
        "id": f"{credential_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    # The REC's §2.2 table lists only type, statusPurpose, encodedList and ttl on the subject, and puts
    # statusSize/statusMessage on the entry (§2.1); but its "message" purpose row requires
    # credentialSubject.statusSize and the messages on the subject too. We publish them on the subject
    # whenever they carry information, so a verifier can check the entry against the list.
    if status_size != 1 or purpose == "message":
        subject["statusSize"] = status_size
    if status_messages is not None:
        _parse_status_messages(
            list(status_messages),
            status_size=status_size,
            error=ConfigurationError,
            code="status.document_invalid",
            what="status_messages",
        )
        subject["statusMessage"] = [dict(item) for item in status_messages]
    elif status_size > 1 or purpose == "message":
        raise invalid(
            "status_messages are required for multi-bit or message lists",
            found=f"statusSize {status_size}, purpose {purpose!r}, no messages",
            expected=f"{1 << status_size} status messages",
        )

    credential: dict[str, Any] = {
        "@context": [VCDM_V2_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _xml_datetime(valid_from, what="valid_from"),
    }
    if valid_until is not None:
        if _utc(valid_until, what="valid_until") <= _utc(valid_from, what="valid_from"):
            raise invalid("valid_until is not after valid_from", found=valid_until, expected=f"after {valid_from}")
        credential["validUntil"] = _xml_datetime(valid_until, what="valid_until")
    credential["credentialSubject"] = subject
    return credential


def _type_values(value: Any) -> tuple[str, ...] | None:
    """A VCDM ``type``: one string or a non-empty array of strings; None if it is neither."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _parse_datetime_stamp(value: Any, *, what: str) -> datetime:
    if isinstance(value, str) and _DATETIME_STAMP.fullmatch(value):
        try:
            return datetime.fromisoformat(value).astimezone(UTC)
        except ValueError:
            pass
    raise FormatError(
        f"{what} is not an XML Schema dateTimeStamp",
        code="status.list_malformed",
        found=value,
        expected="YYYY-MM-DDThh:mm:ss[.s]Z or with a ±hh:mm offset",
    )


def parse_bitstring_status_list_credential(
    credential: Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    status_size: int | None = None,
) -> BitstringStatusListDocument:
    """Parse a verified ``BitstringStatusListCredential`` (REC §2.2) and decode its list.

    ``status_size`` is the ``statusSize`` of the entry being checked; when given it must equal the
    list's own ``statusSize`` if the list declares one, and it decides how the list is read (REC §3.2
    reads the list with the entry's size). The caller checks the proof, the dates against its clock,
    that ``credential_id`` equals the entry's ``statusListCredential`` and that the list
    :meth:`~BitstringStatusListDocument.covers` the entry's purpose.

    Raises :class:`FormatError` ``status.list_malformed`` for any structural problem,
    :class:`StatusError` ``status.size_mismatch`` when the sizes disagree, and whatever
    :func:`decode_bitstring` raises for the list itself.
    """

    def malformed(message: str, *, found: Any, expected: Any) -> FormatError:
        return FormatError(message, code="status.list_malformed", found=found, expected=expected)

    # (1) VCDM 2.0 §4.3: a JSON object whose @context starts with the v2 context.
    if not isinstance(credential, Mapping):
        raise malformed(
            "status list credential is not a JSON object", found=type(credential).__name__, expected="object"
        )
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VCDM_V2_CONTEXT:
        raise malformed("@context does not start with the VCDM 2.0 context", found=context, expected=[VCDM_V2_CONTEXT])
    # (2) REC §2.2 type: includes BitstringStatusListCredential.
    types = _type_values(credential.get("type"))
    if types is None or "VerifiableCredential" not in types or "BitstringStatusListCredential" not in types:
        raise malformed(
            "credential type is not a BitstringStatusListCredential",
            found=credential.get("type"),
            expected=["VerifiableCredential", "BitstringStatusListCredential"],
        )
    # (3) REC §2.2 id is optional ("MAY express an id").
    credential_id = credential.get("id")
    if credential_id is not None and (not isinstance(credential_id, str) or not credential_id):
        raise malformed("credential id is not a string", found=credential_id, expected="a URL")
    # (4) VCDM 2.0 §4.7: issuer is a URL string or an object with an id.
    raw_issuer = credential.get("issuer")
    issuer = raw_issuer.get("id") if isinstance(raw_issuer, Mapping) else raw_issuer
    if not isinstance(issuer, str) or not issuer:
        raise malformed("issuer is neither a string nor an object with a string id", found=raw_issuer, expected="a URL")
    # (5) VCDM 2.0 §4.6: optional validity period as dateTimeStamp strings.
    valid_from = (
        None if "validFrom" not in credential else _parse_datetime_stamp(credential["validFrom"], what="validFrom")
    )
    valid_until = (
        None if "validUntil" not in credential else _parse_datetime_stamp(credential["validUntil"], what="validUntil")
    )
    # (6) REC §2.2: one credentialSubject of type BitstringStatusList. Several subjects are left
    # undefined by the REC (w3c/vc-bitstring-status-list#184), so they are refused.
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise malformed(
            "credentialSubject is not a single object",
            found=type(subject).__name__,
            expected="one BitstringStatusList object",
        )
    subject_types = _type_values(subject.get("type"))
    if subject_types is None or "BitstringStatusList" not in subject_types:
        raise malformed(
            "credentialSubject is not a BitstringStatusList", found=subject.get("type"), expected="BitstringStatusList"
        )
    # (7) REC §2.2 statusPurpose: "one or more strings".
    raw_purpose = subject.get("statusPurpose")
    purposes = _type_values(raw_purpose)
    if purposes is None or not all(purposes):
        raise malformed(
            "statusPurpose is not one or more non-empty strings", found=raw_purpose, expected="revocation, ..."
        )
    # (8) statusSize and statusMessage, when the list declares them (see the note in the builder).
    declared_size = subject.get("statusSize")
    if declared_size is not None and (
        isinstance(declared_size, bool)
        or not isinstance(declared_size, int)
        or not 1 <= declared_size <= MAX_STATUS_SIZE
    ):
        raise malformed(
            "statusSize is not a supported integer",
            found=declared_size,
            expected=f"an integer from 1 to {MAX_STATUS_SIZE}",
        )
    if status_size is not None and declared_size is not None and status_size != declared_size:
        raise StatusError(
            "the entry's statusSize differs from the list's",
            code="status.size_mismatch",
            found=status_size,
            expected=declared_size,
        )
    size = status_size if status_size is not None else (declared_size if declared_size is not None else 1)
    messages: tuple[StatusMessage, ...] = ()
    if "statusMessage" in subject:
        messages = _parse_status_messages(
            subject["statusMessage"],
            status_size=size,
            error=FormatError,
            code="status.list_malformed",
            what="statusMessage",
        )
    # (9) REC §2.2 ttl: optional milliseconds.
    ttl = subject.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
        raise malformed("ttl is not a non-negative integer", found=ttl, expected="milliseconds >= 0")
    # (10) REC §3.4: expand the encodedList.
    encoded_list = subject.get("encodedList")
    if not isinstance(encoded_list, str):
        raise malformed(
            "encodedList is not a string",
            found=type(encoded_list).__name__ if "encodedList" in subject else "no 'encodedList'",
            expected="a multibase base64url string",
        )
    status_list = decode_bitstring(encoded_list, status_size=size, max_bytes=max_bytes)
    return BitstringStatusListDocument(
        credential_id=credential_id,
        issuer=issuer,
        purpose=purposes[0],
        purposes=purposes,
        status_size=size,
        status_messages=messages,
        ttl_ms=ttl,
        valid_from=valid_from,
        valid_until=valid_until,
        status_list=status_list,
    )


def token_status_list_payload(
    *,
    subject: str,
    issued_at: datetime,
    expires_at: datetime | None,
    ttl_seconds: int | None,
    status_list: Mapping[str, Any],
    issuer: str | None = None,
) -> dict[str, Any]:
    """Build the claims of a ``statuslist+jwt`` Status List Token (draft-20 §5.1).

    ``sub`` (the https URI the list is served at, equal to the references' ``uri``), ``iat`` and
    ``status_list`` are required; ``exp`` and ``ttl`` are RECOMMENDED and emitted when given. The draft
    does not list ``iss`` (it only allows other claims), so it is emitted only when ``issuer`` is given.
    Raises :class:`ConfigurationError` ``status.document_invalid`` for a bad argument.
    """

    def invalid(message: str, *, found: Any, expected: Any) -> ConfigurationError:
        return ConfigurationError(message, code="status.document_invalid", found=found, expected=expected)

    if not _is_secure_url(subject):
        raise invalid("subject is not an https URL", found=subject, expected="the URI the list is served at")
    if issuer is not None and (not isinstance(issuer, str) or not issuer):
        raise invalid("issuer is not a non-empty string", found=issuer, expected="the issuer identifier")
    if (
        not isinstance(status_list, Mapping)
        or isinstance(status_list.get("bits"), bool)
        or not isinstance(status_list.get("bits"), int)
        or status_list["bits"] not in SUPPORTED_BITS
        or not isinstance(status_list.get("lst"), str)
    ):
        raise invalid(
            "status_list is not a StatusList object",
            found=status_list,
            expected="the output of encode_token_status_list()",
        )
    if ttl_seconds is not None and (
        isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds < 1
    ):
        # draft-20 §5.1 ttl: "MUST be a positive number".
        raise invalid("ttl_seconds is not a positive integer", found=ttl_seconds, expected="seconds >= 1")
    payload: dict[str, Any] = {}
    if issuer is not None:
        payload["iss"] = issuer
    payload["sub"] = subject
    payload["iat"] = _numeric_date(issued_at, what="issued_at")
    if expires_at is not None:
        payload["exp"] = _numeric_date(expires_at, what="expires_at")
        if payload["exp"] <= payload["iat"]:
            raise invalid("expires_at is not after issued_at", found=expires_at, expected=f"after {issued_at}")
    if ttl_seconds is not None:
        payload["ttl"] = ttl_seconds
    payload["status_list"] = dict(status_list)
    return payload


def _parse_numeric_date(value: Any, *, claim: str) -> datetime:
    """RFC 7519 §2 NumericDate: a JSON number of seconds since the epoch (integers in practice)."""
    if not isinstance(value, bool) and isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise FormatError(
        f"'{claim}' is not a NumericDate",
        code="status.list_malformed",
        found=value,
        expected="seconds since 1970-01-01T00:00:00Z as a JSON number",
    )


def parse_token_status_list_payload(
    payload: Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> TokenStatusListDocument:
    """Parse the verified claims of a ``statuslist+jwt`` Status List Token (draft-20 §5.1, §8.3 step 3b).

    Requires ``sub`` (non-empty string), ``iat`` (NumericDate) and ``status_list``; checks ``exp``
    (NumericDate), ``ttl`` (positive integer) and ``iss`` (string) when present. The caller compares
    ``subject`` with the reference's ``uri`` and checks ``expires_at`` against its clock.
    Raises :class:`FormatError` ``status.list_malformed`` and whatever :func:`decode_token_status_list`
    raises.
    """

    def malformed(message: str, *, found: Any, expected: Any) -> FormatError:
        return FormatError(message, code="status.list_malformed", found=found, expected=expected)

    if not isinstance(payload, Mapping):
        raise malformed(
            "Status List Token payload is not a JSON object", found=type(payload).__name__, expected="object"
        )
    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject:
        raise malformed(
            "'sub' is not a non-empty string",
            found=subject if "sub" in payload else "no 'sub'",
            expected="the URI of the Status List Token",
        )
    issuer = payload.get("iss")
    if issuer is not None and not isinstance(issuer, str):
        raise malformed("'iss' is not a string", found=issuer, expected="a string identifier")
    if "iat" not in payload:
        raise malformed("'iat' is missing", found="no 'iat'", expected="a NumericDate")
    issued_at = _parse_numeric_date(payload["iat"], claim="iat")
    expires_at = None if "exp" not in payload else _parse_numeric_date(payload["exp"], claim="exp")
    ttl = payload.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1):
        raise malformed("'ttl' is not a positive integer", found=ttl, expected="seconds >= 1")
    if "status_list" not in payload:
        raise malformed("'status_list' is missing", found=sorted(map(str, payload)), expected="a status_list claim")
    raw_list = payload["status_list"]
    status_list = decode_token_status_list(raw_list, max_bytes=max_bytes)
    aggregation_uri = raw_list.get("aggregation_uri")
    return TokenStatusListDocument(
        subject=subject,
        issuer=issuer,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl_seconds=ttl,
        status_list=status_list,
        aggregation_uri=aggregation_uri,
    )
