"""The offline QR (vc.offline) through the engine's pipeline: a genuine one verifies offline and adds the status
when the list is at hand; every forged, altered, truncated or hostile text is refused with its own code."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import cbor2
import pytest

import schemas
from common.diploma import diploma_policy, diploma_trust_list
from vc import (
    HolderBinding,
    StaticKeyResolver,
    StaticStatusResolver,
    StatusList,
    StatusSnapshot,
    UnavailableStatusResolver,
    base45,
    issue_token_status_list,
    verify,
    verify_status_list_token,
)
from vc.cbor import dumps
from vc.cose import ALG, KID, sign1
from vc.errors import ConfigurationError, FormatError
from vc.jose import DEFAULT_ALGORITHMS, SigningKey
from vc.offline import (
    MAX_INFLATED_BYTES,
    OFFLINE_CREDENTIAL_TYPE,
    PREFIX,
    OfflineDiploma,
    decode_offline,
    issue_offline,
    kid_of,
)
from vc.statuslist import STATUS_INVALID, BitOrder, TokenStatusReference

ISSUER = "https://bac.men.gov.ma"
LIST = f"{ISSUER}/status/tsl/3"
KEY = SigningKey.generate()
KEYS = StaticKeyResolver({ISSUER: [KEY.public]})
NOW = datetime(2026, 7, 20, 9, 0, tzinfo=UTC)
SIGNED = NOW - timedelta(days=10)
DIPLOMA = OfflineDiploma(
    credential_id="urn:uuid:0b4e3c1a-1234-4abc-8def-0123456789ab",
    family_name_ar="العلوي",
    family_name_lat="El Alaoui",
    given_name_ar="فاطمة الزهراء",
    given_name_lat="Fatima Zahra",
    birth_date=date(2008, 2, 29),
    cnie="BE123456",
    stream="SM-A",
    session_year=2026,
    session_type="normale",
    average=Decimal("15.42"),
    mention="bien",
)
POLICY = diploma_policy(trust=diploma_trust_list(ISSUER, version="t1"), holder_binding=HolderBinding(required=False))


def qr(diploma: OfflineDiploma = DIPLOMA, *, key: SigningKey = KEY, index: int = 41) -> str:
    return issue_offline(
        diploma, issuer=ISSUER, key=key, issued_at=SIGNED, status=TokenStatusReference(index=index, uri=LIST)
    )


def status(revoked: tuple[int, ...] = ()) -> StaticStatusResolver:
    token = issue_token_status_list(
        uri=LIST,
        issuer=ISSUER,
        status_list=StatusList.from_entries(
            size=1024, bits=2, order=BitOrder.LSB_FIRST, entries=[(i, STATUS_INVALID) for i in revoked]
        ),
        key=KEY,
        issued_at=NOW - timedelta(hours=1),
    )
    data = verify_status_list_token(token, uri=LIST, keys=KEYS, algorithms=DEFAULT_ALGORITHMS, now=NOW)
    return StaticStatusResolver({LIST: StatusSnapshot(data, fetched_at=NOW - timedelta(minutes=2))})


def checks_of(text: str, **kwargs: object) -> dict[str, tuple[str, str]]:
    arguments: dict[str, object] = {"keys": KEYS, "status": status(), "policy": POLICY, "now": NOW, **kwargs}
    report = verify(text, **arguments)  # type: ignore[arg-type]
    return {str(check.name): (str(check.outcome), check.code) for check in report.checks}


def test_a_genuine_qr_verifies_with_its_status_and_the_subjects_claims() -> None:
    text = qr()
    assert text.startswith(PREFIX)
    assert set(text[len(PREFIX) :]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    report = verify(text, keys=KEYS, status=status(), policy=POLICY, now=NOW)
    assert report.valid, report.problems
    assert report.profile == "tq1"
    assert report.credential_types == (OFFLINE_CREDENTIAL_TYPE,) == (schemas.DIPLOMA_VCT,)
    assert report.check("schema").outcome == "passed"  # the diploma's SD-JWT VC schema accepts its claims
    assert report.claims is not None
    assert report.claims["familyName"] == {"ar": "العلوي", "lat": "El Alaoui"}
    assert report.claims["birthDate"] == "2008-02-29"
    assert report.claims["generalAverage"] == 15.42
    assert report.claims["session"] == {"year": 2026, "type": "normale"}
    assert report.claims["id"] == DIPLOMA.credential_id
    assert report.status[0].index == 41


def test_offline_the_signature_checks_and_the_status_is_said_unknown() -> None:
    report = verify(qr(), keys=KEYS, status=UnavailableStatusResolver("offline"), policy=POLICY, now=NOW)
    assert report.check("signature").outcome == "passed"
    assert report.check("status").outcome == "not_checked"
    assert report.check("status").code == "status.unavailable"
    assert report.verdict == "indeterminate"


def test_a_revoked_diploma_is_refused_when_the_status_is_at_hand() -> None:
    assert checks_of(qr(index=5), status=status(revoked=(5,)))["status"] == ("failed", "status.revoked")


def test_names_outside_windows_1256_are_carried_as_utf8() -> None:
    other = replace(DIPLOMA, family_name_ar="أمڭار", family_name_lat="Amgar Ş")
    assert decode_offline(qr(other)).diploma == other


def _altered(text: str, position: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    body = list(text)
    body[position] = alphabet[(alphabet.index(body[position]) + 1) % 45]
    return "".join(body)


def test_a_forged_qr_signed_by_another_key_is_refused() -> None:
    forged = qr(key=SigningKey.generate())
    assert checks_of(forged)["signature"] == ("failed", "offline.kid_mismatch")


def test_a_wrong_kid_with_a_good_signature_is_refused() -> None:
    claims = cbor2.loads(zlib.decompress(base45.b45decode(qr()[4:]))).value[2]
    message = sign1(claims, key=KEY, kid=b"\x00" * 8)
    text = PREFIX + base45.b45encode(zlib.compress(message))
    checks = checks_of(text)
    assert checks["signature"] == ("failed", "offline.kid_mismatch")


def test_an_altered_qr_never_verifies() -> None:
    text = qr()
    outcomes = set()
    for position in range(len(PREFIX), len(text), 7):
        report = verify(_altered(text, position), keys=KEYS, status=status(), policy=POLICY, now=NOW)
        assert not report.valid
        outcomes.add(report.problems[0].code)
    assert outcomes <= {
        "signature.invalid",
        "offline.compression",
        "offline.base45",
        "offline.kid_mismatch",
        "offline.claims",
        "offline.kid",
        "trust.issuer_untrusted",
        "cbor.malformed",
        "cbor.truncated",
        "cbor.trailing_data",
        "cbor.type_refused",
        "cbor.tag_refused",
        "cbor.indefinite",
        "cose.not_sign1",
        "cose.header_invalid",
        "cose.algorithm",
        "status.entry_invalid",
    }, outcomes


def test_an_untrusted_issuer_is_refused_before_any_key_is_asked_for() -> None:
    trust = diploma_policy(
        trust=diploma_trust_list("https://other.example", version="t"), holder_binding=HolderBinding()
    )
    checks = checks_of(qr(), policy=trust)
    assert checks["issuer_trust"] == ("failed", "trust.issuer_untrusted")
    assert checks["signature"] == ("not_checked", "signature.not_fetched")


def _cut_to_3n_plus_1(text: str) -> str:
    """``text`` cut to a Base45 length no encoder makes (3n + 1), never ending in a space: the reader trims
    surrounding white space, which would leave 3n characters that decode (one signature in about 60 otherwise)."""
    body = text[len(PREFIX) :]
    length = (len(body) - 2) // 3 * 3 + 1
    while body[length - 1] == " ":
        length -= 3
    return PREFIX + body[:length]


def _encoded(payload: bytes) -> str:
    return PREFIX + base45.b45encode(payload)


BAD_TEXTS = {
    "wrong prefix": ("HC1:" + qr()[4:], "offline.prefix"),
    "truncated Base45": (_cut_to_3n_plus_1(qr()), "offline.base45"),
    "cut short": (qr()[: len(PREFIX) + 195], "offline.compression"),
    "lower case": (PREFIX + qr()[4:].lower(), "offline.base45"),
    "not zlib": (_encoded(b"\x00\x01\x02\x03"), "offline.compression"),
    "zlib bomb": (_encoded(zlib.compress(b"\x00" * 1_000_000, 9)), "offline.too_large"),
    "CBOR bomb": (_encoded(zlib.compress(b"\x81" * 3000 + b"\x00", 9)), "cbor.too_deep"),
    "zlib then more": (_encoded(zlib.compress(b"x") + b"yy"), "offline.compression"),
    "not a COSE_Sign1": (_encoded(zlib.compress(dumps([1, 2, 3]))), "cose.not_sign1"),
    "too long": (PREFIX + "0" * 5000, "offline.too_large"),
}


@pytest.mark.parametrize("name", sorted(BAD_TEXTS))
def test_each_bad_text_is_refused_with_its_own_code(name: str) -> None:
    text, code = BAD_TEXTS[name]
    report = verify(text, keys=KEYS, status=status(), policy=POLICY, now=NOW)
    assert report.check("format").outcome == "failed"
    assert report.check("format").code == code, report.check("format").message
    with pytest.raises(FormatError):
        decode_offline(text)


def _signed_claims(claims: dict[int, object], *, kid: bytes | None = None) -> str:
    message = sign1(dumps(claims), key=KEY, kid=kid_of(KEY.public) if kid is None else kid)
    return _encoded(zlib.compress(message))


GOOD_CLAIMS = cbor2.loads(cbor2.loads(zlib.decompress(base45.b45decode(qr()[4:]))).value[2])
BAD_CLAIMS = {
    "no issuer": {k: v for k, v in GOOD_CLAIMS.items() if k != 1},
    "text iat": {**GOOD_CLAIMS, 6: "yesterday"},
    "no status": {k: v for k, v in GOOD_CLAIMS.items() if k != 65535},
    "diploma of ten items": {**GOOD_CLAIMS, -65537: list(GOOD_CLAIMS[-65537])[:10]},
    "mention 5": {**GOOD_CLAIMS, -65537: [*list(GOOD_CLAIMS[-65537])[:10], 5]},
    "session type 3": {**GOOD_CLAIMS, -65537: [*list(GOOD_CLAIMS[-65537])[:8], 20263, 1542, 3]},
}


@pytest.mark.parametrize("name", sorted(BAD_CLAIMS))
def test_signed_but_malformed_claims_are_refused(name: str) -> None:
    with pytest.raises(FormatError) as caught:
        decode_offline(_signed_claims(BAD_CLAIMS[name]))
    assert caught.value.code in ("offline.claims", "status.entry_invalid")


def test_a_qr_without_a_kid_is_refused() -> None:
    message = sign1(dumps(GOOD_CLAIMS), key=KEY, kid=None)
    with pytest.raises(FormatError) as caught:
        decode_offline(_encoded(zlib.compress(message)))
    assert caught.value.code == "offline.kid"


def test_the_inflated_bound_is_above_what_the_ministry_needs() -> None:
    assert len(zlib.decompress(base45.b45decode(qr()[4:]))) < MAX_INFLATED_BYTES // 10


def test_values_without_a_code_cannot_be_issued() -> None:
    with pytest.raises(ConfigurationError) as caught:
        qr(replace(DIPLOMA, average=Decimal("15.425")))
    assert caught.value.code == "offline.average_invalid"
    with pytest.raises(ConfigurationError) as caught:
        qr(replace(DIPLOMA, credential_id="diploma-1"))
    assert caught.value.code == "offline.id_invalid"
    with pytest.raises(ConfigurationError) as caught:
        qr(replace(DIPLOMA, mention="excellent"))
    assert caught.value.code == "offline.code_invalid"


def test_repr_shows_no_personal_data() -> None:
    assert "Fatima" not in repr(DIPLOMA)
    assert "BE123456" not in repr(DIPLOMA)
    assert ALG == 1
    assert KID == 4


def test_the_key_is_found_by_its_short_kid_when_two_are_active() -> None:
    from keys import KeyEntry, KeyHistory, KeyHistoryResolver

    older, newer = SigningKey.generate(), SigningKey.generate()
    history = KeyHistory(
        (
            KeyEntry(key=older.public, not_before=SIGNED - timedelta(days=400)),
            KeyEntry(key=newer.public, not_before=SIGNED - timedelta(days=1)),  # created without retiring the other
        )
    )
    keys = KeyHistoryResolver({ISSUER: history})
    for signer in (older, newer):
        assert checks_of(qr(key=signer), keys=keys)["signature"] == ("passed", "signature.ok")
    assert checks_of(qr(key=SigningKey.generate()), keys=keys)["signature"] == ("failed", "offline.kid_mismatch")
    # Signed before the newer key's window: only the older key may have signed it.
    early = issue_offline(
        DIPLOMA,
        issuer=ISSUER,
        key=newer,
        issued_at=SIGNED - timedelta(days=30),
        status=TokenStatusReference(index=1, uri=LIST),
    )
    assert checks_of(early, keys=keys)["signature"] == ("failed", "offline.kid_mismatch")


class _OnlyResolve:
    """A resolver that cannot list its keys: the engine takes the one key valid at the time and checks the kid."""

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> object:
        return KEYS.resolve(issuer=issuer, kid=kid, algorithm=algorithm, signed_at=signed_at)


def test_a_resolver_that_cannot_list_its_keys_still_checks_the_kid() -> None:
    assert checks_of(qr(), keys=_OnlyResolve())["signature"] == ("passed", "signature.ok")
    assert checks_of(qr(key=SigningKey.generate()), keys=_OnlyResolve())["signature"] == (
        "failed",
        "offline.kid_mismatch",
    )
