"""OpenID4VCI pre-authorized code flow, in process: the happy path in both profiles and every refusal."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlmodel import col

import schemas
from issuer.db import reading
from issuer.errors import OAuthError
from issuer.keyring import Keyring
from issuer.models import CredentialCopy
from issuer.oid4vci import (
    DC_SD_JWT_CONFIGURATION,
    PRE_AUTHORIZED_GRANT,
    VC_SD_JWT_CONFIGURATION,
    CredentialRequest,
    OfferCreated,
    TokenRequest,
    issue_credentials,
    new_nonce,
    redeem,
)
from issuer.secrets import IssuerSecrets, load_secrets
from issuer.settings import Settings
from keys import InMemoryKeyStore
from tests.issuer.conftest import ISSUER, Clock, Cohort, OfferFactory
from tests.issuer.verifying import verify_copy
from tests.issuer.wallet import Wallet, make_proof
from vc import SigningKey, Verdict
from vc.encoding import b64url_decode, json_loads


def _payload(credential: str) -> dict[str, Any]:
    value = json_loads(b64url_decode(credential.split("~")[0].split(".")[1]))
    assert isinstance(value, dict)
    return value


def _redeemed(client: TestClient, make_offer: OfferFactory, cnie: str) -> Wallet:
    offer = make_offer(cnie)
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    assert wallet.redeem(document, offer.tx_code).status_code == 200
    return wallet


@pytest.mark.parametrize("configuration", [VC_SD_JWT_CONFIGURATION, DC_SD_JWT_CONFIGURATION])
def test_wallet_redeems_an_offer_and_gets_bound_copies_that_verify(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock, configuration: str
) -> None:
    offer = make_offer(cohort.cnies[0])
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    assert document["credential_issuer"] == ISSUER
    assert set(document["credential_configuration_ids"]) == {VC_SD_JWT_CONFIGURATION, DC_SD_JWT_CONFIGURATION}
    tx_code = document["grants"][PRE_AUTHORIZED_GRANT]["tx_code"]
    assert tx_code["input_mode"] == "numeric"
    assert tx_code["length"] == 6
    token = wallet.redeem(document, offer.tx_code)
    assert token.status_code == 200
    assert token.headers["cache-control"] == "no-store"

    response = wallet.request_credentials(configuration, count=3, now=clock())
    assert response.status_code == 200, response.text
    credentials = [item["credential"] for item in response.json()["credentials"]]
    assert len(credentials) == 3
    for credential, key in zip(credentials, wallet.keys, strict=True):
        payload = _payload(credential)
        assert payload["cnf"]["jwk"]["x"] == key.public.jwk["x"]
        report = verify_copy(client, credential, holder=key, issuer=ISSUER, now=clock(), relative_to=ISSUER)
        assert report.verdict is Verdict.VALID, [check for check in report.checks if check.outcome != "passed"]
    if configuration == DC_SD_JWT_CONFIGURATION:
        indexes = {_payload(credential)["status"]["status_list"]["idx"] for credential in credentials}
        assert _payload(credentials[0])["vct"] == schemas.DIPLOMA_VCT
    else:
        indexes = {_payload(credential)["credentialStatus"][0]["statusListIndex"] for credential in credentials}
        assert {_payload(credential)["issuer"] for credential in credentials} == {ISSUER}
    assert len(indexes) == 3, "every copy has its own status index"


def test_one_token_obtains_both_profiles_until_its_copies_are_used_up(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[1])
    assert wallet.request_credentials(VC_SD_JWT_CONFIGURATION, count=10, now=clock()).status_code == 200
    assert wallet.request_credentials(DC_SD_JWT_CONFIGURATION, count=10, now=clock()).status_code == 200
    refused = wallet.request_credentials(DC_SD_JWT_CONFIGURATION, count=1, now=clock())
    assert refused.status_code == 400
    assert refused.json()["error"] == "credential_request_denied"


def test_token_endpoint_refusals_are_oauth_errors(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    offer = make_offer(cohort.cnies[2])
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]

    def token(form: dict[str, str], **options: Any) -> Any:
        return client.post("/token", data=form, **options)

    missing_pin = token({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code})
    assert (missing_pin.status_code, missing_pin.json()["error"]) == (400, "invalid_request")
    assert missing_pin.headers["cache-control"] == "no-store"
    assert token({"grant_type": "authorization_code", "code": "x"}).json()["error"] == "unsupported_grant_type"
    assert token({"pre-authorized_code": code}).json()["error"] == "invalid_request"
    assert (
        token({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "nope", "tx_code": "1"}).json()["error"]
        == "invalid_grant"
    )
    as_json = client.post("/token", json={"grant_type": PRE_AUTHORIZED_GRANT})
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    repeated = client.post(
        "/token",
        content=f"grant_type={PRE_AUTHORIZED_GRANT}&grant_type={PRE_AUTHORIZED_GRANT}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.json()["error"] == "invalid_request"

    good = token({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer.tx_code})
    assert good.status_code == 200
    reused = token({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer.tx_code})
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert "already been used" in reused.json()["error_description"]
    gone = client.get(wallet_offer_path(offer.offer_uri))
    assert gone.status_code == 410


def wallet_offer_path(offer_uri: str) -> str:
    from tests.issuer.wallet import offer_url, path_of

    return path_of(offer_url(offer_uri), ISSUER)


def test_wrong_pins_are_limited_then_the_offer_locks(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory
) -> None:
    offer = make_offer(cohort.cnies[3])
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    for attempt in range(1, 6):
        response = wallet.redeem(document, wrong)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert ("locked" in response.json()["error_description"]) is (attempt == 5)
    assert wallet.redeem(document, offer.tx_code).json()["error"] == "invalid_grant", "the right PIN no longer helps"
    assert client.get(wallet_offer_path(offer.offer_uri)).status_code == 410


def test_codes_are_short_lived(client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock) -> None:
    offer = make_offer(cohort.cnies[4])
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    clock.advance(seconds=1801)
    expired = wallet.redeem(document, offer.tx_code)
    assert expired.json() == {"error": "invalid_grant", "error_description": expired.json()["error_description"]}
    assert "expired" in expired.json()["error_description"]
    assert client.get(wallet_offer_path(offer.offer_uri)).status_code == 410


def test_offers_and_tokens_of_revoked_diplomas_are_refused(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock, engine: Any
) -> None:
    from issuer.db import writing
    from issuer.records import resolve
    from issuer.status import StatusAction, change_status

    wallet = _redeemed(client, make_offer, cohort.cnies[5])
    with writing(engine) as db:
        diploma = resolve(db, cohort.cnies[5])
        change_status(
            db, diploma_id=diploma.id, action=StatusAction.SUSPEND, reason="review", actor="test", now=clock()
        )
    denied = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, now=clock())
    assert (denied.status_code, denied.json()["error"]) == (400, "credential_request_denied")


def test_unknown_unrequested_and_malformed_credential_requests(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[6])
    headers = {"Authorization": f"Bearer {wallet.access_token}"}
    key = SigningKey.generate()
    proof = make_proof(key, audience=ISSUER, nonce=wallet.nonce(), issued_at=clock())

    def post(body: Any, **options: Any) -> Any:
        return client.post("/credential", json=body, headers=options.pop("headers", headers), **options)

    cases = [
        (
            {"credential_configuration_id": "Diploma_mso_mdoc", "proofs": {"jwt": [proof]}},
            "unknown_credential_configuration",
        ),
        ({"credential_identifier": "x", "proofs": {"jwt": [proof]}}, "unknown_credential_identifier"),
        ({"proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        (
            {
                "credential_configuration_id": VC_SD_JWT_CONFIGURATION,
                "credential_identifier": "x",
                "proofs": {"jwt": [proof]},
            },
            "invalid_credential_request",
        ),
        ({"credential_configuration_id": VC_SD_JWT_CONFIGURATION}, "invalid_proof"),
        (
            {"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proof": {"proof_type": "jwt", "jwt": proof}},
            "invalid_proof",
        ),
        ({"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"di_vp": [{}]}}, "invalid_proof"),
        ({"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": []}}, "invalid_proof"),
        ({"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof] * 11}}, "invalid_proof"),
        (
            {
                "credential_configuration_id": VC_SD_JWT_CONFIGURATION,
                "proofs": {"jwt": [proof]},
                "credential_response_encryption": {},
            },
            "invalid_encryption_parameters",
        ),
        ([1, 2], "invalid_credential_request"),
    ]
    for body, error in cases:
        response = post(body)
        assert (response.status_code, response.json()["error"]) == (400, error), (body, response.text)
    missing = post({"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof]}}, headers={})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    unknown = post(
        {"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof]}},
        headers={"Authorization": "Bearer nope"},
    )
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_token")
    not_json = client.post("/credential", content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert not_json.json()["error"] == "invalid_credential_request"
    clock.advance(seconds=301)
    expired = post({"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof]}})
    assert (expired.status_code, expired.json()["error"]) == (401, "invalid_token")


def _proof_cases(clock: Clock, nonce: str) -> list[tuple[str, str, str]]:
    """(name, proof, expected error) for every way a proof can be wrong."""
    key = SigningKey.generate()
    now = clock()
    other = SigningKey.generate()

    def forged() -> str:
        good = make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now)
        header, payload, _ = good.split(".")
        return f"{header}.{payload}.{make_proof(other, audience=ISSUER, nonce=nonce, issued_at=now).split('.')[2]}"

    private_jwk = {**{k: v for k, v in key.public.jwk.items() if k != "kid"}, "d": "AAAA"}
    return [
        (
            "wrong audience",
            make_proof(key, audience="https://evil.example", nonce=nonce, issued_at=now),
            "invalid_proof",
        ),
        (
            "no audience",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, claims={"aud": None}),
            "invalid_proof",
        ),
        (
            "old iat",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now - timedelta(minutes=7)),
            "invalid_proof",
        ),
        (
            "future iat",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now + timedelta(minutes=5)),
            "invalid_proof",
        ),
        ("no iat", make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, claims={"iat": None}), "invalid_proof"),
        ("no nonce", make_proof(key, audience=ISSUER, nonce=None, issued_at=now), "invalid_proof"),
        ("foreign nonce", make_proof(key, audience=ISSUER, nonce="AAAA.BBBB", issued_at=now), "invalid_nonce"),
        ("padded nonce", make_proof(key, audience=ISSUER, nonce=nonce + "=", issued_at=now), "invalid_nonce"),
        ("nonce not base64url", make_proof(key, audience=ISSUER, nonce="AA+A.BB/B", issued_at=now), "invalid_nonce"),
        (
            "wrong typ",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"typ": "JWT"}),
            "invalid_proof",
        ),
        (
            "alg none",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"alg": "none"}),
            "invalid_proof",
        ),
        (
            "alg HS256",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"alg": "HS256"}),
            "invalid_proof",
        ),
        (
            "alg does not fit key",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"alg": "ES384"}),
            "invalid_proof",
        ),
        (
            "kid instead of jwk",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"jwk": None, "kid": "k1"}),
            "invalid_proof",
        ),
        (
            "kid and jwk",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"kid": "k1"}),
            "invalid_proof",
        ),
        (
            "x5c",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"jwk": None, "x5c": ["MII"]}),
            "invalid_proof",
        ),
        (
            "private key in header",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"jwk": private_jwk}),
            "invalid_proof",
        ),
        ("forged signature", forged(), "invalid_proof"),
        ("not a JWT", "not-a-jwt", "invalid_proof"),
        (
            "crit header",
            make_proof(key, audience=ISSUER, nonce=nonce, issued_at=now, header={"crit": ["x"]}),
            "invalid_proof",
        ),
    ]


def test_every_bad_proof_is_refused_with_its_error(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[7])
    for name, proof, error in _proof_cases(clock, wallet.nonce()):
        response = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, proofs=[proof], now=clock())
        assert response.status_code == 400, name
        assert response.json()["error"] == error, (name, response.json())
        assert response.json()["error_description"].isascii()


@pytest.mark.parametrize(
    ("configuration", "algorithm", "public_members"),
    [
        (VC_SD_JWT_CONFIGURATION, "ES256", {"kty", "crv", "x", "y"}),
        (DC_SD_JWT_CONFIGURATION, "ES256", {"kty", "crv", "x", "y"}),
        (DC_SD_JWT_CONFIGURATION, "EdDSA", {"kty", "crv", "x"}),
    ],
)
def test_the_signed_cnf_jwk_holds_only_the_public_members_of_the_proof_key(
    client: TestClient,
    cohort: Cohort,
    make_offer: OfferFactory,
    clock: Clock,
    configuration: str,
    algorithm: str,
    public_members: set[str],
) -> None:
    """Members a wallet adds to its proof ``jwk`` never reach the ministry-signed ``cnf.jwk``."""
    wallet = _redeemed(client, make_offer, cohort.cnies[9])
    key = SigningKey.generate(algorithm)
    extras = {"x-evil": "<script>alert(1)</script>", "kid": "attacker-chosen", "alg": key.algorithm, "use": "sig"}
    jwk = {**{name: value for name, value in key.public.jwk.items() if name != "kid"}, **extras, "ext": True}
    proof = make_proof(key, audience=ISSUER, nonce=wallet.nonce(), issued_at=clock(), header={"jwk": jwk})
    response = wallet.request_credentials(configuration, proofs=[proof], now=clock())
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    cnf_jwk = _payload(credential)["cnf"]["jwk"]
    assert set(cnf_jwk) == public_members
    assert cnf_jwk == {name: key.public.jwk[name] for name in public_members}
    report = verify_copy(client, credential, holder=key, issuer=ISSUER, now=clock(), relative_to=ISSUER)
    assert report.verdict is Verdict.VALID


@pytest.mark.parametrize("member", ["d", "p", "k"])
def test_a_proof_jwk_with_private_members_is_refused(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock, member: str
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[10])
    key = SigningKey.generate()
    jwk = {**{name: value for name, value in key.public.jwk.items() if name != "kid"}, member: "AAAA"}
    proof = make_proof(key, audience=ISSUER, nonce=wallet.nonce(), issued_at=clock(), header={"jwk": jwk})
    response = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, proofs=[proof], now=clock())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_proof"
    description = response.json()["error_description"]
    assert f"private key members ['{member}']" in description
    assert "send only the public key" in description


def test_key_types_follow_the_configured_algorithms(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[8])
    for algorithm in ("ES256", "ES384", "EdDSA"):
        response = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, now=clock(), algorithm=algorithm)
        assert response.status_code == 200, (algorithm, response.text)


def test_nonces_are_single_use_and_expire(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[9])
    nonce = wallet.nonce()
    first = make_proof(SigningKey.generate(), audience=ISSUER, nonce=nonce, issued_at=clock())
    assert wallet.request_credentials(VC_SD_JWT_CONFIGURATION, proofs=[first], now=clock()).status_code == 200
    again = make_proof(SigningKey.generate(), audience=ISSUER, nonce=nonce, issued_at=clock())
    replay = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, proofs=[again], now=clock())
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_nonce")

    stale = wallet.nonce()
    clock.advance(seconds=301)
    fresh_wallet = _redeemed(client, make_offer, cohort.cnies[0])  # the first token has expired too
    late = make_proof(SigningKey.generate(), audience=ISSUER, nonce=stale, issued_at=clock())
    expired = fresh_wallet.request_credentials(VC_SD_JWT_CONFIGURATION, proofs=[late], now=clock())
    assert (expired.status_code, expired.json()["error"]) == (400, "invalid_nonce")
    assert "expired" in expired.json()["error_description"]


def test_a_batch_must_prove_different_keys(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[10])
    key, nonce = SigningKey.generate(), wallet.nonce()
    proofs = [make_proof(key, audience=ISSUER, nonce=nonce, issued_at=clock()) for _ in range(2)]
    response = wallet.request_credentials(VC_SD_JWT_CONFIGURATION, proofs=proofs, now=clock())
    assert response.json()["error"] == "invalid_proof"


def test_authorization_details_give_credential_identifiers(
    client: TestClient, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    import json

    offer = make_offer(cohort.cnies[11])
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    details = [{"type": "openid_credential", "credential_configuration_id": DC_SD_JWT_CONFIGURATION}]
    response = client.post(
        "/token",
        data={
            "grant_type": PRE_AUTHORIZED_GRANT,
            "pre-authorized_code": document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"],
            "tx_code": offer.tx_code,
            "authorization_details": json.dumps(details),
        },
    )
    assert response.status_code == 200
    granted = response.json()["authorization_details"]
    assert granted[0]["credential_identifiers"] == [DC_SD_JWT_CONFIGURATION]
    key = SigningKey.generate()
    proof = make_proof(key, audience=ISSUER, nonce=wallet.nonce(), issued_at=clock())
    issued = client.post(
        "/credential",
        json={"credential_identifier": DC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
    )
    assert issued.status_code == 200, issued.text
    other = client.post(
        "/credential",
        json={"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
    )
    assert other.json()["error"] == "invalid_credential_request", "the token covers only what was asked"


def test_each_copy_is_recorded_with_its_holder_and_its_own_status_slot(
    client: TestClient, engine: Engine, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet = _redeemed(client, make_offer, cohort.cnies[0])
    response = wallet.request_credentials(DC_SD_JWT_CONFIGURATION, count=2, now=clock())
    assert response.status_code == 200, response.text
    credentials = [item["credential"] for item in response.json()["credentials"]]
    with reading(engine) as db:
        copies = db.execute(
            select(CredentialCopy).where(col(CredentialCopy.channel) == "oid4vci").order_by(col(CredentialCopy.idx))
        ).scalars()
        recorded = {copy.holder_thumbprint: copy for copy in copies}
        slots = {
            tuple(row[:2]): tuple(row[2:])
            for row in db.execute(
                text("SELECT shard, idx, diploma_id, copy_id FROM status_slot WHERE copy_id IS NOT NULL")
            )
        }
    assert set(recorded) == {key.public.thumbprint() for key in wallet.keys}
    for credential, key in zip(credentials, wallet.keys, strict=True):
        copy = recorded[key.public.thumbprint()]
        status = _payload(credential)["status"]["status_list"]
        assert (copy.profile, copy.issued_at, copy.actor[:13]) == ("dc+sd-jwt", clock(), "wallet:offer:")
        assert status["idx"] == copy.idx
        assert status["uri"].endswith(f"/status/tsl/{copy.shard}")
        assert copy.issuer_kid == json_loads(b64url_decode(credential.split(".")[0]))["kid"]
        assert slots[(copy.shard, copy.idx)] == (copy.diploma_id, copy.id)
    assert len(slots) == 2


def test_redemptions_of_one_code_at_once_give_one_token(
    engine: Engine, settings: Settings, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    secrets, request = _token_request(engine, make_offer(cohort.cnies[0]))

    def attempt(_: int) -> str:
        try:
            redeem(engine, request=request, settings=settings, secrets=secrets, now=clock())
        except OAuthError as exc:
            return exc.error
        return "granted"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(attempt, range(4)))
    assert outcomes == ["granted", "invalid_grant", "invalid_grant", "invalid_grant"]
    with reading(engine) as db:
        assert db.execute(text("SELECT COUNT(*) FROM access_token")).scalar_one() == 1


def test_credential_requests_of_one_token_at_once_never_exceed_its_copies(
    engine: Engine, settings: Settings, store: InMemoryKeyStore, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    secrets, request = _token_request(engine, make_offer(cohort.cnies[0]))
    token = redeem(engine, request=request, settings=settings, secrets=secrets, now=clock())["access_token"]
    batch = settings.batch_size  # 3 batches fit in the token's copies (20 by default) only twice

    def attempt(_: int) -> str:
        nonce = new_nonce(secrets=secrets, settings=settings, now=clock())
        proofs = tuple(
            make_proof(SigningKey.generate(), audience=ISSUER, nonce=nonce, issued_at=clock()) for _ in range(batch)
        )
        wanted = CredentialRequest(configuration_id=DC_SD_JWT_CONFIGURATION, identifier=None, proofs=proofs)
        try:
            issue_credentials(
                engine,
                access_token=token,
                request=wanted,
                settings=settings,
                secrets=secrets,
                keyring=Keyring(store),
                now=clock(),
            )
        except OAuthError as exc:
            return exc.error
        return "issued"

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = sorted(pool.map(attempt, range(3)))
    assert outcomes == ["credential_request_denied", "issued", "issued"]
    with reading(engine) as db:
        assert db.execute(text("SELECT copies_issued FROM access_token")).scalar_one() == 2 * batch
        assert db.execute(text("SELECT COUNT(*) FROM credential_copy")).scalar_one() == 2 * batch


def _token_request(engine: Engine, offer: OfferCreated) -> tuple[IssuerSecrets, TokenRequest]:
    """The issuer's secrets and the token request a wallet makes for ``offer`` (its code and PIN)."""
    with reading(engine) as db:
        secrets = load_secrets(db)
    offer_id = unquote(offer.credential_offer_uri).rsplit("/", 1)[1]
    return secrets, TokenRequest(code=secrets.offer_code(offer_id), tx_code=offer.tx_code, authorization_details=None)
