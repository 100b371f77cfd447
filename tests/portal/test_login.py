"""Logging in to the portal through the real development eID over HTTP, and every refusal a page owes.

The portal's identity port is the real OpenID Connect one; the eID is the real stand-in on its own port. Refusals
that a well-behaved eID never produces (an ID token for another audience, unsigned, with a too-low ``acr``) come
from :class:`~tests.common.test_identity.TamperingFetcher`, which rewrites the token the real eID answered, as a
compromised provider would. Every refusal is a page with its stable code, in the reader's language.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.portal.conftest import ExamYear
from tests.portal.live import Card, RunningPortal, browser_of, error_code


@pytest.fixture
def amina(exam_year: ExamYear) -> Card:
    return exam_year.cards[0]


@pytest.fixture
def youssef(exam_year: ExamYear) -> Card:
    return exam_year.cards[1]


def _cookie_flags(response: Any, name: str) -> str:
    return next(value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}="))


def test_the_welcome_page_is_open_and_every_other_page_sends_to_the_login(browser):
    welcome = browser.get("/")
    assert welcome.status_code == 200
    assert '<html lang="ar" dir="rtl">' in welcome.text
    assert 'href="/login?lang=ar"' in welcome.text
    assert "default-src 'none'" in welcome.headers["content-security-policy"]
    for path in ("/me", "/convocation", "/convocation.pdf", "/results", "/staff"):
        answer = browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith(f"/login?next={path}")


def test_a_login_through_the_eid_opens_a_session_on_the_page_asked_for(portal, browser, amina):
    authorization = browser.start_login("/login?next=/results&lang=fr")
    assert "code_challenge_method=S256" in authorization
    assert "acr_values=urn%3Atawtiq%3Aeid%3Aloa%3Ahigh" in authorization
    answer = browser.callback(browser.card_and_pin(authorization, amina))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/results?lang=fr"
    cookie = _cookie_flags(answer, "tawtiq_portal_session")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie, "plain http on loopback: development"
    assert "tawtiq_portal_login=" in answer.headers["set-cookie"], "the login cookie is cleared"
    page = browser.get("/?lang=fr")
    assert f"{amina.given_name} {amina.family_name}" in page.text
    assert 'action="/logout"' in page.text


def test_an_off_loopback_portal_sets_secure_cookies(tmp_path, sqlite_url):
    from portal.settings import Settings

    assert Settings(secret_key="x" * 8 + "Qw9!zr7#Lp2@vB5$nM8^kT4&", public_url="https://c.example.ma").secure_cookies


def test_logout_ends_the_session_and_its_cookie_reaches_nothing_after(browser, amina):
    browser.log_in(amina)
    cookie = browser.http.cookies.get("tawtiq_portal_session")
    token = browser.csrf_token("/")
    answer = browser.post("/logout", {"csrf_token": token, "lang": "fr"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?lang=fr"
    browser.http.cookies.set("tawtiq_portal_session", cookie)
    replayed = browser.get("/results")
    assert replayed.status_code == 401
    assert error_code(replayed) == "session.unknown"
    assert 'href="/login?lang=ar"' in replayed.text


def test_a_forged_state_is_refused_with_a_page(browser, amina):
    params = browser.card_and_pin(browser.start_login(), amina)
    answer = browser.callback({**params, "state": "forged-state"})
    assert answer.status_code == 401
    assert error_code(answer) == "identity.state_mismatch"
    assert "لا يطابق" in answer.text
    assert "tawtiq_portal_session" not in answer.headers.get("set-cookie", "")


def test_a_replayed_callback_finds_no_login_under_way(browser, amina):
    params = browser.card_and_pin(browser.start_login(), amina)
    assert browser.callback(params).status_code == 303
    replayed = browser.callback(params)
    assert replayed.status_code == 401
    assert error_code(replayed) == "login.unknown"


def test_a_replayed_code_is_refused_by_the_eid(browser, amina):
    first = browser.card_and_pin(browser.start_login(), amina)
    assert browser.callback(first).status_code == 303
    second = browser.start_login()
    state = dict(re.findall(r"([a-z_]+)=([^&]+)", second.split("?", 1)[1]))["state"]
    answer = browser.callback({"code": first["code"], "state": state})
    assert answer.status_code == 401
    assert error_code(answer) == "identity.code_invalid"


def test_a_callback_from_another_browser_is_refused(portal, browser, amina):
    params = browser.card_and_pin(browser.start_login(), amina)
    with browser_of(portal) as attacker:
        answer = attacker.callback(params)
    assert answer.status_code == 401
    assert error_code(answer) == "login.unknown"


def test_an_expired_id_token_is_refused(portal, browser, amina):
    params = browser.card_and_pin(browser.start_login(), amina)
    portal.port_clock.advance(seconds=300 + 61)  # read after the token's life and the leeway
    answer = browser.callback(params)
    assert answer.status_code == 401
    assert error_code(answer) == "identity.expired"
    assert "انتهت صلاحية" in answer.text


def test_a_login_that_took_too_long_is_refused(portal, browser, amina):
    authorization = browser.start_login()
    portal.clock.advance(seconds=601)
    params = browser.card_and_pin(authorization, amina)
    answer = browser.callback(params)
    assert answer.status_code == 401
    assert error_code(answer) == "login.expired"


def _rewrite(portal: RunningPortal, change: Any, *, key: ECKey | None = None, unsigned: bool = False) -> None:
    from cryptography.hazmat.primitives import serialization

    own = serialization.load_pem_private_key(
        (Path(portal.settings.eid_client_secret_file).parent / "eid-data" / "signing-key.pem").read_bytes(),
        password=None,
    )

    def rewrite(header: dict[str, Any], claims: dict[str, Any]) -> str:
        change(claims)
        if unsigned:
            import base64
            import json

            def part(value: dict[str, Any]) -> str:
                return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

            return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
        signer = key or ECKey.import_key(own)  # type: ignore[arg-type]
        return jwt.encode({**header, "kid": signer.thumbprint()} if key else header, claims, signer)

    portal.fetcher.rewrite = rewrite


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("audience", "identity.audience", "خدمة أخرى"),
        ("unsigned", "identity.signature", "توقيع"),
        ("another key", "identity.signature", "توقيع"),
        ("acr", "identity.acr_too_low", "مستوى الضمان"),
        ("nonce", "identity.nonce", "لا تخص"),
    ],
)
def test_a_bad_id_token_is_refused_with_a_clear_page(portal, browser, name, code, words, amina):
    changes = {
        "audience": lambda claims: claims.update(aud="another-service"),
        "unsigned": lambda claims: None,
        "another key": lambda claims: None,
        "acr": lambda claims: claims.update(acr="urn:tawtiq:eid:loa:substantial"),
        "nonce": lambda claims: claims.update(nonce="another-nonce"),
    }
    _rewrite(
        portal,
        changes[name],
        unsigned=name == "unsigned",
        key=ECKey.generate_key("P-256") if name == "another key" else None,
    )
    answer = browser.callback(browser.card_and_pin(browser.start_login(), amina))
    assert answer.status_code == 401
    assert error_code(answer) == code
    assert words in answer.text
    assert "tawtiq_portal_session" not in answer.headers.get("set-cookie", "")
    assert 'href="/login?lang=ar"' in answer.text, "the page offers to log in again"


def test_the_refusal_page_speaks_french_when_asked(browser):
    browser.get("/?lang=fr")  # the language is remembered
    answer = browser.callback({"state": "x", "code": "y"})
    assert '<html lang="fr" dir="ltr">' in answer.text
    assert "Cette connexion est déjà terminée" in answer.text


def test_a_provider_refusal_reads_as_one(browser):
    authorization = browser.start_login()
    state = dict(re.findall(r"([a-z_]+)=([^&]+)", authorization.split("?", 1)[1]))["state"]
    answer = browser.callback({"state": state, "error": "access_denied", "error_description": "cancelled"})
    assert answer.status_code == 401
    assert error_code(answer) == "identity.provider_error"


@pytest.mark.parametrize(
    "cookie",
    ["tampered", "another-users-id-made-up-by-hand", "x" * 300],
)
def test_a_session_cookie_that_is_not_a_live_session_reaches_nothing(browser, cookie, amina):
    browser.log_in(amina)
    real = browser.http.cookies.get("tawtiq_portal_session")
    value = real[:-2] + ("AA" if not real.endswith("AA") else "BB") if cookie == "tampered" else cookie
    browser.http.cookies.set("tawtiq_portal_session", value)
    answer = browser.get("/me")
    assert answer.status_code == 401
    assert error_code(answer) == "session.unknown"
    assert amina.family_name not in answer.text


def test_csrf_a_form_without_or_with_another_token_is_refused(portal, browser, amina, youssef):
    browser.log_in(amina)
    missing = browser.post("/logout", {"lang": "ar"})
    assert missing.status_code == 403
    assert error_code(missing) == "request.csrf"
    with browser_of(portal) as other:
        other.log_in(youssef)
        foreign = other.csrf_token("/")
    wrong = browser.post("/logout", {"csrf_token": foreign, "lang": "ar"})
    assert wrong.status_code == 403
    assert error_code(wrong) == "request.csrf"
    assert browser.get("/me").status_code != 401, "the session is still open: nothing was done"


def test_no_cnie_or_name_reaches_the_logs(portal, browser, caplog, amina):
    with caplog.at_level(logging.DEBUG):
        browser.log_in(amina)
        browser.get("/me")
    text = caplog.text
    assert "login: acr urn:tawtiq:eid:loa:high" in text
    for value in (amina.cnie, amina.family_name, amina.given_name, amina.family_name_ar):
        assert value not in text
