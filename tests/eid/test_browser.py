"""The eID login page in a real headless Chromium at phone size: Arabic by default, French on request, the wrong-PIN
error announced and tied to its field, and a successful login sending the browser back to the relying party."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.eid.live import PORTAL_CALLBACK, RunningEid, running_eid

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("TAWTIQ_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (set TAWTIQ_CHROMIUM; .ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def eid(tmp_path: Path) -> Iterator[RunningEid]:
    with running_eid(tmp_path) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    opened = context.new_page()
    yield opened
    context.close()


def authorize_url(eid: RunningEid, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "portal",
        "redirect_uri": PORTAL_CALLBACK,
        "scope": "openid",
        "state": "st-1",
        "nonce": os.urandom(6).hex(),
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{eid.base}/authorize?{urlencode(params)}"


def test_a_card_holder_logs_in_on_a_phone(page: Any, eid: RunningEid) -> None:
    arrived: list[str] = []

    def relying_party(route: Any) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>back at the portal</p>")

    page.route(f"{PORTAL_CALLBACK}**", relying_party)
    page.goto(authorize_url(eid))
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    # The style sheet loads under the Content-Security-Policy: the button has its colour.
    button = page.get_by_role("button", name="تسجيل الدخول")
    assert button.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(10, 92, 54)"
    page.get_by_label("رقم البطاقة الوطنية").fill("BE123456")
    page.get_by_label("الرقم السري للبطاقة (6 أرقام)").fill("000000")
    button.click()
    error = page.locator("#pin-error")
    assert error.get_attribute("role") == "alert"
    assert "المحاولات المتبقية: 2" in error.inner_text()
    pin = page.get_by_label("الرقم السري للبطاقة (6 أرقام)")
    assert pin.get_attribute("aria-invalid") == "true"
    assert "pin-error" in (pin.get_attribute("aria-describedby") or "")
    assert page.evaluate("document.activeElement.id") == "pin"  # the field at fault has the focus
    assert page.get_by_label("رقم البطاقة الوطنية").input_value() == "BE123456"
    pin.fill("123456")
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(f"{PORTAL_CALLBACK}**")
    assert len(arrived) == 1
    params = dict(parse_qsl(urlsplit(arrived[0]).query))
    assert params["state"] == "st-1"
    assert params["code"]


def test_the_page_switches_to_french(page: Any, eid: RunningEid) -> None:
    page.goto(authorize_url(eid))
    page.get_by_role("link", name="Français").click()
    assert page.get_attribute("html", "lang") == "fr"
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.get_by_label("Numéro de la carte nationale (CNIE)").is_visible()
    page.get_by_label("Numéro de la carte nationale (CNIE)").fill("ZZ000001")
    page.get_by_label("Code PIN de la carte (6 chiffres)").fill("123456")
    page.get_by_role("button", name="Se connecter").click()
    assert "Aucune carte ne porte ce numéro" in page.locator("#cnie-error").inner_text()
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
