"""A stolen signing key makes no valid diploma: forgeries backdated before the declared compromise are refused, the
honest copies it signed are revoked and re-issued exactly once, and the re-issued copy (new key) verifies."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import col

import schemas
from common.diploma import diploma_contexts
from issuer.db import reading, writing
from issuer.models import KeyReissue, StatusSlot
from issuer.oid4vci import VC_SD_JWT_CONFIGURATION
from issuer.reissue import plan, reissue
from issuer.secrets import load_secrets
from issuer.settings import Settings
from keys import InMemoryKeyStore
from tests.issuer.conftest import ISSUER, Clock, Cohort, OfferFactory
from tests.issuer.verifying import fetch_list, key_resolver, verify_copy
from tests.issuer.wallet import Wallet
from vc import Profile, SigningKey, Verdict, issue
from vc.encoding import b64url_decode, json_loads
from vc.jose import Signer


def _copy(client: TestClient, offer_uri: str, tx_code: str, clock: Clock) -> tuple[str, SigningKey]:
    wallet = Wallet(client, relative_to=ISSUER)
    assert wallet.redeem(wallet.fetch_offer(offer_uri), tx_code).status_code == 200
    response = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, count=1, now=clock())
    assert response.status_code == 200, response.text
    return response.json()["credentials"][0]["credential"], wallet.keys[0]


def _header(credential: str) -> dict[str, Any]:
    value = json_loads(b64url_decode(credential.split(".")[0]))
    assert isinstance(value, dict)
    return value


def _payload(credential: str) -> dict[str, Any]:
    value = json_loads(b64url_decode(credential.split("~")[0].split(".")[1]))
    assert isinstance(value, dict)
    return value


def _forged(key: Signer, holder: SigningKey, clock: Clock, status: list[schemas.BitstringEntry]) -> str:
    """What a thief holding the old key signs: a diploma backdated to a day before the declared compromise."""
    credential = schemas.w3c_credential(
        schemas.sample_subject(), issuer=ISSUER, credential_id=f"urn:uuid:{uuid.uuid4()}", status=status
    )
    return issue(
        credential,
        key=key,
        issued_at=clock() - timedelta(days=1),
        profile=Profile.VC_SD_JWT,
        contexts=diploma_contexts(),
        disclosable=schemas.W3C_DISCLOSABLE,
        holder=holder.public,
    )


def _signature(report: Any) -> tuple[str, str]:
    [check] = [check for check in report.checks if check.name == "signature"]
    return check.code, check.message


def test_a_stolen_key_makes_no_valid_diploma_and_the_honest_copies_are_reissued(
    client: TestClient,
    cohort: Cohort,
    make_offer: OfferFactory,
    clock: Clock,
    store: InMemoryKeyStore,
    engine: Engine,
    settings: Settings,
) -> None:
    # A real copy, signed by key A.
    first = make_offer(cohort.cnies[0])
    honest, holder = _copy(client, first.offer_uri, first.tx_code, clock)
    old_kid = _header(honest)["kid"]
    stolen = store.signing_key(at=clock())
    assert stolen.kid == old_kid
    assert verify_copy(client, honest, holder=holder, issuer=ISSUER, now=clock(), relative_to=ISSUER).valid

    # The runbook: rotate to key B, then declare A compromised from a moment T.
    clock.advance(hours=1)
    new_kid = store.rotate(at=clock()).kid
    store.compromise(old_kid, at=clock())

    # The command's re-issue, in the same run as the compromise: every list is signed again by B.
    with reading(engine) as db:
        touched = plan(db, kid=old_kid)
    assert (touched.records, touched.copies, touched.already_reissued) == (1, 1, 0)
    with writing(engine) as db:
        notices = reissue(
            db, kid=old_kid, settings=settings, secrets=load_secrets(db), actor="test", now=clock(), reason="leak"
        )
    [notice] = notices
    assert notice.masked_cnie == schemas.mask_identifier(cohort.cnies[0])
    assert notice.offer_uri.startswith("openid-credential-offer://")
    assert notice.tx_code.isdigit()
    with writing(engine) as db:
        again = reissue(
            db, kid=old_kid, settings=settings, secrets=load_secrets(db), actor="test", now=clock(), reason="leak"
        )
        rows = db.execute(select(KeyReissue)).scalars().all()
    assert again == [], "a second run makes no second offer"
    assert [(row.kid, row.diploma_id, row.copies) for row in rows] == [(old_kid, notice.credential_id, 1)]

    # (a) Forgeries signed with A, 'iat' a day before T: without a status reference, and on a real unrevoked slot.
    with reading(engine) as db:
        shard, index = db.execute(
            select(col(StatusSlot.shard), col(StatusSlot.idx)).where(col(StatusSlot.copy_id).is_(None)).limit(1)
        ).one()
    real_slot = [
        schemas.BitstringEntry("revocation", f"{ISSUER}/status/bitstring/revocation-{shard}", index),
        schemas.BitstringEntry("suspension", f"{ISSUER}/status/bitstring/suspension-{shard}", index),
    ]
    thief = SigningKey.generate()
    for forged in (_forged(stolen, thief, clock, []), _forged(stolen, thief, clock, real_slot)):
        report = verify_copy(client, forged, holder=thief, issuer=ISSUER, now=clock(), relative_to=ISSUER)
        assert report.verdict is Verdict.INVALID
        code, message = _signature(report)
        assert code == "key.compromised"
        assert "declared this key compromised on" in message

    # (b) The honest copy fails too, for the same reason; the issuer re-issues the diploma.
    report = verify_copy(client, honest, holder=holder, issuer=ISSUER, now=clock(), relative_to=ISSUER)
    assert report.verdict is Verdict.INVALID
    assert "re-issues the diplomas it signed" in _signature(report)[1]

    # The honest copy is revoked on its own in both list formats (the record stays active).
    copy_status = _payload(honest)["credentialStatus"][0]
    keys = key_resolver(client, ISSUER, relative_to=ISSUER)
    revocations = fetch_list(client, copy_status["statusListCredential"], keys=keys, now=clock(), relative_to=ISSUER)
    assert revocations.status_list.get(int(copy_status["statusListIndex"])) == 1

    # The graduate's new offer gives a copy signed by key B, which verifies.
    reissued, new_holder = _copy(client, notice.offer_uri, notice.tx_code, clock)
    assert _header(reissued)["kid"] == new_kid
    report = verify_copy(client, reissued, holder=new_holder, issuer=ISSUER, now=clock(), relative_to=ISSUER)
    assert report.verdict is Verdict.VALID, [check for check in report.checks if check.outcome != "passed"]
