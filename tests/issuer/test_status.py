"""Status registry and publication: random never-reused indexes, one registry behind both list formats."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from issuer.app import create_app
from issuer.db import reading, writing
from issuer.errors import ConflictError
from issuer.keyring import Keyring
from issuer.oid4vci import DC_SD_JWT_CONFIGURATION, VC_SD_JWT_CONFIGURATION
from issuer.permutation import IndexPermutation
from issuer.records import resolve
from issuer.settings import Settings, load_settings
from issuer.status import ListKind, Slot, StatusAction, allocate, change_status
from tests.issuer.conftest import ISSUER, Clock, Cohort, OfferFactory, environment
from tests.issuer.verifying import fetch_list, key_resolver, verify_copy
from tests.issuer.wallet import Wallet
from vc import Verdict
from vc.encoding import b64url_decode, json_loads


def test_the_permutation_is_a_bijection_that_hides_order() -> None:
    for size in (2, 3, 1000, 4096):
        permutation = IndexPermutation(key=os.urandom(32), size=size)
        assert sorted(permutation(i) for i in range(size)) == list(range(size))
    permutation = IndexPermutation(key=os.urandom(32), size=131_072)
    first = [permutation(i) for i in range(64)]
    assert first != sorted(first)
    assert max(first) - min(first) > 65_536, "consecutive allocations spread over the list"
    with pytest.raises(ValueError, match="outside"):
        permutation(131_072)
    with pytest.raises(ValueError, match="128 bits"):
        IndexPermutation(key=b"short", size=10)


def test_allocation_opens_shards_as_they_fill(engine: Engine, settings: Settings, clock: Clock) -> None:
    with writing(engine) as db:
        slots = allocate(db, 131_072 + 10, settings=settings, now=clock())
    assert len(set(slots)) == 131_082
    assert {slot.shard for slot in slots} == {1, 2}
    assert sorted(slot.index for slot in slots if slot.shard == 1) == list(range(131_072))
    with reading(engine) as db:
        assert [tuple(row) for row in db.execute(text("SELECT id, allocated FROM status_shard ORDER BY id"))] == [
            (1, 131_072),
            (2, 10),
        ]


def test_allocation_across_a_shard_boundary_takes_the_rest_then_the_next_shard(
    engine: Engine, settings: Settings, clock: Clock
) -> None:
    with writing(engine) as db:
        first = allocate(db, 131_072 - 1, settings=settings, now=clock())
    with writing(engine) as db:
        across = allocate(db, 3, settings=settings, now=clock())
    with writing(engine) as db:
        after = allocate(db, 2, settings=settings, now=clock())
    assert [slot.shard for slot in across] == [1, 2, 2]
    assert [slot.shard for slot in after] == [2, 2]
    assert len(set(first + across + after)) == 131_072 + 4
    assert sorted(slot.index for slot in first + across if slot.shard == 1) == list(range(131_072))
    with reading(engine) as db:
        assert [tuple(row) for row in db.execute(text("SELECT id, allocated FROM status_shard ORDER BY id"))] == [
            (1, 131_072),
            (2, 4),
        ]


def test_allocators_running_at_once_never_share_an_index(engine: Engine, settings: Settings, clock: Clock) -> None:
    def allocations(_: int) -> list[Slot]:
        taken: list[Slot] = []
        for _ in range(15):
            with writing(engine) as db:
                taken += allocate(db, 2, settings=settings, now=clock())
        return taken

    with ThreadPoolExecutor(max_workers=4) as pool:
        slots = [slot for taken in pool.map(allocations, range(4)) for slot in taken]
    assert len(slots) == len(set(slots)) == 4 * 15 * 2
    with reading(engine) as db:
        assert db.execute(text("SELECT allocated FROM status_shard WHERE id = 1")).scalar_one() == 120


def _issue(client: TestClient, make_offer: OfferFactory, cnie: str, clock: Clock) -> tuple[Wallet, list[str]]:
    offer = make_offer(cnie)
    wallet = Wallet(client, relative_to=ISSUER)
    document = wallet.fetch_offer(offer.offer_uri)
    assert wallet.redeem(document, offer.tx_code).status_code == 200
    credentials: list[str] = []
    for configuration, count in ((VC_SD_JWT_CONFIGURATION, 2), (DC_SD_JWT_CONFIGURATION, 2)):
        response = wallet.request_credentials(configuration, count=count, now=clock())
        assert response.status_code == 200, response.text
        credentials += [item["credential"] for item in response.json()["credentials"]]
    return wallet, credentials


def _indexes(credential: str) -> tuple[str, int]:
    payload = json_loads(b64url_decode(credential.split("~")[0].split(".")[1]))
    if "credentialStatus" in payload:
        entries = payload["credentialStatus"]
        assert [entry["statusPurpose"] for entry in entries] == ["revocation", "suspension"]
        assert entries[0]["statusListIndex"] == entries[1]["statusListIndex"]
        return "w3c", int(entries[0]["statusListIndex"])
    return "tsl", int(payload["status"]["status_list"]["idx"])


def test_revocation_reaches_every_copy_in_both_list_formats(
    client: TestClient, engine: Engine, cohort: Cohort, make_offer: OfferFactory, clock: Clock
) -> None:
    wallet, credentials = _issue(client, make_offer, cohort.cnies[0], clock)
    _, bystander = _issue(client, make_offer, cohort.cnies[1], clock)
    keys = key_resolver(client, ISSUER, relative_to=ISSUER)
    urls = {
        "revocation": f"{ISSUER}/status/bitstring/revocation-1",
        "suspension": f"{ISSUER}/status/bitstring/suspension-1",
        "tsl": f"{ISSUER}/status/tsl/1",
    }

    def published() -> dict[str, dict[int, int]]:
        return {
            name: dict(fetch_list(client, url, keys=keys, now=clock(), relative_to=ISSUER).status_list.nonzero())
            for name, url in urls.items()
        }

    assert published() == {"revocation": {}, "suspension": {}, "tsl": {}}
    with writing(engine) as db:
        diploma = resolve(db, cohort.cnies[0])
        record_index = db.execute(
            text("SELECT idx FROM status_slot WHERE diploma_id = :d AND copy_id IS NULL"), {"d": diploma.id}
        ).scalar_one()
        change = change_status(
            db, diploma_id=diploma.id, action=StatusAction.SUSPEND, reason="board review", actor="test", now=clock()
        )
    assert change.copies == 4
    mine = [_indexes(credential) for credential in credentials]
    w3c = {index for kind, index in mine if kind == "w3c"} | {record_index}
    tsl = {index for kind, index in mine if kind == "tsl"} | {record_index}
    lists = published()
    assert set(lists["suspension"]) == w3c | tsl, "one registry: every slot of the diploma, in every list"
    assert lists["revocation"] == {}
    assert lists["tsl"] == dict.fromkeys(w3c | tsl, 2)
    report = verify_copy(client, credentials[0], holder=wallet.keys[0], issuer=ISSUER, now=clock(), relative_to=ISSUER)
    assert report.verdict is Verdict.INVALID

    with writing(engine) as db:
        change_status(
            db, diploma_id=diploma.id, action=StatusAction.REINSTATE, reason="cleared", actor="test", now=clock()
        )
    assert published() == {"revocation": {}, "suspension": {}, "tsl": {}}
    with writing(engine) as db:
        change_status(db, diploma_id=diploma.id, action=StatusAction.REVOKE, reason="fraud", actor="test", now=clock())
    lists = published()
    assert set(lists["revocation"]) == w3c | tsl
    assert lists["tsl"] == dict.fromkeys(w3c | tsl, 1)
    others = {_indexes(credential)[1] for credential in bystander}
    assert not others & set(lists["tsl"]), "other diplomas stay valid"
    for credential, key in zip(credentials, wallet.keys, strict=True):
        report = verify_copy(client, credential, holder=key, issuer=ISSUER, now=clock(), relative_to=ISSUER)
        assert report.verdict is Verdict.INVALID
        assert any(check.code.startswith("status.") and check.outcome == "failed" for check in report.checks)
    with writing(engine) as db, pytest.raises(ConflictError, match="final"):
        change_status(
            db, diploma_id=diploma.id, action=StatusAction.REINSTATE, reason="oops", actor="test", now=clock()
        )
    with writing(engine) as db:
        again = change_status(
            db, diploma_id=diploma.id, action=StatusAction.REVOKE, reason="twice", actor="test", now=clock()
        )
    assert not again.changed


def test_lists_are_cacheable_with_etags_and_expire(
    client: TestClient, cohort: Cohort, engine: Engine, clock: Clock
) -> None:
    first = client.get("/status/tsl/1")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/statuslist+jwt"
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert client.get("/status/tsl/1").text == first.text, "the same bytes while nothing changes"
    not_modified = client.get("/status/tsl/1", headers={"If-None-Match": f'"other", {etag}'})
    assert (not_modified.status_code, not_modified.content, not_modified.headers["etag"]) == (304, b"", etag)
    assert client.get("/status/tsl/1", headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/status/tsl/1", headers={"If-None-Match": '"other"'}).status_code == 200
    bitstring = client.get("/status/bitstring/revocation-1")
    assert bitstring.headers["content-type"] == "application/vc+jwt"
    payload = json_loads(b64url_decode(bitstring.text.split(".")[1]))
    assert payload["id"] == f"{ISSUER}/status/bitstring/revocation-1"
    assert payload["credentialSubject"]["ttl"] == 60_000
    assert "validUntil" in payload
    tsl = json_loads(b64url_decode(first.text.split(".")[1]))
    assert (tsl["sub"], tsl["ttl"], tsl["exp"] - tsl["iat"]) == (f"{ISSUER}/status/tsl/1", 60, 86_400)

    _change_status(engine, cohort.cnies[2], StatusAction.REVOKE, clock)
    changed = client.get("/status/tsl/1", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    clock.advance(hours=13)
    refreshed = client.get("/status/tsl/1")
    assert json_loads(b64url_decode(refreshed.text.split(".")[1]))["iat"] > tsl["iat"], "re-signed before it expires"


def test_head_and_revalidation_answer_from_the_current_version(
    client: TestClient, cohort: Cohort, engine: Engine, clock: Clock
) -> None:
    first = client.get("/status/tsl/1")
    head = client.head("/status/tsl/1")
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", first.headers["etag"])
    assert client.head("/status/bitstring/suspension-1").status_code == 200
    assert client.head("/status/tsl/1", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert client.head("/status/tsl/99").status_code == 404
    # as another process would: only the shard's version row tells
    _change_status(engine, cohort.cnies[2], StatusAction.SUSPEND, clock)
    changed = client.head("/status/tsl/1", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]
    assert client.get("/status/tsl/1").headers["etag"] == changed.headers["etag"]


def test_a_changed_ttl_setting_re_signs_the_stored_lists(
    client: TestClient,
    cohort: Cohort,
    engine: Engine,
    keyring: Keyring,
    clock: Clock,
    tmp_path: Path,
    database_url: str,
) -> None:
    def signed_ttls(response_tsl: str, response_bitstring: str) -> tuple[object, object]:
        tsl = json_loads(b64url_decode(response_tsl.split(".")[1]))
        bitstring = json_loads(b64url_decode(response_bitstring.split(".")[1]))
        return tsl["ttl"], bitstring["credentialSubject"]["ttl"]

    before = (client.get("/status/tsl/1").text, client.get("/status/bitstring/revocation-1").text)
    assert signed_ttls(*before) == (60, 60_000)
    clock.advance(minutes=1)
    shorter = load_settings(environment(tmp_path, database_url, TAWTIQ_STATUS_TTL_SECONDS="20"))
    with TestClient(create_app(shorter, engine=engine, keyring=keyring, clock=clock), base_url=ISSUER) as restarted:
        tsl = restarted.get("/status/tsl/1")
        bitstring = restarted.get("/status/bitstring/revocation-1")
    assert tsl.headers["cache-control"] == "public, max-age=20"
    assert signed_ttls(tsl.text, bitstring.text) == (20, 20_000), "re-signed with the new ttl, not kept for 12 hours"
    assert (tsl.text, bitstring.text) != before
    same = create_app(shorter, engine=engine, keyring=keyring, clock=clock)
    with TestClient(same, base_url=ISSUER) as again:
        assert again.get("/status/tsl/1").text == tsl.text, "an unchanged setting keeps the stored list"


@pytest.mark.parametrize(
    "path",
    [
        "/status/tsl/2",
        "/status/tsl/0",
        "/status/tsl/x",
        "/status/bitstring/revocation-9",
        "/status/bitstring/other-1",
        "/status/bitstring/1",
    ],
)
def test_unknown_lists_are_404(client: TestClient, cohort: Cohort, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] in ("status.list_unknown", "request.not_found")


def test_the_publisher_holds_a_document_only_while_it_is_the_shards_current_one(
    app: FastAPI, client: TestClient, cohort: Cohort, engine: Engine, clock: Clock
) -> None:
    publisher = app.state.services.publisher
    assert publisher.held(shard=1, kind=ListKind.TOKEN, now=clock()) is None, "nothing signed or loaded yet"
    served = client.get("/status/tsl/1")
    held = publisher.held(shard=1, kind=ListKind.TOKEN, now=clock())
    assert held is not None
    assert held.etag == served.headers["etag"]
    assert publisher.held(shard=1, kind=ListKind.REVOCATION, now=clock()) is None, "another list of the shard"
    assert publisher.held(shard=99, kind=ListKind.TOKEN, now=clock()) is None
    clock.advance(hours=13)
    assert publisher.held(shard=1, kind=ListKind.TOKEN, now=clock()) is None, "past half its validity: re-signed"
    client.get("/status/tsl/1")
    assert publisher.held(shard=1, kind=ListKind.TOKEN, now=clock()) is not None
    # another process revokes: only the shard's version row tells
    _change_status(engine, cohort.cnies[3], StatusAction.REVOKE, clock)
    assert publisher.held(shard=1, kind=ListKind.TOKEN, now=clock()) is None
    changed = client.get("/status/tsl/1", headers={"If-None-Match": served.headers["etag"]})
    assert changed.status_code == 200
    held = publisher.held(shard=1, kind=ListKind.TOKEN, now=clock())
    assert held is not None
    assert held.etag == changed.headers["etag"]


def _change_status(engine: Engine, cnie: str, action: StatusAction, clock: Clock) -> None:
    """Change the status of ``cnie``'s diploma directly in the database, as another process would."""
    with writing(engine) as db:
        change_status(db, diploma_id=resolve(db, cnie).id, action=action, reason="x", actor="test", now=clock())
