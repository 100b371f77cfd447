"""The portal in a real headless Chromium on a phone-sized screen (Debian's, driven by Playwright): a candidate logs
in with the development eID, confirms their data, downloads the convocation and sees the result at the announced
second. Screenshots of every step go to ``TAWTIQ_SCREENSHOTS`` (a directory) when it is set, else to the test's
temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from common.service.clock import FixedClock
from exams.results import publish
from tests.common.pdf_inspect import cells
from tests.portal.conftest import NOW, SESSION, ExamYear
from tests.portal.live import RunningPortal

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("TAWTIQ_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ANNOUNCED = NOW.replace(day=14, hour=8)  # 09:00 in Morocco


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (set TAWTIQ_CHROMIUM; .ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def clock() -> FixedClock:
    """Results morning: the candidate checks their data and waits for the announcement."""
    return FixedClock(ANNOUNCED - timedelta(minutes=10))


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ar-MA", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("TAWTIQ_SCREENSHOTS", tmp_path / "screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"


def test_a_candidate_from_login_to_the_result_at_the_announced_second(
    phone: Any, portal: RunningPortal, exam_year: ExamYear, shots: Path
) -> None:
    card, row = exam_year.cards[0], exam_year.rows[0]
    assert row["stream.code"] == "SGC"  # a stream with the longest subject label
    page = phone
    page.goto(f"{portal.base}/")
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.inner_text("h1") == "بوابة مترشحي البكالوريا"
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "01-welcome.png"), full_page=True)

    page.get_by_role("link", name="الدخول بالبطاقة الوطنية الإلكترونية").click()
    assert page.url.startswith(f"{portal.eid_base}/authorize")
    page.fill("input[name=cnie]", card.cnie)
    page.fill("input[name=pin]", card.pin)
    page.screenshot(path=str(shots / "02-eid-login.png"), full_page=True)
    page.click("button[type=submit]")

    page.wait_for_url(f"{portal.base}/me?lang=ar")
    assert page.inner_text("h1") == "معطياتي الشخصية"
    assert page.get_attribute("#state", "data-state") == "unconfirmed"
    registry = page.inner_text("dl.registry")
    assert row["familyName.ar"] in registry
    assert row["massarCode"] in registry
    assert f"{card.given_name_ar} {card.family_name_ar}" in page.inner_text("header")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "03-personal-data.png"), full_page=True)

    page.get_by_role("button", name="أؤكد صحة معطياتي").click()
    assert page.get_attribute("#state", "data-state") == "confirmed"
    assert "تم تسجيل تأكيدك" in page.inner_text("[role=status].notice")
    page.screenshot(path=str(shots / "04-confirmed.png"), full_page=True)

    page.get_by_role("link", name="الاستدعاء").click()
    assert page.get_attribute("#convocation-state", "data-ready") == "true"
    page.screenshot(path=str(shots / "05-convocation.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="تحميل الاستدعاء (PDF)").click()
    saved = shots / "convocation.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert "الاقتصاد والتنظيم الإداري للمقاولات" in cells(saved.read_bytes())

    publish(exam_year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=portal.clock.now())
    page.get_by_role("link", name="النتيجة").click()
    assert page.inner_text("#announcement") == "يُعلن عن النتائج يوم 2025-06-14 على الساعة 09:00:00 بتوقيت المغرب."
    page.screenshot(path=str(shots / "06-results-announced.png"), full_page=True)
    portal.set_time(ANNOUNCED - timedelta(seconds=1))
    page.reload()
    assert page.locator("#decision").count() == 0, "one second before: nothing"
    portal.set_time(ANNOUNCED)
    page.reload()
    decision = page.get_attribute("section.verdict", "data-decision")
    assert decision in ("admitted", "catch_up", "not_admitted")
    assert page.inner_text("#average").endswith("/ 20")
    assert page.locator("table.marks tbody tr").count() >= 4
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "07-result.png"), full_page=True)

    page.get_by_role("link", name="Français").click()
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.inner_text("h1") == "Résultat de l'examen"
    assert "Notes par matière" in page.inner_text("main")
    page.screenshot(path=str(shots / "08-result-fr.png"), full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    assert page.url == f"{portal.base}/?lang=fr"
    page.goto(f"{portal.base}/results")
    assert page.url.startswith(f"{portal.eid_base}/authorize"), "logged out: the results ask for the login again"


def test_a_refused_login_reads_as_a_page(phone: Any, portal: RunningPortal, shots: Path) -> None:
    page = phone
    page.goto(f"{portal.base}/login/callback?state=forged&code=forged")
    assert page.get_attribute("#error", "data-code") == "login.unknown"
    assert page.get_by_role("link", name="الدخول من جديد").is_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "09-refused-login.png"), full_page=True)
