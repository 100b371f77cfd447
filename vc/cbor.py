"""Strict, bounded CBOR (RFC 8949) for untrusted input: a well-formedness scan first, then cbor2.

cbor2 decodes well, but it decodes *everything*: semantic tags become dates, decimals, UUIDs and compiled regular
expressions, floats and ``undefined`` pass, and a map may repeat a key. Credentials need none of that, so
:func:`loads` first walks the raw bytes without building anything and refuses, with a stable code, what the
engine's formats never hold: input over the size bound, nesting past the depth bound, more items than the item
bound (a "CBOR bomb" of millions of tiny items), declared lengths past the end of the input, indefinite lengths,
floats and simple values other than ``false``/``true``/``null``, map keys other than integers and text, and any tag
but the ones the caller allows. Only bytes that pass are handed to cbor2, with its own depth bound, duplicate-key
and UTF-8 checks on.
"""

from __future__ import annotations

from typing import Any, Final

import cbor2

from vc.errors import FormatError

#: Default bounds: far above a credential (the offline QR is under 1 KiB once inflated), far below harm.
DEFAULT_MAX_BYTES: Final = 64 * 1024
DEFAULT_MAX_DEPTH: Final = 16
DEFAULT_MAX_ITEMS: Final = 4096

#: Tag 18: COSE_Sign1 (RFC 9052 §4.2).
COSE_SIGN1_TAG: Final = 18

_SIMPLE_ALLOWED: Final = {20, 21, 22}  # false, true, null
_MAJOR_NAMES: Final = ("unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag")


def dumps(value: Any) -> bytes:
    """Encode ``value`` in the deterministic encoding of RFC 8949 §4.2.1 (shortest forms, sorted map keys)."""
    return cbor2.dumps(value, canonical=True)


def loads(
    data: bytes,
    *,
    what: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
    allowed_tags: frozenset[int] = frozenset(),
) -> Any:
    """Decode exactly one CBOR data item from ``data`` after :func:`scan` accepted it.

    Tags in ``allowed_tags`` must be ones cbor2 has no decoder for (COSE's 18): they come back as
    :class:`cbor2.CBORTag`. Raises :class:`FormatError` with the codes of
    :func:`scan`, and ``cbor.malformed`` for what cbor2 refuses (invalid UTF-8, a duplicate map key).
    """
    scan(data, what=what, max_bytes=max_bytes, max_depth=max_depth, max_items=max_items, allowed_tags=allowed_tags)
    try:
        return cbor2.loads(
            data,
            max_depth=max_depth + 1,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            str_errors="strict",
        )
    except (cbor2.CBORDecodeError, ValueError, UnicodeDecodeError) as exc:
        raise FormatError(
            f"{what} is not valid CBOR", code="cbor.malformed", found=str(exc)[:120], expected="well-formed CBOR"
        ) from exc


def scan(
    data: bytes,
    *,
    what: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
    allowed_tags: frozenset[int] = frozenset(),
) -> None:
    """Check that ``data`` is one well-formed CBOR item within the bounds and the engine's subset, building nothing.

    Raises :class:`FormatError`: ``cbor.too_large``, ``cbor.too_deep``, ``cbor.too_many_items``, ``cbor.truncated``
    (a length past the end), ``cbor.trailing_data``, ``cbor.indefinite``, ``cbor.type_refused`` (floats, simple
    values, ``undefined``, a map key that is not an integer or text) and ``cbor.tag_refused``.
    """
    if len(data) > max_bytes:
        raise FormatError(
            f"{what} is too large", code="cbor.too_large", found=f"{len(data)} bytes", expected=f"<= {max_bytes}"
        )
    scanner = _Scanner(data, what=what, max_depth=max_depth, max_items=max_items, allowed_tags=allowed_tags)
    end = scanner.item(0, 0)
    if end != len(data):
        raise FormatError(
            f"{what} has bytes after its CBOR item",
            code="cbor.trailing_data",
            found=f"{len(data) - end} trailing bytes",
            expected="exactly one CBOR item",
        )


