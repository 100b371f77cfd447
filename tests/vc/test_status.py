"""Status-list documents: signing, verification of what a resolver fetched, and the in-memory resolvers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import schemas
from vc import (
    BitOrder,
    ContextRegistry,
    SigningKey,
    StaticKeyResolver,
    StaticStatusResolver,
    StatusList,
    StatusSnapshot,
    UnavailableStatusResolver,
    issue_bitstring_status_list,
    issue_token_status_list,
    verify_status_list_token,
)
from vc.encoding import json_dumps
from vc.errors import FormatError, KeyResolutionError, SignatureError, StatusError, UpstreamError
from vc.jose import sign_compact
from vc.statuslist import TokenStatusReference

ISSUER = "https://bac.example.ma"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
KEY = SigningKey.generate()
KEYS = StaticKeyResolver({ISSUER: [KEY.public]})
CONTEXTS = ContextRegistry(schemas.pinned_contexts())
ALGORITHMS = frozenset({"ES256"})
BITSTRING = f"{ISSUER}/status/bitstring/r1"
TSL = f"{ISSUER}/status/tsl/1"


def bitstring_list(*revoked: int) -> StatusList:
    return StatusList.from_entries(size=131_072, bits=1, order=BitOrder.MSB_FIRST, entries=[(i, 1) for i in revoked])


def token_list(**values: int) -> StatusList:
    entries = [(int(index[1:]), value) for index, value in values.items()]
    return StatusList.from_entries(size=131_072, bits=2, order=BitOrder.LSB_FIRST, entries=entries)


def test_a_bitstring_status_list_credential_round_trips() -> None:
    token = issue_bitstring_status_list(
        uri=BITSTRING,
        issuer=ISSUER,
        purpose="revocation",
        status_list=bitstring_list(7, 131_071),
        key=KEY,
        issued_at=NOW,
        contexts=CONTEXTS,
        ttl=timedelta(minutes=5),
    )
    data = verify_status_list_token(token, uri=BITSTRING, keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    assert (data.issuer, data.purpose, data.purposes, data.ttl_seconds) == (ISSUER, "revocation", ("revocation",), 300)
    assert [data.status_list.get(i) for i in (6, 7, 131_071)] == [0, 1, 1]
    assert data.issued_at == NOW
    assert data.serves("revocation")
    assert not data.serves("suspension")


def test_a_token_status_list_round_trips() -> None:
    token = issue_token_status_list(
        uri=TSL,
        issuer=ISSUER,
        status_list=token_list(i3=1, i9=2),
        key=KEY,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=1),
        ttl=timedelta(minutes=5),
    )
    data = verify_status_list_token(token, uri=TSL, keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    assert [data.status_list.get(i) for i in (2, 3, 9)] == [0, 1, 2]
    assert data.purpose is None
    assert not data.serves("revocation")  # a W3C entry may never point into a Token Status List
    assert data.expires_at == NOW + timedelta(days=1)


def test_a_list_fetched_from_another_uri_is_refused() -> None:
    token = issue_token_status_list(uri=TSL, issuer=ISSUER, status_list=token_list(), key=KEY, issued_at=NOW)
    with pytest.raises(StatusError) as caught:
        verify_status_list_token(token, uri=f"{ISSUER}/status/tsl/2", keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    assert caught.value.code == "status.list_mismatch"


def test_an_expired_list_is_refused() -> None:
    token = issue_token_status_list(
        uri=TSL,
        issuer=ISSUER,
        status_list=token_list(),
        key=KEY,
        issued_at=NOW - timedelta(days=2),
        expires_at=NOW - timedelta(days=1),
    )
    with pytest.raises(StatusError) as caught:
        verify_status_list_token(token, uri=TSL, keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    assert caught.value.code == "status.list_expired"


def test_a_list_signed_by_another_key_is_refused() -> None:
    token = issue_token_status_list(
        uri=TSL, issuer=ISSUER, status_list=token_list(), key=SigningKey.generate(), issued_at=NOW
    )
    with pytest.raises(KeyResolutionError):
        verify_status_list_token(token, uri=TSL, keys=KEYS, algorithms=ALGORITHMS, now=NOW)


def test_a_list_with_a_forged_signature_is_refused() -> None:
    token = issue_token_status_list(uri=TSL, issuer=ISSUER, status_list=token_list(), key=KEY, issued_at=NOW)
    header, payload, _ = token.split(".")
    forged = sign_compact(header={"typ": "statuslist+jwt"}, payload=b"{}", key=KEY).split(".")[2]
    with pytest.raises(SignatureError):
        verify_status_list_token(f"{header}.{payload}.{forged}", uri=TSL, keys=KEYS, algorithms=ALGORITHMS, now=NOW)


def test_a_list_of_an_unknown_media_type_is_refused() -> None:
    token = sign_compact(header={"typ": "jwt"}, payload=json_dumps({"sub": TSL}), key=KEY)
    with pytest.raises(FormatError) as caught:
        verify_status_list_token(token, uri=TSL, keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    assert caught.value.code == "status.list_media_type"


def test_a_bitstring_list_with_an_iat_beyond_any_date_is_malformed_not_a_crash() -> None:
    valid = issue_bitstring_status_list(
        uri=BITSTRING,
        issuer=ISSUER,
        purpose="revocation",
        status_list=bitstring_list(),
        key=KEY,
        issued_at=NOW,
        contexts=CONTEXTS,
    )
    import base64
    import json

    payload = json.loads(base64.urlsafe_b64decode(valid.split(".")[1] + "=="))
    payload["iat"] = 10**15  # year ~31 million: beyond any datetime
    token = sign_compact(header={"typ": "vc+jwt", "cty": "vc"}, payload=json_dumps(payload), key=KEY)
    with pytest.raises(StatusError) as caught:
        verify_status_list_token(token, uri=BITSTRING, keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    assert caught.value.code == "status.list_malformed"


def test_the_static_resolver_answers_only_for_the_lists_it_holds() -> None:
    token = issue_token_status_list(uri=TSL, issuer=ISSUER, status_list=token_list(), key=KEY, issued_at=NOW)
    data = verify_status_list_token(token, uri=TSL, keys=KEYS, algorithms=ALGORITHMS, now=NOW)
    resolver = StaticStatusResolver({TSL: StatusSnapshot(data=data, fetched_at=NOW)})
    assert resolver.resolve(TokenStatusReference(index=1, uri=TSL)).data is data
    with pytest.raises(UpstreamError) as caught:
        resolver.resolve(TokenStatusReference(index=1, uri=f"{ISSUER}/status/tsl/9"))
    assert caught.value.code == "status.unavailable"


def test_the_unavailable_resolver_never_answers() -> None:
    with pytest.raises(UpstreamError) as caught:
        UnavailableStatusResolver("no network").resolve(TokenStatusReference(index=0, uri=TSL))
    assert caught.value.code == "status.unavailable"
    assert "no network" in str(caught.value)
