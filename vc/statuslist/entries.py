"""Status references inside credentials: the W3C ``BitstringStatusListEntry`` of ``credentialStatus`` (REC §2.1)
and the IETF ``status.status_list`` reference of JOSE tokens (draft-20 §6.2), parsed strictly.

Every failure is :class:`~vc.errors.FormatError` ``status.entry_invalid``: a credential whose status
reference cannot be read is a bad credential, whatever its list would say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from vc.errors import FormatError, TawtiqError
from vc.urls import is_secure_web_url, is_web_url

#: Longest ``statusListIndex`` accepted, in decimal digits (below 2^63).
MAX_INDEX_DIGITS: Final = 18
#: Widest Bitstring ``statusSize`` an entry may declare; wider needs 512+ ``statusMessage`` items.
MAX_STATUS_SIZE: Final = 8

_DECIMAL_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_HEX_STATUS: Final = re.compile(r"0x[0-9a-fA-F]{1,4}")


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


def parse_status_messages(
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
    if not is_web_url(list_credential):
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
        messages = parse_status_messages(
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
    if not is_secure_web_url(uri):
        raise invalid(
            "status_list.uri is not an https URL",
            found=uri if "uri" in reference else "no 'uri'",
            expected="https://... (http only on the loopback interface, for development)",
        )
    return TokenStatusReference(index=index, uri=uri)
