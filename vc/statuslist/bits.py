"""The decoded status list both standards share: a byte array, the width of one entry and the bit order.

Bitstring Status List v1.0 (W3C REC, 15 May 2025) puts index 0 in the left-most bit; Token Status List
(draft-ietf-oauth-status-list-20) puts it in the least significant bit. :class:`StatusList` holds the decoded
bytes with their bit order, so the rest of the engine reads a status without caring where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import KW_ONLY, dataclass
from enum import StrEnum
from typing import Any, Final

from vc.errors import ConfigurationError, StatusError, TawtiqError

#: Token Status List status types (draft-20 §7.1). 0x03 and 0x0C-0x0F are application specific.
STATUS_VALID: Final = 0x00
STATUS_INVALID: Final = 0x01
STATUS_SUSPENDED: Final = 0x02

#: Entry widths both codecs read: TSL allows exactly these (draft-20 §4.1); for Bitstring ``statusSize``
#: any positive width is legal, but only these keep entries inside one byte.
SUPPORTED_BITS: Final = frozenset({1, 2, 4, 8})

_NONZERO_BYTE: Final = re.compile(rb"[^\x00]")


class BitOrder(StrEnum):
    """Where entry 0 sits in byte 0, and so which standard a list belongs to."""

    #: W3C Bitstring Status List: index 0 is the left-most (most significant) bit of byte 0, and a
    #: multi-bit entry is read left to right as a big-endian number.
    MSB_FIRST = "msb-first"
    #: IETF Token Status List: index 0 is the least significant bit of byte 0; entry i of an n-bit list
    #: is ``(byte[i*n // 8] >> ((i*n) % 8)) & (2^n - 1)``.
    LSB_FIRST = "lsb-first"


def check_bits(bits: Any, *, error: type[TawtiqError], what: str) -> int:
    """``bits`` when it is 1, 2, 4 or 8; otherwise ``error`` with code ``status.bits_unsupported``."""
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
        check_bits(self.bits, error=ConfigurationError, what="bits")
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
        check_bits(bits, error=ConfigurationError, what="bits")
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
