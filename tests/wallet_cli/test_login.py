"""Adding the diploma to a wallet through the eID login (OpenID4VCI authorization code flow), end to end over
real HTTP: the development eID provider, the issuer with the eID login, and the wallet — as a command (a real
process listening on a loopback port) and as its flow, each driven by a browser stand-in that logs in on the eID's
page and confirms on the issuer's consent page. Then each refusal: the graduate refusing on the consent page, no
diploma record, a revoked one, another graduate's offer, a redirect URI that cannot be used, no PKCE, a callback in
another browser, a consent answer replayed, from another browser or request, without its CSRF token or from
another site, a replayed, misdirected or badly verified code, a forged state.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from issuer.db import reading
from issuer.models import AuditEvent, WalletAuthorization
from tests.wallet_cli.conftest import make_wallet
from tests.wallet_cli.login_platform import (
    HIDDEN,
    STRANGER,
    LoginPlatform,
    answer_consent,
    log_in_with_browser,
    open_consent_page,
    start_login_platform,
)
from wallet_cli import authorization
from wallet_cli.checking import read_copy
from wallet_cli.errors import RefusedError
from wallet_cli.net import Http
from wallet_cli.oid4vci import Received


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoginPlatform]:
    yield from start_login_platform(tmp_path_factory.mktemp("login-platform"))


def receive_by_login(
    platform: LoginPlatform, *, cnie: str, pin: str, offer: str | None = None, decision: str = "confirm"
) -> Received:
    """The wallet's flow in this process; its ``open_url`` is the graduate logging in and answering ``decision``."""
    logged_in: list[httpx.Response] = []

    def graduate_logs_in(url: str) -> None:
        with platform.browser() as browser:
            logged_in.append(log_in_with_browser(browser, url, cnie=cnie, pin=pin, decision=decision))

    with Http(ca_file=platform.certificate) as http:
        received = authorization.receive_with_login(
            http,
            issuer=None if offer else platform.issuer_url,
            link=offer,
            open_url=graduate_logs_in,
            timeout_seconds=30,
            now=lambda: datetime.now(UTC),
        )
    assert logged_in[0].status_code == 200
    assert "You can return to the wallet" in logged_in[0].text
    return received


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize_url(platform: LoginPlatform, **overrides: str | None) -> str:
    _, challenge = pkce()
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "some-wallet",
        "redirect_uri": "http://127.0.0.1:9/callback",
        "state": "wallet-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "BaccalaureateDiploma_dc_sd_jwt",
        **overrides,
    }
    return f"{platform.issuer_url}/authorize?{urlencode({k: v for k, v in params.items() if v is not None})}"


def wallet_answer(response: httpx.Response) -> dict[str, str]:
    """The parameters of the redirect back to the wallet (the last redirect of a chain that stopped at it)."""
    location = response.headers["location"]
    return dict(parse_qsl(urlsplit(location).query))


def code_for(platform: LoginPlatform, browser: httpx.Client, url: str, *, cnie: str, pin: str) -> dict[str, str]:
    """Log in through ``url``, confirm, and stop at the redirect to the wallet (which is not listening)."""
    back = answer_consent(browser, open_consent_page(browser, url, cnie=cnie, pin=pin), decision="confirm")
    assert back.status_code == 303, back.text
    return wallet_answer(back)


# ---------------------------------------------------------------------------------------------- metadata


