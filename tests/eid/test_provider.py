"""The development eID provider over real HTTP: discovery, keys, the login page and its refusals, the token endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from eid.app import create_app
from eid.errors import DevelopmentModeRequiredError
from eid.settings import Settings
from tests.eid.live import (
    OTHER_CALLBACK,
    PORTAL_CALLBACK,
    PORTAL_SECRET,
    RunningEid,
    open_login,
    running_eid,
    submit,
    write_files,
)
from vc.errors import ConfigurationError


@pytest.fixture
def eid(tmp_path: Path) -> Iterator[RunningEid]:
    with running_eid(tmp_path) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(eid: RunningEid, **overrides: str | None) -> str:
    _, challenge = pkce()
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "portal",
        "redirect_uri": PORTAL_CALLBACK,
        "scope": "openid",
        "state": "s-123",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return f"{eid.base}/authorize?{urlencode({k: v for k, v in params.items() if v is not None})}"


def code_for(eid: RunningEid, browser: httpx.Client, *, challenge: str, nonce: str = "n-456") -> str:
    form = open_login(browser, authorize_url(eid, code_challenge=challenge, nonce=nonce))
    answer = submit(browser, eid.base, form, cnie="BE123456", pin="123456")
    assert answer.status_code == 303
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))["code"]


# ---------------------------------------------------------------------------------------------- discovery and keys


def test_discovery_names_the_endpoints_and_what_is_supported(eid: RunningEid) -> None:
    document = httpx.get(eid.discovery_url).json()
    assert document["issuer"] == eid.base
    assert document["authorization_endpoint"] == f"{eid.base}/authorize"
    assert document["token_endpoint"] == f"{eid.base}/token"
    assert document["jwks_uri"] == f"{eid.base}/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert document["acr_values_supported"] == ["urn:tawtiq:eid:loa:substantial", "urn:tawtiq:eid:loa:high"]
    assert {"cnie", "family_name#ar", "given_name#ar", "birthdate"} <= set(document["claims_supported"])


def test_the_signing_key_is_made_once_private_and_published(tmp_path: Path) -> None:
    with running_eid(tmp_path) as eid:
        first = httpx.get(f"{eid.base}/jwks").json()["keys"]
        assert httpx.get(f"{eid.base}/health/ready").json() == {"status": "ok", "checks": {"signing_key": "ok"}}
    key_file = eid.data_dir / "signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert eid.data_dir.stat().st_mode & 0o777 == 0o700
    assert "d" not in first[0]
    assert first[0]["alg"] == "ES256"
    assert first[0]["crv"] == "P-256"
    with running_eid(tmp_path) as again:
        assert httpx.get(f"{again.base}/jwks").json()["keys"] == first


def test_the_signing_key_can_be_encrypted_with_a_passphrase_file(tmp_path: Path) -> None:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse battery staple of the eID\n", encoding="utf-8")
    with running_eid(tmp_path, key_passphrase_file=passphrase) as eid:
        assert httpx.get(f"{eid.base}/jwks").status_code == 200
    assert b"ENCRYPTED PRIVATE KEY" in (eid.data_dir / "signing-key.pem").read_bytes()
    passphrase.write_text("another passphrase that is long enough 42\n", encoding="utf-8")
    identities, clients = write_files(tmp_path)
    settings = Settings(
        development=True,
        data_dir=eid.data_dir,
        identities_file=identities,
        clients_file=clients,
        key_passphrase_file=passphrase,
    )
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings)
    assert caught.value.code == "eid.key_unreadable"


# ---------------------------------------------------------------------------------------------- development only


def test_the_provider_refuses_to_start_without_development_mode(tmp_path: Path) -> None:
    identities, clients = write_files(tmp_path)
    settings = Settings(identities_file=identities, clients_file=clients, data_dir=tmp_path / "d")
    with pytest.raises(DevelopmentModeRequiredError) as caught:
        create_app(settings)
    assert caught.value.code == "eid.development_required"
    assert "TAWTIQ_EID_DEVELOPMENT=true" in str(caught.value)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"cnie": "9876", "pin": "987650"}, "cnie"),
        ({"cnie": "BE1", "pin": "98765"}, "pin"),
        ({"cnie": "BE1", "pin": "987650", "family_name": ""}, "family_name"),
    ],
)
def test_an_unusable_identities_file_is_refused_naming_the_entry(
    tmp_path: Path, entry: dict[str, Any], field: str
) -> None:
    identities, clients = write_files(tmp_path)
    people = json.loads(identities.read_text(encoding="utf-8"))
    people.append({**people[0], **entry})
    identities.write_text(json.dumps(people), encoding="utf-8")
    settings = Settings(development=True, identities_file=identities, clients_file=clients, data_dir=tmp_path / "d")
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings)
    assert caught.value.code == "eid.identities"
    assert f"entry 3: {field}" in str(caught.value)
    assert "9876" not in str(caught.value)  # neither the card number nor the PIN is repeated


def test_a_client_with_a_short_secret_or_a_fragment_in_its_redirect_is_refused(tmp_path: Path) -> None:
    identities, clients = write_files(tmp_path)
    for entry, problem in [
        ({"client_id": "x", "client_secret": "short", "redirect_uris": [PORTAL_CALLBACK]}, "client_secret"),
        ({"client_id": "x", "client_secret": PORTAL_SECRET, "redirect_uris": ["https://a.example/#f"]}, "fragment"),
        ({"client_id": "x", "client_secret": PORTAL_SECRET, "redirect_uris": ["http://a.example/cb"]}, "https"),
    ]:
        clients.write_text(json.dumps([entry]), encoding="utf-8")
        settings = Settings(development=True, identities_file=identities, clients_file=clients, data_dir=tmp_path)
        with pytest.raises(ConfigurationError) as caught:
            create_app(settings)
        assert caught.value.code == "eid.clients"
        assert problem in str(caught.value)


# ---------------------------------------------------------------------------------------------- the login page


def test_the_login_page_is_arabic_by_default_and_french_on_request(eid: RunningEid, browser: httpx.Client) -> None:
    response = browser.get(authorize_url(eid))
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.text
    assert '<label for="cnie">' in response.text
    assert '<label for="pin">' in response.text
    assert 'name="cnie"' in response.text
    assert 'name="pin"' in response.text
    assert 'type="password"' in response.text
    assert 'name="csrf_token"' in response.text
    assert response.headers["cache-control"].startswith("no-store")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    french = browser.get(authorize_url(eid, ui_locales="fr-MA fr"))
    assert '<html lang="fr" dir="ltr">' in french.text
    assert "Code PIN" in french.text
    switch = open_login(browser, authorize_url(eid)).html
    assert "ui_locales=fr" in switch
    assert 'hreflang="fr"' in switch
    assert browser.get(f"{eid.base}/static/eid.css").headers["content-type"].startswith("text/css")


def test_a_wrong_pin_is_refused_with_the_attempts_left_then_the_card_is_blocked(
    eid: RunningEid, browser: httpx.Client
) -> None:
    form = open_login(browser, authorize_url(eid, ui_locales="fr"))
    first = submit(browser, eid.base, form, cnie="BE123456", pin="000000")
    assert first.status_code == 400
    assert "Code PIN incorrect. Essais restants : 2." in first.text
    assert 'aria-describedby="pin-error"' in first.text
    assert 'aria-invalid="true"' in first.text
    assert 'id="pin-error" role="alert"' in first.text
    assert 'value="BE123456"' in first.text
    assert 'value="000000"' not in first.text
    assert "Essais restants : 1." in submit(browser, eid.base, form, cnie="BE123456", pin="000001").text
    third = submit(browser, eid.base, form, cnie="BE123456", pin="000002")
    assert third.status_code == 429
    assert "bloquée" in third.text
    # Blocked: even the right PIN is refused, for this card only.
    assert submit(browser, eid.base, form, cnie="BE123456", pin="123456").status_code == 429
    assert submit(browser, eid.base, form, cnie="JA654321", pin="654321").status_code == 303
    eid.clock.advance(seconds=901)
    form = open_login(browser, authorize_url(eid))
    assert submit(browser, eid.base, form, cnie="BE123456", pin="123456").status_code == 303


def test_a_right_pin_forgets_earlier_wrong_ones(eid: RunningEid, browser: httpx.Client) -> None:
    form = open_login(browser, authorize_url(eid))
    submit(browser, eid.base, form, cnie="BE123456", pin="000000")
    submit(browser, eid.base, form, cnie="BE123456", pin="000000")
    assert submit(browser, eid.base, form, cnie="BE123456", pin="123456").status_code == 303
    form = open_login(browser, authorize_url(eid))
    assert "2." in submit(browser, eid.base, form, cnie="BE123456", pin="000000").text


@pytest.mark.parametrize(
    ("cnie", "pin", "field", "message"),
    [
        ("ZZ999999", "123456", "cnie", "Aucune carte ne porte ce numéro"),
        ("12", "123456", "cnie", "Numéro de carte invalide"),
        ("BE123456", "12ab", "pin", "Le code PIN compte 6 chiffres"),
    ],
)
def test_a_bad_card_number_or_pin_is_tied_to_its_field(
    eid: RunningEid, browser: httpx.Client, cnie: str, pin: str, field: str, message: str
) -> None:
    form = open_login(browser, authorize_url(eid, ui_locales="fr"))
    answer = submit(browser, eid.base, form, cnie=cnie, pin=pin)
    assert answer.status_code == 400
    assert message in answer.text
    assert f'id="{field}-error" role="alert"' in answer.text
    assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"client_id": "stranger"}, "eid.unknown_client"),
        ({"client_id": None}, "eid.unknown_client"),
        ({"redirect_uri": "https://attacker.example/cb"}, "eid.redirect_uri"),
        ({"redirect_uri": OTHER_CALLBACK}, "eid.redirect_uri"),
        ({"redirect_uri": None}, "eid.redirect_uri"),
    ],
)
def test_an_unknown_client_or_redirect_is_refused_with_a_page_never_a_redirect(
    eid: RunningEid, browser: httpx.Client, overrides: dict[str, str | None], code: str
) -> None:
    answer = browser.get(authorize_url(eid, **overrides))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert code in answer.text
    assert 'role="alert"' in answer.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"nonce": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_a_bad_request_from_a_known_client_goes_back_to_it_with_the_error(
    eid: RunningEid, browser: httpx.Client, overrides: dict[str, str | None], error: str
) -> None:
    answer = browser.get(authorize_url(eid, **overrides))
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(PORTAL_CALLBACK + "?")
    params = dict(parse_qsl(urlsplit(location).query))
    assert params["error"] == error
    assert params["state"] == "s-123"


def test_the_form_needs_its_csrf_cookie_and_token_and_a_same_site_post(eid: RunningEid) -> None:
    with httpx.Client() as browser:
        form = open_login(browser, authorize_url(eid))
    data = {**form.fields, "cnie": "BE123456", "pin": "123456"}
    with httpx.Client() as stranger:  # no cookie: not the browser that opened the page
        answer = stranger.post(f"{eid.base}/authorize", data=data)
        assert answer.status_code == 403
        assert "eid.csrf" in answer.text
    with httpx.Client() as browser:
        form = open_login(browser, authorize_url(eid))
        forged = {**form.fields, "csrf_token": "forged", "cnie": "BE123456", "pin": "123456"}
        assert browser.post(f"{eid.base}/authorize", data=forged).status_code == 403
        cross = browser.post(
            f"{eid.base}/authorize",
            data={**form.fields, "cnie": "BE123456", "pin": "123456"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert cross.status_code == 403
        assert "eid.cross_site" in cross.text
        other_origin = browser.post(
            f"{eid.base}/authorize",
            data={**form.fields, "cnie": "BE123456", "pin": "123456"},
            headers={"Origin": "https://attacker.example"},
        )
        assert other_origin.status_code == 403


def test_an_expired_login_page_is_refused(eid: RunningEid, browser: httpx.Client) -> None:
    form = open_login(browser, authorize_url(eid))
    eid.clock.advance(seconds=601)
    answer = submit(browser, eid.base, form, cnie="BE123456", pin="123456")
    assert answer.status_code == 400
    assert "eid.login_expired" in answer.text
    assert "location" not in answer.headers


def test_a_nonce_already_used_by_the_client_is_refused(eid: RunningEid, browser: httpx.Client) -> None:
    _, challenge = pkce()
    code_for(eid, browser, challenge=challenge, nonce="once")
    answer = browser.get(authorize_url(eid, nonce="once"))
    params = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    assert params["error"] == "invalid_request"
    assert "Replay" in params["error_description"]


def test_a_login_page_is_spent_by_its_login(eid: RunningEid, browser: httpx.Client) -> None:
    form = open_login(browser, authorize_url(eid))
    assert submit(browser, eid.base, form, cnie="BE123456", pin="123456").status_code == 303
    assert submit(browser, eid.base, form, cnie="BE123456", pin="123456").status_code in (400, 403)


# ---------------------------------------------------------------------------------------------- the token endpoint


def token(eid: RunningEid, data: dict[str, str], *, auth: tuple[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{eid.base}/token", data=data, auth=auth)


def test_the_token_endpoint_gives_an_es256_id_token_with_the_agreed_claims(
    eid: RunningEid, browser: httpx.Client
) -> None:
    verifier, challenge = pkce()
    code = code_for(eid, browser, challenge=challenge)
    answer = token(
        eid,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PORTAL_CALLBACK,
            "code_verifier": verifier,
            "client_id": "portal",
            "client_secret": PORTAL_SECRET,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    keys = KeySet.import_key_set(httpx.get(f"{eid.base}/jwks").json())
    decoded = jwt.decode(answer.json()["id_token"], keys, algorithms=["ES256"])
    assert decoded.header["alg"] == "ES256"
    assert decoded.header["kid"] == keys.keys[0].kid
    claims = decoded.claims
    assert set(claims) >= {
        "iss", "aud", "exp", "iat", "nonce", "auth_time", "sub", "acr", "cnie",
        "family_name", "given_name", "family_name#ar", "given_name#ar", "birthdate",
    }  # fmt: skip
    assert claims["iss"] == eid.base
    assert claims["aud"] == "portal"
    assert claims["nonce"] == "n-456"
    assert claims["acr"] == "urn:tawtiq:eid:loa:high"
    assert claims["cnie"] == "BE123456"
    assert claims["birthdate"] == "2007-03-14"
    assert claims["family_name#ar"] == "العلوي"
    assert claims["iat"] == int(eid.clock.now().timestamp())
    assert claims["exp"] == claims["iat"] + 300


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"code_verifier": None}, 400, "invalid_request"),
        ({"code_verifier": "a" * 50}, 400, "invalid_grant"),
        ({"redirect_uri": OTHER_CALLBACK}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"code": "made-up"}, 400, "invalid_grant"),
    ],
)
def test_the_token_endpoint_refuses(
    eid: RunningEid, browser: httpx.Client, change: dict[str, str | None], status: int, error: str
) -> None:
    verifier, challenge = pkce()
    code = code_for(eid, browser, challenge=challenge)
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": PORTAL_CALLBACK,
        "code_verifier": verifier,
        **change,
    }
    answer = token(eid, {k: v for k, v in data.items() if v is not None}, auth=("portal", PORTAL_SECRET))
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_client_secret_is_refused(eid: RunningEid, browser: httpx.Client, method: str) -> None:
    verifier, challenge = pkce()
    code = code_for(eid, browser, challenge=challenge)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": PORTAL_CALLBACK,
        "code_verifier": verifier,
    }
    wrong = "wrong-secret-0123456789-abcdefghijklmno"
    if method == "client_secret_basic":
        answer = token(eid, data, auth=("portal", wrong))
    else:
        answer = token(eid, {**data, "client_id": "portal", "client_secret": wrong})
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == "invalid_client"


def test_no_card_number_or_name_reaches_the_log(
    eid: RunningEid, browser: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    verifier, challenge = pkce()
    code = code_for(eid, browser, challenge=challenge)
    form = open_login(browser, authorize_url(eid))
    submit(browser, eid.base, form, cnie="BE123456", pin="000000")
    token(
        eid,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_CALLBACK, "code_verifier": verifier},
        auth=("portal", PORTAL_SECRET),
    )
    for forbidden in ("BE123456", "Alaoui", "العلوي", "2007-03-14", "123456", PORTAL_SECRET):
        assert forbidden not in caplog.text


def test_behind_a_front_the_provider_answers_for_its_public_https_url(tmp_path: Path) -> None:
    """A front ends TLS and forwards plain http: the protocol still runs on the public https URL."""
    from fastapi.testclient import TestClient

    identities, clients = write_files(tmp_path)
    clients.write_text(
        json.dumps(
            [{"client_id": "portal", "client_secret": PORTAL_SECRET, "redirect_uris": ["https://portal.example/cb"]}]
        ),
        encoding="utf-8",
    )
    settings = Settings(
        development=True,
        public_url="https://eid.example",
        data_dir=tmp_path / "d",
        identities_file=identities,
        clients_file=clients,
    )
    with TestClient(create_app(settings), base_url="http://10.0.0.5:8300") as client:
        _, challenge = pkce()
        query = {
            "response_type": "code",
            "client_id": "portal",
            "redirect_uri": "https://portal.example/cb",
            "scope": "openid",
            "nonce": "n",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        page = client.get("/authorize", params=query)
        assert page.status_code == 200, page.text
        assert 'name="csrf_token"' in page.text
        assert client.get("/.well-known/openid-configuration").json()["token_endpoint"] == "https://eid.example/token"


def test_open_login_pages_are_bounded(tmp_path: Path, browser: httpx.Client) -> None:
    with running_eid(tmp_path, max_pending_logins=2) as eid:
        assert browser.get(authorize_url(eid)).status_code == 200
        assert browser.get(authorize_url(eid)).status_code == 200
        busy = browser.get(authorize_url(eid, ui_locales="fr"))
        assert busy.status_code == 503
        assert "Le service est occupé" in busy.text
        eid.clock.advance(seconds=601)  # the open pages expire and make room
        assert browser.get(authorize_url(eid)).status_code == 200
