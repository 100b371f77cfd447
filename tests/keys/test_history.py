"""Key history: windows, life-cycle operations, the acceptance rule on real tokens, and the JWKS form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from jwcrypto import jwk as jwcrypto_jwk

from keys import KeyEntry, KeyHistory, KeyHistoryResolver, KeyState
from tests.keys.tokens import ISSUER, sign_token, verify_token
from vc.errors import ConfigurationError, FormatError, KeyResolutionError, SignatureError
from vc.jose import PublicKey, SigningKey, thumbprint

T2024 = datetime(2024, 1, 1, tzinfo=UTC)
SIGNED_2024 = datetime(2024, 7, 4, 9, 30, tzinfo=UTC)
ROTATED_2026 = datetime(2026, 1, 1, tzinfo=UTC)
COMPROMISED_2027 = datetime(2027, 3, 1, tzinfo=UTC)
VERIFIED_2054 = datetime(2054, 7, 4, tzinfo=UTC)

#: RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_KEY = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
        "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic"
        "AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
        "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def entry_for(signing: SigningKey, **window: datetime | None) -> KeyEntry:
    window.setdefault("not_before", T2024)
    return KeyEntry(key=signing.public, **window)  # type: ignore[arg-type]


@pytest.fixture
def old_key() -> SigningKey:
    return SigningKey.generate("ES256")


@pytest.fixture
def new_key() -> SigningKey:
    return SigningKey.generate("ES256")


@pytest.fixture
def rotated(old_key: SigningKey, new_key: SigningKey) -> KeyHistory:
    """The 2024 key, retired at the 2026 rotation, and its successor."""
    history = KeyHistory((entry_for(old_key),))
    history = history.with_entry(entry_for(new_key, not_before=ROTATED_2026))
    return history.retire(old_key.public.thumbprint(), ROTATED_2026)


def resolver(history: KeyHistory) -> KeyHistoryResolver:
    return KeyHistoryResolver({ISSUER: history})


# -- KeyEntry ------------------------------------------------------------------------------------------


def test_entry_kid_is_the_rfc7638_thumbprint_of_the_rfc_example_key() -> None:
    assert thumbprint(RFC7638_KEY) == RFC7638_THUMBPRINT
    entry = KeyEntry(key=PublicKey.from_jwk({**RFC7638_KEY, "kid": None}), not_before=T2024)
    assert entry.kid == RFC7638_THUMBPRINT
    assert entry.key.kid == RFC7638_THUMBPRINT
    assert entry.algorithm == "RS256"


def test_entry_kid_matches_jwcrypto_thumbprint(old_key: SigningKey) -> None:
    entry = entry_for(old_key)
    assert entry.kid == jwcrypto_jwk.JWK(**old_key.public.jwk).thumbprint()


def test_entry_refuses_a_kid_that_is_not_the_thumbprint() -> None:
    with pytest.raises(ConfigurationError) as caught:
        KeyEntry(key=PublicKey.from_jwk(RFC7638_KEY), not_before=T2024)  # kid "2011-04-29"
    assert caught.value.code == "key.kid_mismatch"


@pytest.mark.parametrize(
    ("window", "code"),
    [
        ({"not_before": datetime(2024, 1, 1)}, "key.time_naive"),
        ({"not_before": T2024 + timedelta(microseconds=1)}, "key.time_precision"),
        ({"retired_at": T2024 - timedelta(seconds=1)}, "key.window_invalid"),
        ({"compromised_at": T2024 - timedelta(days=1)}, "key.window_invalid"),
    ],
)
def test_entry_refuses_bad_windows(old_key: SigningKey, window: dict[str, datetime], code: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        entry_for(old_key, **window)
    assert caught.value.code == code


def test_entry_normalises_times_to_utc(old_key: SigningKey) -> None:
    casablanca = timezone(timedelta(hours=1))
    entry = entry_for(old_key, not_before=datetime(2024, 1, 1, 1, 0, tzinfo=casablanca))
    assert entry.not_before == T2024
    assert entry.not_before.tzinfo is UTC


def test_entry_status_over_its_life(old_key: SigningKey) -> None:
    entry = entry_for(old_key, retired_at=ROTATED_2026, compromised_at=COMPROMISED_2027)
    assert entry.status(T2024 - timedelta(seconds=1)) is KeyState.PENDING
    assert entry.status(T2024) is KeyState.ACTIVE
    assert entry.status(ROTATED_2026) is KeyState.RETIRED
    assert entry.status(COMPROMISED_2027) is KeyState.COMPROMISED
    assert str(KeyState.COMPROMISED) == "compromised"


def test_entries_are_equal_by_key_and_window(old_key: SigningKey) -> None:
    same_key = PublicKey.from_jwk(old_key.public.jwk)
    assert entry_for(old_key) == KeyEntry(key=same_key, not_before=T2024)
    assert entry_for(old_key) != entry_for(old_key, retired_at=ROTATED_2026)
    assert "kid=" in repr(entry_for(old_key))


# -- KeyHistory operations -----------------------------------------------------------------------------


def test_history_refuses_duplicate_kids(old_key: SigningKey) -> None:
    history = KeyHistory((entry_for(old_key),))
    with pytest.raises(ConfigurationError) as caught:
        history.with_entry(entry_for(old_key, not_before=ROTATED_2026))
    assert caught.value.code == "key.duplicate_kid"


def test_active_signing_kid_is_the_newest_active_key(rotated: KeyHistory, old_key: SigningKey) -> None:
    old_kid, new_kid = rotated.kids
    assert rotated.active_signing_kid(SIGNED_2024) == old_kid
    assert rotated.active_signing_kid(ROTATED_2026) == new_kid
    both_active = KeyHistory((entry_for(old_key), entry_for(SigningKey.generate(), not_before=ROTATED_2026)))
    assert both_active.active_signing_kid(VERIFIED_2054) == both_active.kids[1]


def test_active_signing_kid_without_an_active_key(rotated: KeyHistory) -> None:
    with pytest.raises(ConfigurationError) as caught:
        rotated.active_signing_kid(T2024 - timedelta(days=1))
    assert caught.value.code == "key.no_active_key"
    with pytest.raises(ConfigurationError) as caught:
        KeyHistory().active_signing_kid(T2024)
    assert caught.value.code == "key.no_active_key"


def test_operations_return_new_histories(rotated: KeyHistory) -> None:
    new_kid = rotated.kids[1]
    compromised = rotated.compromise(new_kid, COMPROMISED_2027)
    assert rotated.entry(new_kid).compromised_at is None
    assert compromised.entry(new_kid).compromised_at == COMPROMISED_2027
    assert compromised.entry(new_kid).status(COMPROMISED_2027) is KeyState.COMPROMISED


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        (lambda h: h.retire(h.kids[0], VERIFIED_2054), "key.already_retired"),
        (
            lambda h: h.compromise(h.kids[0], COMPROMISED_2027).compromise(h.kids[0], VERIFIED_2054),
            "key.already_compromised",
        ),
        (
            lambda h: h.compromise(h.kids[1], COMPROMISED_2027).retire(h.kids[1], VERIFIED_2054),
            "key.already_compromised",
        ),
        (lambda h: h.retire("no-such-kid", VERIFIED_2054), "key.unknown_kid"),
        (lambda h: h.compromise("no-such-kid", VERIFIED_2054), "key.unknown_kid"),
        (lambda h: h.entry("no-such-kid"), "key.unknown_kid"),
        (lambda h: h.retire(h.kids[1], SIGNED_2024), "key.before_not_before"),
        (lambda h: h.compromise(h.kids[1], SIGNED_2024), "key.before_not_before"),
        (lambda h: h.retire(h.kids[1], datetime(2030, 1, 1)), "key.time_naive"),
    ],
)
def test_operations_refuse(rotated: KeyHistory, operation: Any, code: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        operation(rotated)
    assert caught.value.code == code


def test_a_retired_key_can_still_be_compromised_even_before_its_retirement(rotated: KeyHistory) -> None:
    old_kid = rotated.kids[0]
    leak = datetime(2025, 5, 1, tzinfo=UTC)
    entry = rotated.compromise(old_kid, leak).entry(old_kid)
    assert (entry.retired_at, entry.compromised_at) == (ROTATED_2026, leak)


def test_operation_times_round_toward_safety(rotated: KeyHistory) -> None:
    new_kid = rotated.kids[1]
    moment = datetime(2030, 1, 1, 12, 0, 0, 400_000, tzinfo=UTC)
    # Retirement rounds up: a token signed in that second by the retiring key still verifies.
    assert rotated.retire(new_kid, moment).entry(new_kid).retired_at == moment.replace(microsecond=0) + timedelta(
        seconds=1
    )
    # Compromise rounds down: nothing signed in that second verifies.
    assert rotated.compromise(new_kid, moment).entry(new_kid).compromised_at == moment.replace(microsecond=0)


# -- The acceptance rule, on real tokens ---------------------------------------------------------------


def test_retired_key_verifies_what_it_signed_while_active(rotated: KeyHistory, old_key: SigningKey) -> None:
    token = sign_token(old_key, signed_at=SIGNED_2024)
    assert verify_token(token, resolver(rotated))["given_name"] == "Salma"


def test_retired_key_fails_what_it_signed_after_retirement(rotated: KeyHistory, old_key: SigningKey) -> None:
    token = sign_token(old_key, signed_at=ROTATED_2026 + timedelta(seconds=1))
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(token, resolver(rotated))
    assert caught.value.code == "key.retired"
    assert "retired" in caught.value.message
    at_the_instant = sign_token(old_key, signed_at=ROTATED_2026)
    with pytest.raises(KeyResolutionError, match="retired"):
        verify_token(at_the_instant, resolver(rotated))


def test_compromised_key_fails_whatever_signing_time_the_token_claims(rotated: KeyHistory, new_key: SigningKey) -> None:
    # The signing time is chosen by whoever holds the key: a thief backdates it, so no date may save a token.
    compromised = rotated.compromise(rotated.kids[1], COMPROMISED_2027)
    before = sign_token(new_key, signed_at=COMPROMISED_2027 - timedelta(seconds=1))
    after = sign_token(new_key, signed_at=COMPROMISED_2027)
    for token in (before, after):
        with pytest.raises(KeyResolutionError) as caught:
            verify_token(token, resolver(compromised))
        assert caught.value.code == "key.compromised"
        assert "declared this key compromised on 2027-" in caught.value.message
        assert "re-issues" in caught.value.message


def test_without_a_signing_time_a_retired_key_verifies(rotated: KeyHistory, old_key: SigningKey) -> None:
    assert verify_token(sign_token(old_key, signed_at=None), resolver(rotated))


def test_without_a_signing_time_a_compromised_key_never_verifies(rotated: KeyHistory, old_key: SigningKey) -> None:
    compromised = rotated.compromise(rotated.kids[0], COMPROMISED_2027)
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(sign_token(old_key, signed_at=None), resolver(compromised))
    assert caught.value.code == "key.compromised"


def test_a_token_claiming_to_predate_its_key_fails(rotated: KeyHistory, new_key: SigningKey) -> None:
    token = sign_token(new_key, signed_at=ROTATED_2026 - timedelta(seconds=1))
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(token, resolver(rotated))
    assert caught.value.code == "key.not_yet_valid"


def test_unknown_kid_and_unknown_issuer(rotated: KeyHistory) -> None:
    stranger = sign_token(SigningKey.generate(), signed_at=SIGNED_2024)
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(stranger, resolver(rotated))
    assert caught.value.code == "key.unknown_kid"
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(stranger, resolver(rotated), issuer="https://other.example")
    assert caught.value.code == "key.unknown_issuer"
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(stranger, KeyHistoryResolver({ISSUER: KeyHistory()}))
    assert caught.value.code == "key.unknown_issuer"


def test_a_key_from_the_history_still_checks_the_signature(rotated: KeyHistory, old_key: SigningKey) -> None:
    token = sign_token(old_key, signed_at=SIGNED_2024)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(SignatureError):
        verify_token(forged, resolver(rotated))


def test_without_kid_the_signing_time_selects_the_key(
    rotated: KeyHistory, old_key: SigningKey, new_key: SigningKey
) -> None:
    assert verify_token(sign_token(old_key, signed_at=SIGNED_2024, with_kid=False), resolver(rotated))
    assert verify_token(sign_token(new_key, signed_at=VERIFIED_2054, with_kid=False), resolver(rotated))
    # Without a signing time both keys are candidates, so the issuer's key is ambiguous.
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(sign_token(new_key, signed_at=None, with_kid=False), resolver(rotated))
    assert caught.value.code == "key.unknown_kid"
    with pytest.raises(KeyResolutionError) as caught:
        rotated.key_for(kid=None, algorithm="ES256", signed_at=T2024 - timedelta(days=1))
    assert caught.value.code == "key.unknown_kid"


# -- JWKS ----------------------------------------------------------------------------------------------


@pytest.fixture
def full_history(rotated: KeyHistory) -> KeyHistory:
    eddsa = KeyEntry(key=SigningKey.generate("EdDSA").public, not_before=COMPROMISED_2027)
    rsa = KeyEntry(key=PublicKey.from_jwk({**RFC7638_KEY, "kid": None}), not_before=T2024)
    return rotated.compromise(rotated.kids[0], COMPROMISED_2027).with_entry(eddsa).with_entry(rsa)


def test_jwks_round_trip(full_history: KeyHistory) -> None:
    document = full_history.to_jwks()
    parsed = KeyHistory.from_jwks(json.loads(json.dumps(document)))
    # Compromised keys are published after the others (out of 'keys'); every entry and window comes back.
    assert set(parsed.entries) == set(full_history.entries)
    assert parsed.kids == (*full_history.kids[1:], full_history.kids[0])
    assert KeyHistory.from_jwks(parsed.to_jwks()) == parsed
    assert KeyHistory.from_jwks({"keys": []}) == KeyHistory()


def test_jwks_members_carry_the_window(full_history: KeyHistory) -> None:
    new, eddsa, rsa = full_history.to_jwks()["keys"]
    (old,) = full_history.to_jwks()["tawtiq_compromised_keys"]
    assert old == {
        **{name: old[name] for name in ("kty", "crv", "x", "y")},
        "kid": full_history.kids[0],
        "alg": "ES256",
        "use": "sig",
        "nbf": int(T2024.timestamp()),
        "tawtiq_retired_at": int(ROTATED_2026.timestamp()),
        "revoked": {"revoked_at": int(COMPROMISED_2027.timestamp()), "reason": "compromised"},
    }
    assert set(new) == {"kty", "crv", "x", "y", "kid", "alg", "use", "nbf"}
    assert (eddsa["kty"], eddsa["alg"]) == ("OKP", "EdDSA")
    assert rsa["kid"] == RFC7638_THUMBPRINT
    for jwk in (old, new, eddsa, rsa):
        assert jwk["kid"] == thumbprint(jwk)
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(jwk)


def test_jwks_is_usable_by_other_software(full_history: KeyHistory) -> None:
    # Unknown members are ignored (RFC 7517 §4): a generic library imports every key but the compromised one,
    # which it never sees, so a standard verifier refuses what that key signed.
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(full_history.to_jwks()))
    assert {key.get("kid") for key in keyset} == set(full_history.kids[1:])


def _jwk(history: KeyHistory, **changes: Any) -> dict[str, Any]:
    jwk = dict(history.to_jwks()["keys"][0])
    for name, value in changes.items():
        if value is None:
            jwk.pop(name, None)
        else:
            jwk[name] = value
    return {"keys": [jwk]}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"d": "c2VjcmV0"}, "key.jwk_private"),
        ({"k": "c2VjcmV0"}, "key.jwk_private"),
        ({"kid": None}, "key.jwk_invalid"),
        ({"kid": "2011-04-29"}, "key.kid_mismatch"),
        ({"alg": None}, "key.jwk_invalid"),
        ({"alg": "ES384"}, "key.jwk_invalid"),
        ({"use": "enc"}, "key.jwk_invalid"),
        ({"use": None}, "key.jwk_invalid"),
        ({"kty": "oct"}, "key.unsupported"),
        ({"x": "not base64url!"}, "key.jwk_invalid"),
        ({"nbf": None}, "key.jwk_time_invalid"),
        ({"nbf": "1704067200"}, "key.jwk_time_invalid"),
        ({"nbf": 1704067200.5}, "key.jwk_time_invalid"),
        ({"nbf": True}, "key.jwk_time_invalid"),
        ({"nbf": -1}, "key.jwk_time_invalid"),
        ({"nbf": 10**12}, "key.jwk_time_invalid"),
        ({"tawtiq_retired_at": 0}, "key.window_invalid"),
        ({"tawtiq_retired_at": None, "revoked": "yes"}, "key.jwk_invalid"),
        ({"revoked": {"reason": "compromised"}}, "key.jwk_time_invalid"),
        ({"revoked": {"revoked_at": 1800000000, "reason": "keyCompromise"}}, "key.jwk_invalid"),
        ({"exp": 1800000000}, "key.jwk_exp_unsupported"),
    ],
)
def test_from_jwks_refuses_malformed_keys(rotated: KeyHistory, changes: dict[str, Any], code: str) -> None:
    with pytest.raises(FormatError) as caught:
        KeyHistory.from_jwks(_jwk(rotated, **changes))
    assert caught.value.code == code
    assert caught.value.message.startswith("keys[0]")


@pytest.mark.parametrize("document", [[], {"keys": {}}, {"jwks": []}, {"keys": ["not a jwk"]}])
def test_from_jwks_refuses_malformed_sets(document: Any) -> None:
    with pytest.raises(FormatError) as caught:
        KeyHistory.from_jwks(document)
    assert caught.value.code in {"key.jwks_invalid", "key.jwk_invalid"}


def test_from_jwks_refuses_duplicate_kids(rotated: KeyHistory) -> None:
    jwk = rotated.to_jwks()["keys"][1]
    with pytest.raises(FormatError) as caught:
        KeyHistory.from_jwks({"keys": [jwk, jwk]})
    assert caught.value.code == "key.duplicate_kid"


def test_from_jwks_reads_any_revocation_as_a_compromise(rotated: KeyHistory) -> None:
    document = _jwk(rotated, revoked={"revoked_at": int(COMPROMISED_2027.timestamp()), "reason": "superseded"})
    assert KeyHistory.from_jwks(document).entries[0].compromised_at == COMPROMISED_2027
    without_reason = _jwk(rotated, revoked={"revoked_at": int(COMPROMISED_2027.timestamp())})
    assert KeyHistory.from_jwks(without_reason).entries[0].compromised_at == COMPROMISED_2027


def test_from_jwks_ignores_members_that_do_not_concern_keys(rotated: KeyHistory) -> None:
    document = {**_jwk(rotated, iat=1704067200, x5t="ignored"), "issuer": ISSUER}
    assert KeyHistory.from_jwks(document).entries[0] == rotated.entries[0]


def test_a_remote_verifier_honours_the_published_history(rotated: KeyHistory, old_key: SigningKey) -> None:
    published = KeyHistory.from_jwks(
        json.loads(json.dumps(rotated.compromise(rotated.kids[0], COMPROMISED_2027).to_jwks()))
    )
    assert verify_token(sign_token(old_key, signed_at=SIGNED_2024), resolver(KeyHistory.from_jwks(rotated.to_jwks())))
    for signed_at in (SIGNED_2024, None, ROTATED_2026 + timedelta(days=1)):
        with pytest.raises(KeyResolutionError, match="compromised"):
            verify_token(sign_token(old_key, signed_at=signed_at), resolver(published))
