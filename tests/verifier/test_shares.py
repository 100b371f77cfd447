"""Share links: nonce, creation, live viewing (page and JSON), withdrawal, expiry, bounds, rate limit, privacy.

Storage matters here, so the tests that exercise it run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from vc import SigningKey, present
from verifier.models import ShareNonceRow, ShareRow

AUDIENCE = "https://verify.test.example/shares"
SHOWN = [("credentialSubject", name) for name in ("familyName", "givenName", "stream", "session", "mention")]


@pytest.fixture
def db_client(make_client, database_url):
    return make_client(database_url=database_url)


def share_presentation(client, credential: str, holder: SigningKey, now: datetime, **overrides: object) -> str:
    """Ask for a nonce and present for the share audience (``overrides``: disclose, audience, nonce, signed_at)."""
    nonce = client.post("/shares/nonce")
    assert nonce.status_code == 200, nonce.text
    issued = nonce.json()
    assert issued["audience"] == AUDIENCE
    assert issued["expires_in"] == 300
    return present(
        credential,
        disclose=overrides.pop("disclose", SHOWN),
        key=holder,
        audience=overrides.pop("audience", issued["audience"]),
        nonce=overrides.pop("nonce", issued["nonce"]),
        now=overrides.pop("signed_at", now),
    )


def create(client, presentation: str, **body):
    return client.post("/shares", json={"presentation": presentation, **body})


def test_a_share_link_verifies_live_as_json_and_as_a_page(db_client, issuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    response = create(db_client, share_presentation(db_client, diploma.token, holder, clock.now()), expires_in=86400)
    assert response.status_code == 201, response.text
    share = response.json()
    assert share["verdict"] == "valid"
    assert share["url"] == f"https://verify.test.example/s/{share['id']}"
    assert len(share["id"]) == 16
    assert response.headers["location"] == share["url"]
    assert share["expires_at"] == "2026-07-02T12:00:00+00:00"

    clock.advance(days=3 / 24)  # hours later: the KB-JWT is old now, and that is expected for a share
    as_json = db_client.get(f"/s/{share['id']}", headers={"Accept": "application/json"})
    assert as_json.status_code == 200
    answer = as_json.json()
    assert answer["verdict"] == "valid", answer["problemDetails"]
    assert answer["share"]["created_at"] == "2026-07-01T12:00:00+00:00"
    assert set(answer["report"]["disclosed"]) == {".".join(path) for path in SHOWN}

    page = db_client.get(f"/s/{share['id']}?lang=fr")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Valide" in page.text
    assert "EL ALAOUI" in page.text


def test_the_status_is_checked_again_at_each_view(client, issuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    share = create(client, share_presentation(client, diploma.token, holder, clock.now())).json()
    issuer.revoke(diploma)
    clock.advance(minutes=6)
    answer = client.get(f"/s/{share['id']}", headers={"Accept": "application/json"}).json()
    assert answer["verdict"] == "invalid"
    status = next(c for c in answer["report"]["checks"] if c["check"] == "status")
    assert status["code"] == "status.revoked"


def test_a_withdrawn_link_is_gone_and_its_data_erased(db_client, issuer, holder, clock):
    share = create(db_client, share_presentation(db_client, issuer.issue_w3c(holder).token, holder, clock.now())).json()
    url = f"/shares/{share['id']}"
    unauthenticated = db_client.delete(url)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
    assert db_client.delete(url, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert db_client.get(f"/s/{share['id']}", headers={"Accept": "application/json"}).status_code == 200
    assert db_client.delete(url, headers={"Authorization": f"Bearer {share['revoke_token']}"}).status_code == 204
    assert db_client.delete(url, headers={"Authorization": f"Bearer {share['revoke_token']}"}).status_code == 204

    gone = db_client.get(f"/s/{share['id']}", headers={"Accept": "application/json"})
    assert gone.status_code == 410
    assert gone.json()["code"] == "share.revoked"
    page = db_client.get(f"/s/{share['id']}?lang=en")
    assert page.status_code == 410
    assert "This link is no longer available" in page.text
    assert "Its holder withdrew it." in page.text
    assert db_client.get(f"/s/{share['id']}/qr.png").status_code == 410
    with db_client.app.state.services.database.session() as session:
        (row,) = session.exec(select(ShareRow)).all()
    assert row.sealed is None
    assert share["revoke_token"] not in row.revoke_hash


def test_an_expired_link_is_gone(db_client, issuer, holder, clock):
    share = create(
        db_client, share_presentation(db_client, issuer.issue_w3c(holder).token, holder, clock.now()), expires_in=3600
    ).json()
    clock.advance(seconds=3600)
    gone = db_client.get(f"/s/{share['id']}", headers={"Accept": "application/json"})
    assert gone.status_code == 410
    assert gone.json()["code"] == "share.expired"
    page = db_client.get(f"/s/{share['id']}")
    assert page.status_code == 410
    assert 'lang="ar"' in page.text
    assert "انتهت مدة صلاحية الرابط." in page.text
    assert db_client.get("/s/AAAAAAAAAAAAAAAA", headers={"Accept": "application/json"}).status_code == 404


def test_a_nonce_is_single_use_and_short_lived(db_client, issuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    presentation = share_presentation(db_client, diploma.token, holder, clock.now())
    assert create(db_client, presentation).status_code == 201
    again = create(db_client, presentation)
    assert again.status_code == 400
    assert again.json()["code"] == "share.nonce_invalid"

    late = share_presentation(db_client, diploma.token, holder, clock.now())
    clock.advance(seconds=301)
    refused = create(db_client, late)
    assert refused.status_code == 400
    assert refused.json()["code"] == "share.nonce_invalid"

    invented = share_presentation(db_client, diploma.token, holder, clock.now(), nonce="made-up")
    assert create(db_client, invented).json()["code"] == "share.nonce_invalid"
    assert create(db_client, diploma.token).json()["code"] == "share.nonce_missing"


def test_presentations_for_another_audience_or_too_old_are_refused(client, issuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    elsewhere = share_presentation(
        client, diploma.token, holder, clock.now(), audience="redirect_uri:https://verify.test.example/oid4vp/response"
    )
    refused = create(client, elsewhere)
    assert refused.status_code == 422
    assert refused.json()["code"] == "share.presentation_invalid"
    assert "holder_binding:holder_binding.aud" in refused.json()["detail"]

    old = share_presentation(client, diploma.token, holder, clock.now(), signed_at=clock.now().replace(hour=11))
    assert "holder_binding.iat_too_old" in create(client, old).json()["detail"]


def test_a_revoked_diploma_cannot_be_shared(client, issuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    issuer.revoke(diploma)
    refused = create(client, share_presentation(client, diploma.token, holder, clock.now()))
    assert refused.status_code == 422
    assert "status:status.revoked" in refused.json()["detail"]


def test_a_share_cannot_be_made_when_the_issuer_is_unreachable(client, issuer, holder, clock):
    diploma = issuer.issue_w3c(holder)
    issuer.stop()
    refused = create(client, share_presentation(client, diploma.token, holder, clock.now()))
    assert refused.status_code == 503
    assert refused.json()["code"] == "share.cannot_verify_now"


@pytest.mark.parametrize("expires_in", [60, 91 * 24 * 3600, -1])
def test_the_lifetime_is_bounded(client, issuer, holder, clock, expires_in):
    presentation = share_presentation(client, issuer.issue_w3c(holder).token, holder, clock.now())
    refused = create(client, presentation, expires_in=expires_in)
    assert refused.status_code == 400
    assert refused.json()["code"] == "share.expiry_out_of_bounds"


def test_creation_is_rate_limited_per_client_across_replicas(make_client, database_url, issuer, holder, clock):
    first = make_client(database_url=database_url, share_rate_limit=3)
    second = make_client(
        database_url=database_url,
        share_rate_limit=3,
        secret_key=first.app.state.services.settings.secret_key.get_secret_value(),
    )
    assert first.post("/shares/nonce").status_code == 200
    assert first.post("/shares/nonce").status_code == 200
    assert second.post("/shares/nonce").status_code == 200
    limited = second.post("/shares/nonce")
    assert limited.status_code == 429
    assert limited.json()["code"] == "request.rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    clock.advance(hours=1)
    assert first.post("/shares/nonce").status_code == 200


def test_the_presentation_is_sealed_at_rest_and_erased_at_expiry(db_client, issuer, holder, clock):
    disclose = [*SHOWN, ("credentialSubject", "cnie")]
    presentation = share_presentation(db_client, issuer.issue_w3c(holder).token, holder, clock.now(), disclose=disclose)
    share = create(db_client, presentation, expires_in=3600).json()
    services = db_client.app.state.services
    with services.database.session() as session:
        (row,) = session.exec(select(ShareRow)).all()
        nonces = session.exec(select(ShareNonceRow)).all()
    assert row.id_hash != share["id"]
    assert row.sealed is not None
    assert presentation.encode() not in row.sealed
    assert b"BE123456" not in row.sealed
    assert all(nonce.used_at is not None for nonce in nonces)

    clock.advance(hours=2)
    assert services.purge()["shares"] == 0  # the row stays (to answer "gone"), its data does not
    with services.database.session() as session:
        (row,) = session.exec(select(ShareRow)).all()
        assert session.exec(select(ShareNonceRow)).all() == []
    assert row.sealed is None
    clock.advance(days=91)
    assert services.purge()["shares"] == 1


def test_the_qr_code_of_a_link(client, issuer, holder, clock):
    import io

    import zxingcpp
    from PIL import Image

    share = create(client, share_presentation(client, issuer.issue_w3c(holder).token, holder, clock.now())).json()
    png = client.get(share["qr"]["png"])
    assert [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [share["url"]]
