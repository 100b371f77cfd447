"""The fixed world the negative corpus is verified in: keys, key histories, trust list, status lists, policy, now.

The assets under ``assets/negative`` and ``assets/valid`` are made by ``assets/make_negative_corpus.py`` from
the keys and constants here, so a failure in the corpus comes from what its asset changed, never from this
set-up (the valid controls prove it).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import schemas
from keys import KeyEntry, KeyHistory, KeyHistoryResolver
from vc import (
    BitOrder,
    ContextRegistry,
    HolderBinding,
    KeyResolver,
    Policy,
    PublicKey,
    SigningKey,
    StatusList,
    StatusSnapshot,
    TrustList,
    UpstreamError,
    encode_bitstring,
    issue_bitstring_status_list,
    issue_token_status_list,
    verify_status_list_token,
)
from vc.encoding import b64url_encode, json_dumps
from vc.jose import DEFAULT_ALGORITHMS, parse_compact
from vc.profiles import Profile, issue_w3c
from vc.status import StatusReference, reference_uri
from vc.statuslist import bitstring_status_list_credential

ASSETS: Final = Path(__file__).resolve().parent / "assets"
KEYS_DIR: Final = ASSETS / "keys"
NEGATIVE_DIR: Final = ASSETS / "negative"
VALID_DIR: Final = ASSETS / "valid"
MANIFEST: Final = NEGATIVE_DIR / "manifest.json"

ISSUER: Final = "https://bac.example.ma"
#: Another issuer, on no trust list, whose keys a verifier can nevertheless resolve from its metadata.
OTHER_ISSUER: Final = "https://diplomes.example.net"
VERIFIER: Final = "https://admissions.um5.example.ma"
NONCE: Final = "n-6c1f0e9a2b7d4c38"

#: The moment every corpus token is verified at.
NOW: Final = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
#: When the diplomas were signed (``iat`` and ``validFrom``): inside the active key's window.
ISSUED_AT: Final = datetime(2024, 7, 1, tzinfo=UTC)
#: When the holder signed its key-binding JWTs: well inside the policy's five minutes before ``NOW``.
PRESENTED_AT: Final = NOW - timedelta(seconds=30)
#: When the status lists were signed, and when the verifier fetched them.
LISTS_ISSUED_AT: Final = NOW - timedelta(hours=1)
LISTS_FETCHED_AT: Final = NOW - timedelta(minutes=10)

#: Key windows (DESIGN §4). The active key signs from 2024; the retired key signed until 2024; the
#: compromised key was declared exposed from the start of 2025, so everything it ever signed is refused.
ACTIVE_KEY_NOT_BEFORE: Final = datetime(2024, 1, 1, tzinfo=UTC)
RETIRED_KEY_NOT_BEFORE: Final = datetime(2020, 1, 1, tzinfo=UTC)
RETIRED_AT: Final = datetime(2024, 1, 1, tzinfo=UTC)
COMPROMISED_KEY_NOT_BEFORE: Final = datetime(2020, 1, 1, tzinfo=UTC)
COMPROMISED_AT: Final = datetime(2025, 1, 1, tzinfo=UTC)

#: The fixed test keys, as private JWKs under ``assets/keys``.
ISSUER_KEY: Final = "issuer-active"
RETIRED_KEY: Final = "issuer-retired"
COMPROMISED_KEY: Final = "issuer-compromised"
HOLDER_KEY: Final = "holder"
ATTACKER_KEY: Final = "attacker"
KEY_NAMES: Final = (ISSUER_KEY, RETIRED_KEY, COMPROMISED_KEY, HOLDER_KEY, ATTACKER_KEY)

# Status lists, as the issuer publishes them. Bitstring lists have the REC's minimum of 131,072 entries.
STATUS_BASE: Final = f"{ISSUER}/status"
REVOCATION_LIST: Final = f"{STATUS_BASE}/revocation/1"
SUSPENSION_LIST: Final = f"{STATUS_BASE}/suspension/1"
TOKEN_STATUS_LIST: Final = f"{STATUS_BASE}/tsl/1"
#: Not published: its server does not answer.
UNREACHABLE_LIST: Final = f"{STATUS_BASE}/revocation/2"
#: Signed by the issuer, but 1,024 entries long: shorter than the REC's minimum.
SHORT_LIST: Final = f"{STATUS_BASE}/revocation/3"
#: Signed by the issuer, but its ``encodedList`` is not GZIP.
UNDECODABLE_LIST: Final = f"{STATUS_BASE}/revocation/4"
#: Names the issuer, but signed by the attacker's key under the issuer's ``kid``.
FORGED_LIST: Final = f"{STATUS_BASE}/revocation/5"
#: A well-formed list published at this URL by another issuer (``iss`` is ``OTHER_ISSUER``).
FOREIGN_LIST: Final = f"{STATUS_BASE}/revocation/6"

BITSTRING_ENTRIES: Final = 131_072
TOKEN_STATUS_ENTRIES: Final = 16_384
#: Indexes whose entries are 0 in every list: the untouched diplomas use them.
GOOD_INDEX: Final = 4_211
REVOKED_INDEX: Final = 90_210
SUSPENDED_INDEX: Final = 17_345
#: In the Token Status List (2 bits per entry): 1 is INVALID (revoked), 2 is SUSPENDED.
TOKEN_REVOKED_INDEX: Final = 2_087
TOKEN_SUSPENDED_INDEX: Final = 3_301

TRUST_LIST: Final = TrustList(
    version="corpus-2026-07-01",
    issuers={ISSUER: frozenset({schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT})},
)


def contexts() -> ContextRegistry:
    return ContextRegistry(schemas.pinned_contexts())


def key_jwk(name: str) -> dict[str, Any]:
    """The private JWK ``assets/keys/<name>.json``."""
    document = json.loads((KEYS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@cache
def signing_key(name: str) -> SigningKey:
    return SigningKey.from_jwk(key_jwk(name))


def public_key(name: str) -> PublicKey:
    return signing_key(name).public


def key_histories() -> dict[str, KeyHistory]:
    """Every issuer's key history, as a verifier reads it from the issuers' published key sets."""
    ministry = KeyHistory(
        (
            KeyEntry(public_key(RETIRED_KEY), not_before=RETIRED_KEY_NOT_BEFORE, retired_at=RETIRED_AT),
            KeyEntry(public_key(COMPROMISED_KEY), not_before=COMPROMISED_KEY_NOT_BEFORE, compromised_at=COMPROMISED_AT),
            KeyEntry(public_key(ISSUER_KEY), not_before=ACTIVE_KEY_NOT_BEFORE),
        )
    )
    other = KeyHistory((KeyEntry(public_key(ATTACKER_KEY), not_before=RETIRED_KEY_NOT_BEFORE),))
    return {ISSUER: ministry, OTHER_ISSUER: other}


def key_resolver() -> KeyHistoryResolver:
    return KeyHistoryResolver(key_histories())


@dataclass
class RecordingKeyResolver:
    """Passes every request to ``inner`` and remembers it, so a test can show that no key was requested."""

    inner: KeyResolver
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        self.requests.append((issuer, kid))
        return self.inner.resolve(issuer=issuer, kid=kid, algorithm=algorithm, signed_at=signed_at)


class PublishedStatusResolver:
    """The lists as published, verified on each request as a verifier's status cache does when it fetches.

    A URL nobody publishes raises :class:`UpstreamError` (``status.unavailable``); whatever
    :func:`vc.verify_status_list_token` raises for a published list passes through to the pipeline.
    """

    def __init__(self, published: Mapping[str, str], *, keys: KeyResolver) -> None:
        self._published = dict(published)
        self._keys = keys

    def resolve(self, reference: StatusReference) -> StatusSnapshot:
        uri = reference_uri(reference)
        token = self._published.get(uri)
        if token is None:
            raise UpstreamError("the status list server did not answer", code="status.unavailable", found=uri)
        data = verify_status_list_token(token, uri=uri, keys=self._keys, algorithms=DEFAULT_ALGORITHMS, now=NOW)
        return StatusSnapshot(data=data, fetched_at=LISTS_FETCHED_AT)


def _bitstring(entries: Sequence[tuple[int, int]]) -> StatusList:
    return StatusList.from_entries(size=BITSTRING_ENTRIES, bits=1, order=BitOrder.MSB_FIRST, entries=entries)


def _bitstring_document(uri: str, encoded_list: str, key: SigningKey) -> str:
    credential = bitstring_status_list_credential(
        credential_id=uri, issuer=ISSUER, purpose="revocation", encoded_list=encoded_list, valid_from=LISTS_ISSUED_AT
    )
    return issue_w3c(credential, profile=Profile.VC_JWT, key=key, contexts=contexts(), issued_at=LISTS_ISSUED_AT)


def _forged(token: str, key: SigningKey) -> str:
    """``token`` re-signed by ``key`` under the header it had, ``kid`` included."""
    jws = parse_compact(token)
    header = {**jws.header, "alg": key.algorithm}
    signing_input = b64url_encode(json_dumps(header)) + "." + b64url_encode(jws.payload)
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))


@cache
def published_status_lists() -> Mapping[str, str]:
    """Every status-list document the corpus can point at, by URL (the unreachable list is absent)."""
    issuer_key, attacker_key = signing_key(ISSUER_KEY), signing_key(ATTACKER_KEY)
    common = {"key": issuer_key, "issued_at": LISTS_ISSUED_AT, "contexts": contexts()}
    revocations = _bitstring([(REVOKED_INDEX, 1)])
    suspensions = _bitstring([(SUSPENDED_INDEX, 1)])
    token_list = StatusList.from_entries(
        size=TOKEN_STATUS_ENTRIES,
        bits=2,
        order=BitOrder.LSB_FIRST,
        entries=[(TOKEN_REVOKED_INDEX, 1), (TOKEN_SUSPENDED_INDEX, 2)],
    )
    short = "u" + b64url_encode(gzip.compress(bytes(128), mtime=0))
    not_gzip = "u" + b64url_encode(b"\x78\x9c" + bytes(64))
    return {
        REVOCATION_LIST: issue_bitstring_status_list(
            uri=REVOCATION_LIST, issuer=ISSUER, purpose="revocation", status_list=revocations, **common
        ),
        SUSPENSION_LIST: issue_bitstring_status_list(
            uri=SUSPENSION_LIST, issuer=ISSUER, purpose="suspension", status_list=suspensions, **common
        ),
        TOKEN_STATUS_LIST: issue_token_status_list(
            uri=TOKEN_STATUS_LIST, issuer=ISSUER, status_list=token_list, key=issuer_key, issued_at=LISTS_ISSUED_AT
        ),
        SHORT_LIST: _bitstring_document(SHORT_LIST, short, issuer_key),
        UNDECODABLE_LIST: _bitstring_document(UNDECODABLE_LIST, not_gzip, issuer_key),
        FORGED_LIST: _forged(
            _bitstring_document(FORGED_LIST, encode_bitstring(_bitstring([])), issuer_key), attacker_key
        ),
        FOREIGN_LIST: issue_bitstring_status_list(
            uri=FOREIGN_LIST,
            issuer=OTHER_ISSUER,
            purpose="revocation",
            status_list=_bitstring([]),
            key=attacker_key,
            issued_at=LISTS_ISSUED_AT,
            contexts=contexts(),
        ),
    }


def status_resolver() -> PublishedStatusResolver:
    return PublishedStatusResolver(published_status_lists(), keys=key_resolver())


def _w3c_schema(claims: Mapping[str, Any]) -> list[str]:
    return [problem.message for problem in schemas.validate_credential(claims)]


def _sd_jwt_vc_schema(claims: Mapping[str, Any]) -> list[str]:
    subject = {name: value for name, value in claims.items() if name in schemas.SUBJECT_CLAIMS}
    return [problem.message for problem in schemas.validate_subject(subject, complete=False)]


def policy(**changes: Any) -> Policy:
    """The verifier's policy: the corpus trust list, holder binding for ``VERIFIER`` and ``NONCE``, the diploma
    schemas. ``changes`` override fields (``required_disclosures``, ``max_input_bytes``)."""
    settings: dict[str, Any] = {
        "trust": TRUST_LIST,
        "contexts": contexts(),
        "holder_binding": HolderBinding(required=True, audience=VERIFIER, nonce=NONCE),
        "schemas": {schemas.DIPLOMA_CREDENTIAL_TYPE: _w3c_schema, schemas.DIPLOMA_VCT: _sd_jwt_vc_schema},
        **changes,
    }
    return Policy(**settings)
