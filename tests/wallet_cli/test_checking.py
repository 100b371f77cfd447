"""The wallet's check of a copy against a standard SD-JWT VC issuer (a plain RFC 7517 key set), through the shared
reader and the in-memory fake fetcher: the same answers as the verifier's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

import schemas
from keys import KeyHistoryResolver
from tests.common.fake_fetcher import FakeFetcher
from vc import BitOrder, Profile, SigningKey, StatusList, Verdict, issue, issue_token_status_list
from vc.report import CheckName
from wallet_cli import checking
from wallet_cli.errors import NetworkError
from wallet_cli.net import Http

ISSUER = "https://diplomas.example.org"
STATUS = f"{ISSUER}/status/1"


def publish(fake: FakeFetcher, key: SigningKey, now: datetime, **members: Any) -> None:
    """The issuer's metadata with ``key`` as RFC 7517 requires it (plus ``members``), and its status list."""
    jwk = {name: key.public.jwk[name] for name in ("kty", "crv", "x", "y")} | members
    fake.json(f"{ISSUER}/.well-known/jwt-vc-issuer", {"issuer": ISSUER, "jwks": {"keys": [jwk]}})
    bits = StatusList.from_entries(size=1024, bits=2, order=BitOrder.LSB_FIRST, entries=[])
    token = issue_token_status_list(
        uri=STATUS, issuer=ISSUER, status_list=bits, key=key, issued_at=now, expires_at=now + timedelta(days=1)
    )
    fake.text(STATUS, token, content_type="application/statuslist+jwt")


def copy(key: SigningKey, holder: SigningKey, now: datetime) -> str:
    claims = schemas.sd_jwt_vc_claims(schemas.sample_subject(), issuer=ISSUER, status_index=7, status_uri=STATUS)
    return issue(
        claims,
        key=key,
        issued_at=now,
        profile=Profile.DC_SD_JWT,
        disclosable=schemas.SD_JWT_VC_DISCLOSABLE,
        holder=holder.public,
    )


def check(fake: FakeFetcher, credential: str, holder: SigningKey, now: datetime) -> Any:
    http = Http(fetcher=fake)
    keys = KeyHistoryResolver({ISSUER: checking.fetch_key_history(http, ISSUER)})
    status = checking.HttpStatusResolver(http, issuer=ISSUER, keys=keys, now=now)
    return checking.check_copy(credential, holder, issuer=ISSUER, keys=keys, status=status, now=now)


def test_a_copy_from_an_issuer_with_a_plain_key_set_is_valid(now: datetime) -> None:
    key, holder, fake = SigningKey.generate(kid="issuer-2026"), SigningKey.generate(), FakeFetcher()
    publish(fake, key, now, kid="issuer-2026")
    report = check(fake, copy(key, holder, now), holder, now)
    assert report.verdict is Verdict.VALID, report.checks
    assert report.check(CheckName.STATUS).code == "status.ok"


def test_a_key_published_for_encryption_is_refused(now: datetime) -> None:
    key, holder, fake = SigningKey.generate(kid="enc"), SigningKey.generate(), FakeFetcher()
    publish(fake, key, now, kid="enc", use="enc")
    report = check(fake, copy(key, holder, now), holder, now)
    assert report.verdict is Verdict.INVALID
    assert report.check(CheckName.SIGNATURE).code == "key.unusable"


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"issuer": ISSUER, "jwks": {"keys": []}, "jwks_uri": f"{ISSUER}/jwks"}, "key.metadata_invalid"),
        ({"issuer": ISSUER, "jwks_uri": "https://cdn.example/jwks"}, "key.metadata_invalid"),
    ],
)
def test_metadata_the_verifier_refuses_the_wallet_refuses(metadata: dict[str, Any], code: str) -> None:
    fake = FakeFetcher()
    fake.json(f"{ISSUER}/.well-known/jwt-vc-issuer", metadata)
    with pytest.raises(NetworkError) as caught:
        checking.fetch_key_history(Http(fetcher=fake), ISSUER)
    assert caught.value.code == code
