"""Status checking: the resolver interface and verification of signed status-list documents.

The engine never fetches a list. A :class:`StatusResolver` (the verifier's HTTP cache, or the
in-memory one here) returns a :class:`StatusSnapshot` of a list it has already verified with
:func:`verify_status_list_token`, together with when it was fetched, so a report can state the age
of the status data it used. A resolver that cannot answer raises :class:`~vc.errors.UpstreamError`,
which makes the verdict ``indeterminate`` — never ``valid`` and never "revoked".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeAlias

from vc.encoding import json_dumps, json_object
from vc.errors import FormatError, StatusError, UpstreamError
from vc.jose import KeyResolver, Signer, check_header, parse_compact, sign_compact
from vc.profiles import Profile, issue_w3c
from vc.statuslist import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    BitstringStatusEntry,
    StatusList,
    TokenStatusReference,
    bitstring_status_list_credential,
    encode_bitstring,
    encode_token_status_list,
    parse_bitstring_status_list_credential,
    parse_token_status_list_payload,
    token_status_list_payload,
)
from vc.times import parse_numeric_date
from vc.vcdm import ContextRegistry, node_id

StatusReference: TypeAlias = BitstringStatusEntry | TokenStatusReference

STATUS_LIST_JWT_TYPE = "statuslist+jwt"
BITSTRING_CREDENTIAL_TYPE = "vc+jwt"


@dataclass(frozen=True)
class StatusListData:
    """A verified, decoded status list and what its signed document said about it."""

    uri: str
    issuer: str
    purpose: str | None
    status_list: StatusList
    issued_at: datetime | None
    expires_at: datetime | None
    ttl_seconds: float | None
    #: Every ``statusPurpose`` of a W3C list (the REC allows several); empty for a Token Status List.
    purposes: tuple[str, ...] = ()

    def serves(self, purpose: str) -> bool:
        """Whether a W3C entry of ``purpose`` may point into this list (never into a Token Status List)."""
        return purpose in self.purposes if self.purposes else purpose == self.purpose


@dataclass(frozen=True)
class StatusSnapshot:
    """A list as a resolver holds it: when it was fetched, and whether it is past its freshness."""

    data: StatusListData
    fetched_at: datetime
    stale: bool = False


class StatusResolver(Protocol):
    """Returns the verified list a status reference points at.

    Raises :class:`UpstreamError` when the list cannot be obtained, and may let through the
    :class:`~vc.errors.CredentialError` of :func:`verify_status_list_token` for a list it obtained but
    could not read or verify. The pipeline reports either as a status it cannot tell (``indeterminate``).
    """

    def resolve(self, reference: StatusReference) -> StatusSnapshot: ...


def reference_uri(reference: StatusReference) -> str:
    return reference.list_credential if isinstance(reference, BitstringStatusEntry) else reference.uri


class StaticStatusResolver:
    """An in-memory resolver over lists verified beforehand (tests, demos, benchmarks)."""

    def __init__(self, snapshots: Mapping[str, StatusSnapshot]) -> None:
        self._snapshots = dict(snapshots)

    def resolve(self, reference: StatusReference) -> StatusSnapshot:
        uri = reference_uri(reference)
        try:
            return self._snapshots[uri]
        except KeyError:
            raise UpstreamError("status list is not available", code="status.unavailable", found=uri) from None


class UnavailableStatusResolver:
    """A resolver that never answers: every status check is ``indeterminate``."""

    def __init__(self, reason: str = "status checking is not configured") -> None:
        self.reason = reason

    def resolve(self, reference: StatusReference) -> StatusSnapshot:
        raise UpstreamError(self.reason, code="status.unavailable", found=reference_uri(reference))


def issue_bitstring_status_list(
    *,
    uri: str,
    issuer: str,
    purpose: str,
    status_list: StatusList,
    key: Signer,
    issued_at: datetime,
    contexts: ContextRegistry,
    valid_until: datetime | None = None,
    ttl: timedelta | None = None,
) -> str:
    """Sign a W3C ``BitstringStatusListCredential`` (``vc+jwt``) whose ``id`` is ``uri``."""
    credential = bitstring_status_list_credential(
        credential_id=uri,
        issuer=issuer,
        purpose=purpose,
        encoded_list=encode_bitstring(status_list),
        valid_from=issued_at,
        valid_until=valid_until,
        ttl_ms=int(ttl.total_seconds() * 1000) if ttl is not None else None,
    )
    return issue_w3c(credential, profile=Profile.VC_JWT, key=key, contexts=contexts, issued_at=issued_at)


def issue_token_status_list(
    *,
    uri: str,
    issuer: str,
    status_list: StatusList,
    key: Signer,
    issued_at: datetime,
    expires_at: datetime | None = None,
    ttl: timedelta | None = None,
) -> str:
    """Sign an IETF Token Status List (``statuslist+jwt``) whose ``sub`` is ``uri``."""
    payload = token_status_list_payload(
        subject=uri,
        issuer=issuer,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl_seconds=int(ttl.total_seconds()) if ttl is not None else None,
        status_list=encode_token_status_list(status_list),
    )
    return sign_compact(header={"typ": STATUS_LIST_JWT_TYPE}, payload=json_dumps(payload), key=key)


def _timestamp(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def verify_status_list_token(
    token: str,
    *,
    uri: str,
    keys: KeyResolver,
    algorithms: frozenset[str],
    now: datetime,
    clock_skew: timedelta = timedelta(seconds=60),
    max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> StatusListData:
    """Verify a fetched status-list document and decode its list.

    Accepts a Token Status List (``typ: statuslist+jwt``, whose ``sub`` must be ``uri``) or a W3C
    ``BitstringStatusListCredential`` secured as ``vc+jwt`` (whose ``id`` must be ``uri``). The
    signature is checked with the key the issuer's key history gives for the signing time. Raises
    :class:`StatusError`/:class:`FormatError` for a malformed, mismatched or expired list, and
    :class:`~vc.errors.KeyResolutionError`/:class:`~vc.errors.SignatureError` for a bad signature.
    """
    jws = parse_compact(token, what="status list")
    algorithm = check_header(jws.header, allowed=algorithms, what="status list")
    payload = json_object(jws.payload, what="status list payload")
    if jws.typ == STATUS_LIST_JWT_TYPE:
        tsl = parse_token_status_list_payload(payload, max_bytes=max_bytes)
        if tsl.subject != uri:
            raise StatusError(
                "status list token is for another URI", code="status.list_mismatch", found=tsl.subject, expected=uri
            )
        if tsl.issuer is None:
            raise StatusError("status list token names no issuer", code="status.list_malformed", expected="'iss'")
        data = StatusListData(
            uri=uri,
            issuer=tsl.issuer,
            purpose=None,
            status_list=tsl.status_list,
            issued_at=_timestamp(tsl.issued_at),
            expires_at=_timestamp(tsl.expires_at),
            ttl_seconds=tsl.ttl_seconds,
        )
    elif jws.typ == BITSTRING_CREDENTIAL_TYPE:
        document = parse_bitstring_status_list_credential(payload, max_bytes=max_bytes)
        if document.credential_id != uri:
            raise StatusError(
                "status list credential has another id",
                code="status.list_mismatch",
                found=document.credential_id,
                expected=uri,
            )
        issuer = node_id(payload.get("iss")) or document.issuer
        raw_issued = payload.get("iat")
        issued = (
            None
            if raw_issued is None
            else parse_numeric_date(raw_issued, what="'iat'", code="status.list_malformed", error=StatusError)
        )
        data = StatusListData(
            uri=uri,
            issuer=issuer,
            purpose=document.purpose,
            purposes=tuple(document.purposes),
            status_list=document.status_list,
            issued_at=issued or _timestamp(document.valid_from),
            expires_at=_timestamp(document.valid_until),
            ttl_seconds=document.ttl_ms / 1000 if document.ttl_ms is not None else None,
        )
        if document.valid_from is not None and document.valid_from > now + clock_skew:
            raise StatusError("status list credential is not yet valid", code="status.list_not_yet_valid")
    else:
        raise FormatError(
            "status list has an unexpected media type",
            code="status.list_media_type",
            found=jws.typ,
            expected=f"{STATUS_LIST_JWT_TYPE} or {BITSTRING_CREDENTIAL_TYPE}",
        )
    key = keys.resolve(issuer=data.issuer, kid=jws.kid, algorithm=algorithm, signed_at=data.issued_at)
    key.verify(algorithm=algorithm, message=jws.signing_input, signature=jws.signature)
    if data.expires_at is not None and data.expires_at <= now - clock_skew:
        raise StatusError(
            "status list has expired", code="status.list_expired", found=data.expires_at.isoformat(), expected="fresh"
        )
    return data
