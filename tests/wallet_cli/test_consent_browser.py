"""The issuer's consent page in a real headless Chromium at phone size, between the eID login and the wallet: Arabic
by default, French on request, the graduate's diploma and the wallet named, a warning for a remote wallet, nothing
wider than the screen, each button's effect at the wallet's redirect, and the page a spent request shows.
Screenshots go to ``TAWTIQ_SCREENSHOTS`` (a directory) when it is set, else to the test's temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.wallet_cli.login_platform import LoginPlatform, start_login_platform

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("TAWTIQ_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WALLET = "http://127.0.0.1:9/callback"
PHONE_WIDTH = 390


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoginPlatform]:
    yield from start_login_platform(tmp_path_factory.mktemp("consent-platform"))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (set TAWTIQ_CHROMIUM; .ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    # The issuer serves its development certificate, which this browser has no reason to trust.
    context = chromium.new_context(
        viewport={"width": PHONE_WIDTH, "height": 844}, locale="ar-MA", ignore_https_errors=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("TAWTIQ_SCREENSHOTS", tmp_path / "screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def authorize_url(platform: LoginPlatform, *, redirect_uri: str, client_id: str = "tawtiq-wallet") -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "wallet-state",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "scope": "BaccalaureateDiploma_dc_sd_jwt",
    }
    return f"{platform.issuer_url}/authorize?{urlencode(params)}"


def wallet_hears(page: Any) -> list[dict[str, str]]:
    """What reaches the wallet's loopback redirect (answered in place of a listening wallet)."""
    arrived: list[dict[str, str]] = []

    def wallet(route: Any) -> None:
        arrived.append(dict(parse_qsl(urlsplit(route.request.url).query)))
        route.fulfill(status=200, content_type="text/html", body="<p>back at the wallet</p>")

    page.route(f"{WALLET}**", wallet)
    return arrived


def log_in(page: Any, url: str, graduate: dict[str, str]) -> None:
    page.goto(url)
    page.get_by_label("رقم البطاقة الوطنية").fill(graduate["cnie"])
    page.get_by_label("الرقم السري للبطاقة (6 أرقام)").fill(graduate["pin"])
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url("**/authorize/consent?**")


def no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_graduate_confirms_on_a_phone(platform: LoginPlatform, phone: Any, shots: Path) -> None:
    graduate = platform.graduate()
    arrived = wallet_hears(phone)
    log_in(phone, authorize_url(platform, redirect_uri=WALLET), graduate)
    assert phone.get_attribute("html", "lang") == "ar"
    assert phone.get_attribute("html", "dir") == "rtl"
    assert graduate["family_name#ar"] in phone.locator("main").inner_text()
    assert "محفظة على هذا الجهاز" in phone.locator("#wallet-where").inner_text()
    confirm = phone.get_by_role("button", name="تأكيد: أضف شهادتي إلى هذه المحفظة")
    # The style sheet loads under the Content-Security-Policy: the button has its colour.
    assert confirm.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(10, 92, 54)"
    assert phone.get_by_role("button", name="رفض: لا تعط شيئا").is_visible()
    no_horizontal_scroll(phone)
    phone.screenshot(path=str(shots / "consent-01-ar-this-device.png"), full_page=True)
    phone.get_by_role("link", name="Français").click()
    assert phone.get_attribute("html", "lang") == "fr"
    assert phone.get_attribute("html", "dir") == "ltr"
    assert graduate["family_name"] in phone.locator("main").inner_text()
    no_horizontal_scroll(phone)
    phone.screenshot(path=str(shots / "consent-02-fr-this-device.png"), full_page=True)
    phone.get_by_role("button", name="Confirmer : ajouter mon diplôme à ce portefeuille").click()
    phone.wait_for_url(f"{WALLET}**")
    assert len(arrived) == 1
    assert arrived[0]["code"]
    assert arrived[0]["state"] == "wallet-state"
    assert arrived[0]["iss"] == platform.issuer_url
    # Back to the page after answering: the request is spent, and the page says so in the graduate's language.
    phone.go_back()
    assert phone.get_attribute("html", "lang") == "fr"
    refusal = phone.get_by_role("alert")
    assert "déjà reçu une réponse" in refusal.inner_text()
    assert "authorize.consent_unknown" in phone.locator("main").inner_text()
    assert phone.get_by_role("button").count() == 0
    no_horizontal_scroll(phone)
    phone.screenshot(path=str(shots / "consent-04-fr-already-answered.png"), full_page=True)


def test_a_graduate_refuses_a_remote_wallet_on_a_phone(platform: LoginPlatform, phone: Any, shots: Path) -> None:
    graduate = platform.graduate()
    arrived: list[dict[str, str]] = []

    def remote_wallet(route: Any) -> None:
        arrived.append(dict(parse_qsl(urlsplit(route.request.url).query)))
        route.fulfill(status=200, content_type="text/html", body="<p>the remote wallet</p>")

    phone.route("https://wallet.unknown.example/**", remote_wallet)
    log_in(
        phone,
        authorize_url(platform, client_id="wallet-of-someone", redirect_uri="https://wallet.unknown.example/cb"),
        graduate,
    )
    warning = phone.get_by_role("alert")
    assert "wallet.unknown.example" in warning.inner_text()
    assert "فارفض" in warning.inner_text()
    assert "wallet-of-someone" in phone.locator("main").inner_text()
    no_horizontal_scroll(phone)
    phone.screenshot(path=str(shots / "consent-03-ar-remote-wallet.png"), full_page=True)
    phone.get_by_role("button", name="رفض: لا تعط شيئا").click()
    phone.wait_for_url("https://wallet.unknown.example/**")
    assert arrived == [
        {
            "error": "access_denied",
            "error_description": "the graduate refused to add the diploma to this wallet",
            "state": "wallet-state",
        }
    ]
