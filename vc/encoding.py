"""Strict base64url and JSON helpers shared by every format in the engine.

The decoders refuse rather than repair: padding, characters outside the alphabet, invalid UTF-8 and
non-object headers are format errors with a stable code. JSON goes through orjson, which is an order
of magnitude faster than the standard library on the small documents of the signing hot path.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any, Final

import orjson

from vc.errors import FormatError

#: Deepest JSON nesting the engine walks; payloads deeper than this are refused, not recursed into.
MAX_JSON_DEPTH: Final = 64

_B64URL_CHARACTERS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64URL_ALPHABET: Final = frozenset(_B64URL_CHARACTERS)


_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")
#: Value of each base64url character, to check the unused low bits of a segment's last character.
_B64URL_VALUE: Final = {char: value for value, char in enumerate(_B64URL_CHARACTERS)}
#: For a segment of length 2 or 3 (mod 4), the mask of the last character's bits that must be zero.
_UNUSED_BITS: Final = {2: 0b1111, 3: 0b11}


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 7515 §2)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes, *, what: str = "value") -> bytes:
    """Decode unpadded base64url, refusing padding, characters outside the alphabet and non-canonical forms.

    Raises :class:`FormatError` (``format.base64url``) with what was found.
    """
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    remainder = len(raw) % 4
    if remainder == 1 or raw.translate(None, _B64URL_CHARACTERS):
        bad = sorted({chr(c) for c in raw if c not in _B64URL_ALPHABET})
        raise FormatError(
            f"{what} is not unpadded base64url",
            code="format.base64url",
            found=f"characters {bad}" if bad else f"length {len(raw)}",
            expected="A-Z a-z 0-9 - _ without '=' padding",
        )
    # RFC 4648 §3.5: the bits after the last byte must be zero, or one value has several spellings.
    if remainder and _B64URL_VALUE[raw[-1]] & _UNUSED_BITS[remainder]:
        raise FormatError(
            f"{what} is not canonical base64url",
            code="format.base64url",
            found="non-zero bits after the last encoded byte",
            expected="the one canonical encoding",
        )
    # Every character is in the alphabet and the length is possible, so the lenient decoder is exact here.
    return binascii.a2b_base64(raw.translate(_TO_STANDARD) + b"=" * (-remainder % 4))


def json_dumps(value: Any) -> bytes:
    """Serialise compact UTF-8 JSON (no ASCII escaping, no insignificant whitespace)."""
    return orjson.dumps(value)


def json_loads(data: bytes | str, *, what: str = "JSON value") -> Any:
    """Parse JSON strictly: valid UTF-8, no NaN/Infinity, integers within 64 bits.

    orjson itself refuses nesting beyond 1024 levels; code that recurses into the result bounds its
    own depth (see :func:`check_depth` and the SD-JWT processor).
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FormatError(
            f"{what} is not valid JSON",
            code="format.json",
            found=str(exc).split(":", 1)[0],
            expected="UTF-8 JSON (RFC 8259)",
        ) from exc
    return value


def json_object(data: bytes | str, *, what: str) -> dict[str, Any]:
    """Parse JSON that must be an object."""
    value = json_loads(data, what=what)
    if not isinstance(value, dict):
        raise FormatError(
            f"{what} is not a JSON object", code="format.json", found=type(value).__name__, expected="object"
        )
    return value


def b64url_json_object(text: str, *, what: str) -> dict[str, Any]:
    """Decode a base64url segment holding a JSON object (a JWS header or payload)."""
    return json_object(b64url_decode(text, what=what), what=what)


def check_depth(value: Any, *, what: str = "JSON value", limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse values nested deeper than ``limit`` without recursing (iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            raise FormatError(
                f"{what} is nested too deeply",
                code="format.too_deep",
                found=f"> {limit} levels",
                expected=f"at most {limit} levels",
            )
        stack.extend((child, depth + 1) for child in children)
