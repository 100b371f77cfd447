"""The IETF Token Status List codec (draft-ietf-oauth-status-list-20 §4.2): the JSON ``StatusList`` object
``{"bits": n, "lst": ...}`` to and from a list.

The draft's list is least-significant-bit first and ZLIB-compressed, then base64url without padding.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from vc.encoding import b64url_encode
from vc.errors import ConfigurationError, FormatError
from vc.statuslist.bits import BitOrder, StatusList, check_bits
from vc.statuslist.compression import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    ZLIB_WBITS,
    check_max_bytes,
    decode_list_text,
    inflate,
)
from vc.urls import HTTPS_SCHEMES, is_web_url


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
        if not is_web_url(aggregation_uri, schemes=HTTPS_SCHEMES):
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
    check_max_bytes(max_bytes)
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
    check_bits(bits, error=FormatError, what="status_list.bits")
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
    compressed = decode_list_text(lst, what="status_list.lst", max_bytes=max_bytes)
    data = inflate(compressed, wbits=ZLIB_WBITS, container="ZLIB", what="status_list.lst", max_bytes=max_bytes)
    return StatusList(data, bits=bits, order=BitOrder.LSB_FIRST)