def test_the_issuer_advertises_the_authorization_code_flow(platform: LoginPlatform) -> None:
    with platform.browser() as browser:
        document = browser.get(f"{platform.issuer_url}/.well-known/oauth-authorization-server").json()
    assert document["authorization_endpoint"] == f"{platform.issuer_url}/authorize"
    assert "authorization_code" in document["grant_types_supported"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True


def test_an_offer_names_the_authorization_code_grant_with_its_issuer_state(platform: LoginPlatform) -> None:
    offer = platform.offer(platform.graduate()["cnie"])
    with platform.browser() as browser:
        document = browser.get(offer.credential_offer_uri).json()
    assert document["grants"]["authorization_code"]["issuer_state"] == offer.reference


# ---------------------------------------------------------------------------------------------- the flow


def test_a_graduate_adds_the_diploma_with_the_wallet_command_and_the_eid_login(
    platform: LoginPlatform, tmp_path: Path
) -> None:
    graduate = platform.graduate()
    wallet = make_wallet(tmp_path / "wallet")
    environment = {
        **os.environ,
        **{k: v for k, v in wallet.environment().items() if v is not None},
        "TAWTIQ_WALLET_CA_FILE": str(platform.certificate),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wallet_cli",
            "receive",
            "--login",
            "--issuer",
            platform.issuer_url,
            "--print-only",
            "--json",
            "--login-timeout",
            "60",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = ""
        for line in process.stderr:
            if line.startswith(f"{platform.issuer_url}/authorize?"):
                url = line.strip()
                break
        assert url, "the wallet printed no authorization URL"
        assert "code_challenge_method=S256" in url
        assert "state=" in url
        with platform.browser() as browser:
            done = log_in_with_browser(browser, url, cnie=graduate["cnie"], pin=graduate["pin"])
        assert done.status_code == 200
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    answer = json.loads(stdout)
    assert answer["ok"] is True
    assert sorted(copy["profile"] for copy in answer["new_copies"]) == ["dc+sd-jwt", "vc+sd-jwt"]
    shown = wallet.json("show", answer["diploma"])
    assert graduate["cnie"] in json.dumps(shown, ensure_ascii=False)


def test_the_flow_binds_each_copy_to_the_wallets_key(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    received = receive_by_login(platform, cnie=graduate["cnie"], pin=graduate["pin"])
    assert received.diploma.issuer == platform.issuer_url
    assert len(received.diploma.copies) == 2
    for copy in received.diploma.copies:
        facts = read_copy(copy.credential)
        assert facts.holder_thumbprint == copy.signing_key().public.thumbprint()
        assert facts.subject["cnie"] == graduate["cnie"]
    for item in received.reports:
        assert item.report.verdict.value == "valid", item.report.to_dict()
    thumbprints = {read_copy(copy.credential).holder_thumbprint for copy in received.diploma.copies}
    assert len(thumbprints) == 2  # a fresh key per copy


def test_a_wallet_coming_from_an_offer_uses_its_issuer_state(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    offer = platform.offer(graduate["cnie"])
    received = receive_by_login(platform, cnie=graduate["cnie"], pin=graduate["pin"], offer=offer.offer_uri)
    assert len(received.diploma.copies) == 2


def test_another_graduate_cannot_use_an_offer(platform: LoginPlatform) -> None:
    owner, intruder = platform.graduate(), platform.graduate()
    offer = platform.offer(owner["cnie"])
    with pytest.raises(RefusedError) as caught:
        receive_by_login(platform, cnie=intruder["cnie"], pin=intruder["pin"], offer=offer.offer_uri)
    assert caught.value.code == "login.refused"
    assert "another graduate" in str(caught.value)


def test_an_identity_without_a_diploma_record_gets_a_clear_error(platform: LoginPlatform) -> None:
    with pytest.raises(RefusedError) as caught:
        receive_by_login(platform, cnie=STRANGER["cnie"], pin=STRANGER["pin"])
    assert caught.value.code == "login.refused"
    assert "no diploma record for this identity" in str(caught.value)


def test_a_revoked_diploma_is_not_given(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    platform.revoke(graduate["cnie"])
    with pytest.raises(RefusedError) as caught:
        receive_by_login(platform, cnie=graduate["cnie"], pin=graduate["pin"])
    assert "no diploma record" in str(caught.value)


# ---------------------------------------------------------------------------------------------- refusals


def test_the_consent_page_shows_the_graduates_diploma_and_a_wallet_on_this_device(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    with platform.browser() as browser:
        page = open_consent_page(browser, authorize_url(platform), cnie=graduate["cnie"], pin=graduate["pin"])
        french = browser.get(f"{page.url}&lang=fr")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "style-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="ar" dir="rtl">' in page.text
    assert graduate["family_name#ar"] in page.text
    assert "some-wallet" in page.text
    assert "محفظة على هذا الجهاز" in page.text
    assert 'role="alert"' not in page.text  # no warning for a loopback wallet
    assert '<html lang="fr" dir="ltr">' in french.text
    assert graduate["family_name"] in french.text
    assert "2024" in french.text
    assert "Un portefeuille sur cet appareil." in french.text


def test_a_remote_wallet_is_named_by_its_host_with_a_warning(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    with platform.browser() as browser:
        page = open_consent_page(
            browser,
            authorize_url(platform, client_id="attacker-wallet", redirect_uri="https://wallet.attacker.example/cb"),
            cnie=graduate["cnie"],
            pin=graduate["pin"],
        )
    assert "attacker-wallet" in page.text
    assert "wallet.attacker.example" in page.text
    assert 'role="alert"' in page.text
    assert "فارفض" in page.text  # "if someone sent you this link, refuse"


def test_a_graduate_who_refuses_gets_nothing_and_the_wallet_hears_access_denied(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    with pytest.raises(RefusedError) as caught:
        receive_by_login(platform, cnie=graduate["cnie"], pin=graduate["pin"], decision="refuse")
    assert caught.value.code == "login.refused"
    assert caught.value.found == "access_denied"
    assert "refused to add the diploma" in str(caught.value)
    with platform.browser() as browser:
        consent = open_consent_page(browser, authorize_url(platform), cnie=graduate["cnie"], pin=graduate["pin"])
        refused = answer_consent(browser, consent, decision="refuse")
        assert refused.status_code == 303
        params = wallet_answer(refused)
        assert params == {
            "error": "access_denied",
            "error_description": "the graduate refused to add the diploma to this wallet",
            "state": "wallet-state",
        }
        # The request is spent: a confirmation after the refusal gives nothing.
        late = answer_consent(browser, consent, decision="confirm")
    assert late.status_code == 400
    assert late.json()["code"] == "authorize.consent_unknown"
    reference = dict(HIDDEN.findall(consent.text))["request"]
    with reading(platform.engine) as db:
        row = db.get(WalletAuthorization, reference)
        assert row is not None
        assert row.refused_at is not None
        assert row.code_hash is None
        actions = db.execute(select(col(AuditEvent.action)).where(col(AuditEvent.target) == row.diploma_id)).scalars()
        assert "authorization.refused" in list(actions)


def test_a_confirmation_is_answered_once(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    with platform.browser() as browser:
        consent = open_consent_page(browser, authorize_url(platform), cnie=graduate["cnie"], pin=graduate["pin"])
        first = answer_consent(browser, consent, decision="confirm")
        assert first.status_code == 303
        assert "code" in wallet_answer(first)
        replayed = answer_consent(browser, consent, decision="confirm")
        again = browser.get(str(consent.url))
    assert replayed.status_code == 400
    assert "location" not in replayed.headers
    assert replayed.json()["code"] == "authorize.consent_unknown"
    assert replayed.json()["found"] == "already answered"
    assert again.status_code == 400


def test_a_consent_answer_from_another_browser_or_for_another_request_is_refused(platform: LoginPlatform) -> None:
    graduate, attacker = platform.graduate(), platform.graduate()
    with platform.browser() as victim, platform.browser() as other:
        victims = open_consent_page(victim, authorize_url(platform), cnie=graduate["cnie"], pin=graduate["pin"])
        others = open_consent_page(other, authorize_url(platform), cnie=attacker["cnie"], pin=attacker["pin"])
        # The victim's page and form, from a browser without the victim's cookie.
        seen = other.get(str(victims.url))
        assert seen.status_code == 403
        assert seen.json()["code"] == "authorize.other_browser"
        posted = answer_consent(other, victims, decision="confirm")
        assert posted.status_code == 403
        assert posted.json()["code"] == "authorize.other_browser"
        # The victim's request with the token of another request's page (another session's).
        token = dict(HIDDEN.findall(others.text))["csrf_token"]
        crossed = answer_consent(victim, victims, decision="confirm", csrf_token=token)
        assert crossed.status_code == 403
        assert crossed.json()["code"] == "authorize.csrf"
        assert crossed.json()["found"] == "another page's csrf_token"
        # Neither refusal spent the request: the victim's own answer still counts.
        own = answer_consent(victim, victims, decision="refuse")
    assert wallet_answer(own)["error"] == "access_denied"


def test_a_consent_answer_without_its_csrf_token_or_from_another_site_is_refused(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    with platform.browser() as browser:
        consent = open_consent_page(browser, authorize_url(platform), cnie=graduate["cnie"], pin=graduate["pin"])
        missing = answer_consent(browser, consent, decision="confirm", csrf_token="")
        assert missing.status_code == 403
        assert missing.json()["code"] == "authorize.csrf"
        assert missing.json()["found"] == "no csrf_token"
        fields = {**dict(HIDDEN.findall(consent.text)), "decision": "confirm"}
        action = str(consent.url).split("?")[0]
        for headers, found in (
            ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site: cross-site"),
            ({"Origin": "https://attacker.example"}, "Origin: https://attacker.example"),
        ):
            cross = browser.post(action, data=fields, headers=headers)
            assert cross.status_code == 403
            assert cross.json()["code"] == "authorize.cross_site"
            assert cross.json()["found"] == found
        undecided = answer_consent(browser, consent, decision="maybe")
        assert undecided.status_code == 400
        assert undecided.json()["code"] == "authorize.consent_decision"
        accepted = browser.post(action, data=fields, headers={"Sec-Fetch-Site": "same-origin"})
    assert accepted.status_code == 303
    assert "code" in wallet_answer(accepted)


def test_an_unknown_consent_request_is_refused(platform: LoginPlatform) -> None:
    with platform.browser() as browser:
        answer = browser.get(f"{platform.issuer_url}/authorize/consent", params={"request": "0" * 64})
        malformed = browser.get(f"{platform.issuer_url}/authorize/consent", params={"request": "<script>"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "authorize.consent_unknown"
    assert answer.json()["found"] == "unknown"
    assert malformed.json()["code"] == "authorize.consent_unknown"


def test_a_browser_refused_on_the_consent_routes_gets_a_page_in_its_language(platform: LoginPlatform) -> None:
    with platform.browser() as browser:
        page = browser.get(
            f"{platform.issuer_url}/authorize/consent",
            params={"request": "0" * 64, "lang": "fr"},
            headers={"Accept": "text/html,application/xhtml+xml"},
        )
        posted = browser.post(
            f"{platform.issuer_url}/authorize/consent",
            data={"request": "0" * 64, "decision": "confirm"},
            headers={"Accept": "text/html"},
        )
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr" dir="ltr">' in page.text
    assert 'role="alert"' in page.text
    assert "authorize.consent_unknown" in page.text
    assert posted.status_code == 400
    assert '<html lang="ar" dir="rtl">' in posted.text


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://wallet.example/callback", "https://wallet.example/cb#fragment", "javascript:alert(1)", None],
)
def test_an_unusable_redirect_uri_is_refused_without_a_redirect(
    platform: LoginPlatform, redirect_uri: str | None
) -> None:
    with platform.browser() as browser:
        answer = browser.get(authorize_url(platform, redirect_uri=redirect_uri))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.json()["code"] == "authorize.invalid"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "openid"}, "invalid_scope"),
        ({"scope": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"issuer_state": "0" * 64, "scope": None}, "invalid_request"),
    ],
)
def test_a_bad_request_goes_back_to_the_wallet_with_its_state(
    platform: LoginPlatform, overrides: dict[str, str | None], error: str
) -> None:
    with platform.browser() as browser:
        answer = browser.get(authorize_url(platform, **overrides))
    assert answer.status_code == 302
    params = wallet_answer(answer)
    assert params["error"] == error
    assert params["state"] == "wallet-state"


def test_the_login_must_end_in_the_browser_that_started_it(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    with platform.browser() as browser:
        page = browser.get(authorize_url(platform), follow_redirects=True)
        fields = dict(HIDDEN.findall(page.text))
        answer = browser.post(
            str(page.url).split("?")[0], data={**fields, "cnie": graduate["cnie"], "pin": graduate["pin"]}
        )
        callback = answer.headers["location"]
    with platform.browser() as other:  # the eID's redirect opened in a browser without the issuer's cookie
        refused = other.get(callback)
    assert refused.status_code == 403
    assert refused.json()["code"] == "authorize.other_browser"
    assert "location" not in refused.headers


def test_a_forged_callback_state_is_refused(platform: LoginPlatform) -> None:
    with platform.browser() as browser:
        answer = browser.get(f"{platform.issuer_url}/authorize/callback?code=x&state=forged")
    assert answer.status_code == 400
    assert answer.json()["code"] == "authorize.login_unknown"


def test_the_code_is_single_use_and_bound_to_client_redirect_and_verifier(platform: LoginPlatform) -> None:
    graduate = platform.graduate()
    verifier, challenge = pkce()
    with platform.browser() as browser:
        params = code_for(
            platform,
            browser,
            authorize_url(platform, code_challenge=challenge),
            cnie=graduate["cnie"],
            pin=graduate["pin"],
        )
        assert params["state"] == "wallet-state"
        assert params["iss"] == platform.issuer_url
        token_url = f"{platform.issuer_url}/token"
        form = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": "http://127.0.0.1:9/callback",
            "code_verifier": verifier,
            "client_id": "some-wallet",
        }
        for change in (
            {"client_id": "another-wallet"},
            {"redirect_uri": "http://127.0.0.1:10/callback"},
            {"code_verifier": secrets.token_urlsafe(48)},
        ):
            # Each failed attempt spends the code: get a fresh one for each.
            refused = browser.post(token_url, data={**form, **change})
            assert refused.status_code == 400
            assert refused.json()["error"] == "invalid_grant"
            verifier, challenge = pkce()
            params = code_for(
                platform,
                browser,
                authorize_url(platform, code_challenge=challenge),
                cnie=graduate["cnie"],
                pin=graduate["pin"],
            )
            form = {**form, "code": params["code"], "code_verifier": verifier}
        accepted = browser.post(token_url, data=form)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["token_type"] == "Bearer"
        replayed = browser.post(token_url, data=form)
        assert replayed.status_code == 400
        assert replayed.json()["error"] == "invalid_grant"
        missing = browser.post(token_url, data={k: v for k, v in form.items() if k != "code_verifier"})
        assert missing.json()["error"] == "invalid_request"


def test_the_wallet_refuses_an_answer_with_another_state_or_issuer(platform: LoginPlatform) -> None:
    with Http(ca_file=platform.certificate) as http:
        from wallet_cli.oid4vci import fetch_metadata

        metadata = fetch_metadata(http, platform.issuer_url)
        request = authorization.login_request(
            metadata,
            configurations=list(metadata.configurations.values()),
            redirect_uri="http://127.0.0.1:9/callback",
        )
        with pytest.raises(RefusedError) as caught:
            authorization.redeem_login(http, metadata, request, {"code": "x", "state": "forged"})
        assert caught.value.code == "login.state_mismatch"
        with pytest.raises(RefusedError) as caught:
            authorization.redeem_login(
                http, metadata, request, {"code": "x", "state": request.state, "iss": "https://other.example"}
            )
        assert caught.value.code == "login.issuer_mismatch"


def test_the_wallet_stops_waiting_for_a_login_that_never_comes() -> None:
    from wallet_cli.errors import UsageError

    with authorization.LoopbackListener() as listener, pytest.raises(UsageError) as caught:
        listener.wait(timeout_seconds=0.2)
    assert caught.value.code == "login.timeout"


def test_the_listener_keeps_the_first_answer_and_ignores_other_paths() -> None:
    with authorization.LoopbackListener() as listener:
        base = listener.redirect_uri.rsplit("/", 1)[0]
        assert httpx.get(f"{base}/other").status_code == 404
        assert httpx.get(f"{listener.redirect_uri}?code=first&state=s").status_code == 200
        assert httpx.get(f"{listener.redirect_uri}?code=second&state=s").status_code == 200
        assert listener.wait(timeout_seconds=1) == {"code": "first", "state": "s"}


def test_receive_needs_an_offer_or_an_issuer_with_login(tmp_path: Path) -> None:
    wallet = make_wallet(tmp_path / "wallet")
    neither = wallet("receive")
    assert neither.exit_code == 2
    assert "receive.usage" in neither.stderr
    both = wallet("receive", "--login", "--issuer", "https://bac.example.ma", "openid-credential-offer://?x=1")
    assert both.exit_code == 2
    assert "not both" in both.stderr
