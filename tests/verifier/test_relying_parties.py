"""Protected claims (CNIE, birth date and place, Massar code) are asked for only by an authenticated relying party,
whose name the wallet is shown; the operator registers and revokes relying parties with `tawtiq verifier rp`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.verifier.conftest import relying_party_token
from tests.verifier.wallet import fetch_request_object


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("claims", "named"),
    [(["familyName", "cnie"], ["cnie"]), (["birthDate", "mention", "massarCode", "birthPlace"], None)],
)
def test_an_anonymous_request_for_protected_claims_is_refused(client, claims, named):
    response = client.post("/oid4vp/requests", json={"claims": claims})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "request.protected_claims"
    protected = named or ["birthDate", "massarCode", "birthPlace"]
    assert problem["detail"].startswith(f"only an authenticated relying party may ask for {', '.join(protected)}; ")
    assert "Authorization: Bearer <token>" in problem["detail"]


def test_an_anonymous_request_for_the_default_claims_is_served(client):
    created = client.post("/oid4vp/requests", json={"claims": ["familyName", "givenName", "mention"]})
    assert created.status_code == 201
    request_object = fetch_request_object(client, created.json()["authorization_request"])
    assert "client_name" not in request_object["client_metadata"]


def test_a_relying_party_may_ask_for_them_and_its_name_goes_to_the_wallet(client):
    token = relying_party_token(client, "Université Mohammed V")
    created = client.post(
        "/oid4vp/requests", json={"claims": ["familyName", "cnie", "birthDate"]}, headers=bearer(token)
    )
    assert created.status_code == 201, created.text
    request_object = fetch_request_object(client, created.json()["authorization_request"])
    assert request_object["client_metadata"]["client_name"] == "Université Mohammed V"
    asked = [query["path"][0] for query in request_object["dcql_query"]["credentials"][0]["claims"]]
    assert asked == ["familyName", "cnie", "birthDate"]


@pytest.mark.parametrize("authorization", ["Bearer tawtiq_rp_unknown", "Basic dXNlcjpwdw==", "Bearer "])
def test_an_unknown_token_is_refused(client, authorization):
    response = client.post("/oid4vp/requests", json={"claims": ["cnie"]}, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["code"] == "request.rp_token_invalid"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(client):
    services = client.app.state.services
    party, token = services.relying_parties.add(name="Employeur")
    assert client.post("/oid4vp/requests", json={"claims": ["cnie"]}, headers=bearer(token)).status_code == 201
    services.relying_parties.revoke(party.id)
    refused = client.post("/oid4vp/requests", json={"claims": ["cnie"]}, headers=bearer(token))
    assert refused.status_code == 401
    assert "unknown or revoked" in refused.json()["detail"]


def test_tokens_are_stored_as_digests_only(client):
    from sqlmodel import select

    from verifier.models import RelyingPartyRow

    token = relying_party_token(client)
    with client.app.state.services.database.session() as session:
        rows = session.exec(select(RelyingPartyRow)).all()
    assert len(rows) == 1
    assert token not in json.dumps([row.model_dump(mode="json") for row in rows])


def test_the_page_asks_only_for_the_default_claims(client):
    page = client.get("/?lang=en").text
    assert 'value="familyName"' in page
    assert 'value="cnie"' not in page
    assert 'value="birthDate"' not in page
    refused = client.post("/oid4vp/start?lang=en", data={"claims": ["familyName", "cnie"], "lang": "en"})
    assert refused.status_code == 403
    assert "Only a registered institution may ask for personal data." in refused.text


def test_the_operator_adds_lists_and_revokes_relying_parties(make_settings, monkeypatch):
    from tawtiq.cli import app

    settings = make_settings()
    for name, value in {
        "TAWTIQ_VERIFIER_ENVIRONMENT": "development",
        "TAWTIQ_VERIFIER_DATABASE_URL": settings.database_url,
        "TAWTIQ_VERIFIER_TRUST_LIST": settings.trust_list,
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    added = runner.invoke(app, ["verifier", "rp", "add", "--name", "Université  Mohammed V", "--json"])
    assert added.exit_code == 0, added.output
    party = json.loads(added.stdout)
    assert party["name"] == "Université Mohammed V"
    assert party["token"].startswith("tawtiq_rp_")
    listed = json.loads(runner.invoke(app, ["verifier", "rp", "list", "--json"]).stdout)["relying_parties"]
    assert [p["id"] for p in listed] == [party["id"]]
    assert "token" not in listed[0]
    revoked = runner.invoke(app, ["verifier", "rp", "revoke", party["id"], "--json"])
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    unknown = runner.invoke(app, ["verifier", "rp", "revoke", "nope"])
    assert unknown.exit_code == 1
    assert "rp.unknown" in unknown.stderr
    empty = runner.invoke(app, ["verifier", "rp", "add", "--name", "  "])
    assert empty.exit_code == 1
    assert "rp.name_invalid" in empty.stderr
