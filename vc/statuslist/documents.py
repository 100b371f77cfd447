"""Status-list documents: the unsigned W3C ``BitstringStatusListCredential`` (REC §2.2) and the claims of an
IETF Status List Token (draft-20 §5.1), built for signing and parsed after a signature check.

Signing and signature checks happen in :mod:`vc.status`; here the documents are shaped and read, and the list
inside them is decoded with the format's codec. Builder mistakes are :class:`~vc.errors.ConfigurationError`
``status.document_invalid``; a received document that does not parse is :class:`~vc.errors.FormatError`
``status.list_malformed``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from vc.errors import ConfigurationError, FormatError, StatusError
from vc.statuslist.bits import SUPPORTED_BITS, StatusList, check_bits
from vc.statuslist.bitstring import decode_bitstring
from vc.statuslist.compression import DEFAULT_MAX_DECOMPRESSED_BYTES
from vc.statuslist.entries import MAX_STATUS_SIZE, StatusMessage, parse_status_messages
from vc.statuslist.token import decode_token_status_list
from vc.times import aware_utc, parse_date_time_stamp, parse_numeric_date, to_date_time_stamp, to_numeric_date
from vc.urls import is_secure_web_url, is_web_url
from vc.vcdm import CREDENTIALS_V2

_INVALID: Final = "status.document_invalid"
_MALFORMED: Final = "status.list_malformed"
_ENCODED_LIST: Final = re.compile(r"u[A-Za-z0-9_-]+")


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

    if not is_web_url(credential_id):
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
    check_bits(status_size, error=ConfigurationError, what="status_size")
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
        parse_status_messages(
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
        "@context": [CREDENTIALS_V2],
        "id": credential_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": to_date_time_stamp(valid_from, what="valid_from", code=_INVALID),
    }
    if valid_until is not None:
        if aware_utc(valid_until, what="valid_until", code=_INVALID) <= aware_utc(
            valid_from, what="valid_from", code=_INVALID
        ):
            raise invalid("valid_until is not after valid_from", found=valid_until, expected=f"after {valid_from}")
        credential["validUntil"] = to_date_time_stamp(valid_until, what="valid_until", code=_INVALID)
    credential["credentialSubject"] = subject
    return credential


def _type_values(value: Any) -> tuple[str, ...] | None:
    """A VCDM ``type``: one string or a non-empty array of strings; None if it is neither."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _date_time(value: Any, *, name: str) -> datetime:
    return parse_date_time_stamp(value, name=name, code=_MALFORMED).astimezone(UTC)


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
    if not isinstance(context, list) or not context or context[0] != CREDENTIALS_V2:
        raise malformed("@context does not start with the VCDM 2.0 context", found=context, expected=[CREDENTIALS_V2])
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
    valid_from = None if "validFrom" not in credential else _date_time(credential["validFrom"], name="validFrom")
    valid_until = None if "validUntil" not in credential else _date_time(credential["validUntil"], name="validUntil")
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
        messages = parse_status_messages(
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

    if not is_secure_web_url(subject):
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
    payload["iat"] = to_numeric_date(issued_at, what="issued_at", code=_INVALID)
    if expires_at is not None:
        payload["exp"] = to_numeric_date(expires_at, what="expires_at", code=_INVALID)
        if payload["exp"] <= payload["iat"]:
            raise invalid("expires_at is not after issued_at", found=expires_at, expected=f"after {issued_at}")
    if ttl_seconds is not None:
        payload["ttl"] = ttl_seconds
    payload["status_list"] = dict(status_list)
    return payload


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
    issued_at = parse_numeric_date(payload["iat"], what="'iat'", code=_MALFORMED)
    expires_at = None if "exp" not in payload else parse_numeric_date(payload["exp"], what="'exp'", code=_MALFORMED)
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
