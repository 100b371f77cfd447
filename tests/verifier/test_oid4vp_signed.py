"""OpenID4VP with an access certificate: signed Request Objects under the x509_hash and x509_san_dns prefixes, by
reference (GET and request_uri_method=post with wallet_nonce) and by value, and the configuration's refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from keys.x509 import VERIFIER_ACCESS, certificate_hash, chain_from_x5c, validate_chain
from tests.keys.pki import Pki, make_pki
from tests.verifier.wallet import authorization_parameters, post_response, presentation_for, relative
from vc.encoding import b64url_decode
from vc.errors import ConfigurationError
from vc.jose import PublicKey, parse_compact
from verifier.settings import Settings

PASSPHRASE = "correct horse battery staple verifier"
HOST = "verify.test.example"
ASKED = ["familyName", "givenName", "mention"]


@pytest.fixture
def pki(now) -> Pki:
    return make_pki(now, host=HOST)


@pytest.fixture
def certificate_dir(pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "access-certificate"
    pki.verifier.save(directory, passphrase=PASSPHRASE.encode())
    monkeypatch.setenv("TAWTIQ_VERIFIER_KEY_PASSPHRASE", PASSPHRASE)
    return directory


@pytest.fixture(params=["x509_hash", "x509_san_dns"])
def signed_client(request: pytest.FixtureRequest, make_client, certificate_dir: Path):
    return make_client(oid4vp_certificate_dir=certificate_dir, oid4vp_client_id_prefix=request.param)


def verified_request_object(token: str, pki: Pki, now) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the JWS as a wallet would (chain, signature with the leaf's key) and return header and payload."""
    jws = parse_compact(token, what="request object")
    assert jws.header["typ"] == "oauth-authz-req+jwt"
    assert jws.header["alg"] == "ES256"
    assert "kid" not in jws.header
    chain = chain_from_x5c(jws.header["x5c"])
    assert pki.ca.certificate not in chain  # the trust anchor is never sent
    validate_chain(chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=now, dns_name=HOST)
    public = chain[0].public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    PublicKey.from_key(public).verify(algorithm="ES256", message=jws.signing_input, signature=jws.signature)
    return jws.header, json.loads(jws.payload)


def start(client, claims=ASKED) -> dict[str, Any]:
    response = client.post("/oid4vp/requests", json={"claims": claims})
    assert response.status_code == 201, response.text
    return response.json()


def test_the_client_id_and_the_link(signed_client, pki: Pki) -> None:
    created = start(signed_client)
    parameters = authorization_parameters(created["authorization_request"])
    expected = {
        "x509_hash": f"x509_hash:{certificate_hash(pki.verifier.certificate)}",
        "x509_san_dns": f"x509_san_dns:{HOST}",
    }
    assert created["client_id"] in expected.values()
    assert parameters == {
        "client_id": created["client_id"],
        "request_uri": created["request_uri"],
        "request_uri_method": "post",
    }