class _Scanner:
    def __init__(self, data: bytes, *, what: str, max_depth: int, max_items: int, allowed_tags: frozenset[int]):
        self.data = data
        self.what = what
        self.max_depth = max_depth
        self.max_items = max_items
        self.allowed_tags = allowed_tags
        self.items = 0

    def fail(self, message: str, code: str, *, found: Any, expected: Any) -> FormatError:
        return FormatError(f"{self.what}: {message}", code=code, found=found, expected=expected)

    def head(self, at: int) -> tuple[int, int, int, int]:
        """The major type, additional information, argument and the offset after the head of the item at ``at``."""
        if at >= len(self.data):
            raise self.fail("the data ends inside an item", "cbor.truncated", found=f"{at} bytes", expected="more")
        initial = self.data[at]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, at + 1
        if info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            if at + 1 + size > len(self.data):
                raise self.fail(
                    "the data ends inside an item head",
                    "cbor.truncated",
                    found=f"{len(self.data)} bytes",
                    expected="more",
                )
            return major, info, int.from_bytes(self.data[at + 1 : at + 1 + size], "big"), at + 1 + size
        if info == 31:
            raise self.fail(
                "indefinite lengths are not accepted",
                "cbor.indefinite",
                found=f"an indefinite-length {_MAJOR_NAMES[major] if major < 7 else 'break'} at byte {at}",
                expected="definite lengths (RFC 8949 §4.2.1)",
            )
        raise self.fail(
            "reserved additional information",
            "cbor.malformed",
            found=f"{initial:#04x} at byte {at}",
            expected="RFC 8949",
        )

    def item(self, at: int, depth: int) -> int:
        if depth > self.max_depth:
            raise self.fail(
                "the data is nested too deeply",
                "cbor.too_deep",
                found=f"depth > {self.max_depth}",
                expected=f"<= {self.max_depth}",
            )
        self.items += 1
        if self.items > self.max_items:
            raise self.fail(
                "the data has too many items",
                "cbor.too_many_items",
                found=f"more than {self.max_items}",
                expected=f"<= {self.max_items}",
            )
        major, info, argument, after = self.head(at)
        if major in (0, 1):
            return after
        if major in (2, 3):
            end = after + argument
            if end > len(self.data):
                raise self.fail(
                    f"a {_MAJOR_NAMES[major]} declares more bytes than remain",
                    "cbor.truncated",
                    found=f"{argument} bytes declared, {len(self.data) - after} remain",
                    expected="a length within the data",
                )
            return end
        if major == 4:
            self._fits(argument, after)
            for _ in range(argument):
                after = self.item(after, depth + 1)
            return after
        if major == 5:
            self._fits(2 * argument, after)
            for _ in range(argument):
                key_major = self.data[after] >> 5 if after < len(self.data) else 0
                if key_major not in (0, 1, 3):
                    raise self.fail(
                        "map keys must be integers or text",
                        "cbor.type_refused",
                        found=_MAJOR_NAMES[key_major] if key_major < 7 else "a simple value or float",
                        expected="an integer or text key",
                    )
                after = self.item(after, depth + 1)
                after = self.item(after, depth + 1)
            return after
        if major == 6:
            if argument not in self.allowed_tags:
                raise self.fail(
                    "a tag that is not accepted here",
                    "cbor.tag_refused",
                    found=f"tag {argument}",
                    expected=f"tags {sorted(self.allowed_tags)}" if self.allowed_tags else "no tags",
                )
            return self.item(after, depth + 1)
        if info < 24 and argument in _SIMPLE_ALLOWED:
            return after
        raise self.fail(
            "floats and simple values other than false, true and null are not accepted",
            "cbor.type_refused",
            found=f"{self.data[at]:#04x} at byte {at}",
            expected="integers, strings, arrays, maps, false, true, null",
        )

    def _fits(self, count: int, after: int) -> None:
        # Each item takes at least one byte: a count larger than what remains is refused before any loop.
        if count > len(self.data) - after:
            raise self.fail(
                "a container declares more items than bytes remain",
                "cbor.truncated",
                found=f"{count} items declared, {len(self.data) - after} bytes remain",
                expected="a count within the data",
            )
