"""Status lists: the W3C Bitstring Status List and the IETF Token Status List, read and written exactly.

Both formats pack one small status per credential into a compressed byte array, with opposite bit orders.
The package holds one concern per module:

* :mod:`~vc.statuslist.bits` — :class:`StatusList`, the decoded list both formats share, and its bit order;
* :mod:`~vc.statuslist.compression` — bounded base64url and GZIP/ZLIB decoding (no decompression bombs);
* :mod:`~vc.statuslist.bitstring` — the W3C ``encodedList`` codec;
* :mod:`~vc.statuslist.token` — the IETF ``{"bits", "lst"}`` codec;
* :mod:`~vc.statuslist.entries` — the status references credentials carry;
* :mod:`~vc.statuslist.documents` — the unsigned list documents (W3C credential, IETF token claims).

The names below are the package's public interface; signing and verifying the documents is :mod:`vc.status`.
"""

from __future__ import annotations

from vc.statuslist.bits import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    SUPPORTED_BITS,
    BitOrder,
    StatusList,
)
from vc.statuslist.bitstring import MIN_BITSTRING_BITS, MIN_BITSTRING_ENTRIES, decode_bitstring, encode_bitstring
from vc.statuslist.compression import DEFAULT_MAX_DECOMPRESSED_BYTES
from vc.statuslist.documents import (
    BitstringStatusListDocument,
    TokenStatusListDocument,
    bitstring_status_list_credential,
    parse_bitstring_status_list_credential,
    parse_token_status_list_payload,
    token_status_list_payload,
)
from vc.statuslist.entries import (
    MAX_INDEX_DIGITS,
    MAX_STATUS_SIZE,
    BitstringStatusEntry,
    StatusMessage,
    TokenStatusReference,
    parse_bitstring_status_entry,
    parse_token_status_reference,
)
from vc.statuslist.token import decode_token_status_list, encode_token_status_list

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "MAX_INDEX_DIGITS",
    "MAX_STATUS_SIZE",
    "MIN_BITSTRING_BITS",
    "MIN_BITSTRING_ENTRIES",
    "STATUS_INVALID",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "SUPPORTED_BITS",
    "BitOrder",
    "BitstringStatusEntry",
    "BitstringStatusListDocument",
    "StatusList",
    "StatusMessage",
    "TokenStatusListDocument",
    "TokenStatusReference",
    "bitstring_status_list_credential",
    "decode_bitstring",
    "decode_token_status_list",
    "encode_bitstring",
    "encode_token_status_list",
    "parse_bitstring_status_entry",
    "parse_bitstring_status_list_credential",
    "parse_token_status_list_payload",
    "parse_token_status_reference",
    "token_status_list_payload",
]