def test_a_signed_request_by_reference_with_get(signed_client, pki: Pki, clock) -> None:
    created = start(signed_client)
    response = signed_client.get(relative(created["request_uri"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/oauth-authz-req+jwt"
    _header, payload = verified_request_object(response.text, pki, clock.now())
    assert payload["client_id"] == created["client_id"]
    assert payload["response_uri"] == f"https://{HOST}/oid4vp/response"
    assert "wallet_nonce" not in payload
    assert signed_client.get(created["status_uri"]).json()["status"] == "retrieved"


def test_request_uri_method_post_echoes_the_wallet_nonce(signed_client, pki: Pki, clock) -> None:
    created = start(signed_client)
    metadata = {
        "request_object_signing_alg_values_supported": ["ES256"],
        "client_id_prefixes_supported": ["x509_hash", "x509_san_dns", "redirect_uri"],
        "vp_formats_supported": {"dc+sd-jwt": {}},
    }
    response = signed_client.post(
        relative(created["request_uri"]),
        data={"wallet_metadata": json.dumps(metadata), "wallet_nonce": "n-0S6_WzA2Mj"},
    )
    assert response.status_code == 200, response.text
    _header, payload = verified_request_object(response.text, pki, clock.now())
    assert payload["wallet_nonce"] == "n-0S6_WzA2Mj"
    # Every retrieval is signed afresh with the nonce of its own POST.
    again = signed_client.post(relative(created["request_uri"]), data={"wallet_nonce": "another-nonce"})
    assert verified_request_object(again.text, pki, clock.now())[1]["wallet_nonce"] == "another-nonce"


def test_wallet_metadata_members_sent_as_fields_of_their_own_are_ignored(signed_client, pki: Pki, clock) -> None:
    """As @openid4vc/openid4vp 0.4.6 sends them: each member of its metadata as a form field, no wallet_nonce."""
    created = start(signed_client)
    form = {f"member_{index}": json.dumps({"value": index}) for index in range(40)}
    response = signed_client.post(relative(created["request_uri"]), data=form)
    assert response.status_code == 200, response.text
    assert "wallet_nonce" not in verified_request_object(response.text, pki, clock.now())[1]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"wallet_metadata": "{not json"}, "wallet_metadata"),
        ({"wallet_metadata": "[1]"}, "JSON object"),
        ({"wallet_metadata": json.dumps({"request_object_signing_alg_values_supported": ["EdDSA"]})}, "ES256"),
        ({"wallet_metadata": json.dumps({"client_id_prefixes_supported": ["did"]})}, "prefix"),
        ({"wallet_nonce": "x" * 300}, "wallet_nonce"),
    ],
)
def test_wallet_metadata_the_verifier_cannot_satisfy_is_refused(signed_client, form, message) -> None:
    created = start(signed_client)
    response = signed_client.post(relative(created["request_uri"]), data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert message in response.json()["error_description"]


def test_a_signed_request_by_value(signed_client, pki: Pki, clock) -> None:
    created = start(signed_client)
    parameters = authorization_parameters(created["authorization_request_by_value"])
    assert set(parameters) == {"client_id", "request"}
    _header, payload = verified_request_object(parameters["request"], pki, clock.now())
    assert payload["client_id"] == parameters["client_id"] == created["client_id"]
    assert signed_client.get(created["status_uri"]).json()["status"] == "pending"


def test_an_answer_to_a_signed_request_is_verified(signed_client, pki: Pki, issuer, holder, clock) -> None:
    created = start(signed_client)
    token = signed_client.get(relative(created["request_uri"])).text
    _header, payload = verified_request_object(token, pki, clock.now())
    presentation = presentation_for(
        payload, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    response = post_response(signed_client, payload, presentation)
    assert response.status_code == 200, response.text
    state = signed_client.get(created["status_uri"]).json()
    assert state["verdict"] == "valid", state["problemDetails"]
    # A KB-JWT addressed to the unsigned identity of the same verifier is not for this request.
    other = start(signed_client)
    _h, other_payload = verified_request_object(
        signed_client.get(relative(other["request_uri"])).text, pki, clock.now()
    )
    wrong = presentation_for(
        other_payload,
        credential=issuer.issue_sd_jwt_vc(holder).token,
        holder=holder,
        now=clock.now(),
        audience=f"redirect_uri:https://{HOST}/oid4vp/response",
    )
    assert post_response(signed_client, other_payload, wrong).status_code == 200
    assert signed_client.get(other["status_uri"]).json()["verdict"] == "invalid"


def test_the_outcome_is_gone_after_the_result_window(signed_client, pki: Pki, issuer, holder, clock) -> None:
    created = start(signed_client)
    payload = verified_request_object(signed_client.get(relative(created["request_uri"])).text, pki, clock.now())[1]
    presentation = presentation_for(
        payload, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    redirect_uri = post_response(signed_client, payload, presentation).json()["redirect_uri"]
    clock.advance(seconds=901)
    gone = signed_client.get(relative(redirect_uri), headers={"Accept": "application/json"})
    assert gone.status_code == 410
    assert gone.json()["code"] == "oid4vp.result_gone"


# -- Configuration ---------------------------------------------------------------------------------------------


def test_a_certificate_for_another_host_stops_the_service(make_client, now, tmp_path, monkeypatch) -> None:
    other = make_pki(now, host="elsewhere.example")
    other.verifier.save(tmp_path / "cert", passphrase=PASSPHRASE.encode())
    monkeypatch.setenv("TAWTIQ_VERIFIER_KEY_PASSPHRASE", PASSPHRASE)
    with pytest.raises(ConfigurationError) as refused:
        make_client(oid4vp_certificate_dir=tmp_path / "cert")
    assert refused.value.code == "oid4vp.certificate_host"
    assert refused.value.found == ["elsewhere.example"]


def test_a_missing_passphrase_stops_the_service(make_client, certificate_dir, monkeypatch) -> None:
    monkeypatch.delenv("TAWTIQ_VERIFIER_KEY_PASSPHRASE")
    with pytest.raises(ConfigurationError) as refused:
        make_client(oid4vp_certificate_dir=certificate_dir)
    assert refused.value.code == "key.passphrase_missing"
    assert "TAWTIQ_VERIFIER_KEY_PASSPHRASE" in str(refused.value)


def test_prefixes_that_contradict_the_certificate_setting_are_refused(tmp_path) -> None:
    with pytest.raises(ValidationError, match="OID4VP_CERTIFICATE_DIR"):
        Settings(trust_list="t.json", environment="development", oid4vp_client_id_prefix="x509_hash")
    with pytest.raises(ValidationError, match="unsigned"):
        Settings(
            trust_list="t.json",
            environment="development",
            oid4vp_certificate_dir=tmp_path,
            oid4vp_client_id_prefix="redirect_uri",
        )
    assert Settings(trust_list="t.json", environment="development", oid4vp_certificate_dir=tmp_path).oid4vp_prefix == (
        "x509_hash"
    )


def test_without_a_certificate_requests_stay_unsigned(client) -> None:
    created = start(client)
    assert created["client_id"] == f"redirect_uri:https://{HOST}/oid4vp/response"
    assert created["authorization_request_by_value"] is None
    assert "request_uri_method" not in authorization_parameters(created["authorization_request"])
    token = client.get(relative(created["request_uri"])).text
    assert json.loads(b64url_decode(token.split(".")[0])) == {"alg": "none", "typ": "oauth-authz-req+jwt"}


def test_an_expired_certificate_stops_the_service(make_client, certificate_dir, pki: Pki, clock) -> None:
    clock.set(pki.verifier.certificate.not_valid_after_utc + timedelta(seconds=1))
    with pytest.raises(ConfigurationError) as refused:
        make_client(oid4vp_certificate_dir=certificate_dir)
    assert refused.value.code == "oid4vp.certificate_expired"
