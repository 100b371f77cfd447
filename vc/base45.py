"""Base45 (RFC 9285): bytes as the 45 characters of a QR code's alphanumeric mode.

Small and strict, written here: the ``base45`` package on PyPI has had no release since 2022 and builds its output
by repeated string concatenation (quadratic; it was 40 % of the time of making an offline QR). Decoding refuses,
rather than repairs: a character outside the alphabet, a length of ``3n + 1``, a triple above ``0xFFFF`` or a pair
above ``0xFF`` (RFC 9285 §4.3). Checked against the RFC's examples in ``tests/vc/test_base45.py``.
"""

from __future__ import annotations

from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES: Final = {char: value for value, char in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not Base45: ``reason`` says why (for the caller's own error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b45encode(data: bytes) -> str:
    """Encode ``data``: each two bytes as three characters, a last odd byte as two (RFC 9285 §4)."""
    out: list[str] = []
    append = out.append
    for start in range(0, len(data) - 1, 2):
        value = (data[start] << 8) | data[start + 1]
        high, rest = divmod(value, 2025)
        middle, low = divmod(rest, 45)
        append(ALPHABET[low] + ALPHABET[middle] + ALPHABET[high])
    if len(data) % 2:
        middle, low = divmod(data[-1], 45)
        append(ALPHABET[low] + ALPHABET[middle])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode ``text``. Raises :class:`Base45Error` for anything RFC 9285 does not produce."""
    if len(text) % 3 == 1:
        raise Base45Error(f"a length of {len(text)} characters, which Base45 never has (3n + 1)")
    try:
        values = [_VALUES[char] for char in text]
    except KeyError as exc:
        raise Base45Error(f"the character {exc.args[0]!r} is not in the Base45 alphabet") from None
    out = bytearray()
    for start in range(0, len(values) - 2, 3):
        value = values[start] + values[start + 1] * 45 + values[start + 2] * 2025
        if value > 0xFFFF:
            raise Base45Error(f"characters {start}-{start + 2} encode {value}, more than two bytes hold")
        out += value.to_bytes(2, "big")
    if len(values) % 3 == 2:
        value = values[-2] + values[-1] * 45
        if value > 0xFF:
            raise Base45Error(f"the last two characters encode {value}, more than a byte holds")
        out.append(value)
    return bytes(out)
