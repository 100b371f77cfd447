"""The scholarship in a real headless Chromium on phone-sized screens: an admitted graduate saves a draft, has a
tampered choice refused beside its field, submits, and a second tab's stale form is refused; the province's officer
takes the application up and grants it after the confirmation naming the applicant; the graduate sees it granted.
Screenshots of every step go to ``TAWTIQ_SCREENSHOTS`` when it is set (see :mod:`tests.portal.test_browser`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.service.clock import FixedClock
from exams.results import publish
from portal import staff
from portal.staff import Role
from tests.portal.conftest import NOW, SESSION, ExamYear
from tests.portal.live import Card, RunningPortal
from tests.portal.test_browser import _no_horizontal_scroll, chromium, shots  # noqa: F401 - fixtures

ANNOUNCED = NOW.replace(day=14, hour=8)
GRADUATE, OFFICER = 1, 5  # admitted, and not a candidate of the graduate's province (see test_scholarship.py)


@pytest.fixture
def clock() -> FixedClock:
    """Results day, after the announcement."""
    return FixedClock(ANNOUNCED)


@pytest.fixture
def phones(chromium: Any) -> Iterator[tuple[Any, Any]]:  # noqa: F811 - the imported fixture
    """Two phones: the graduate's and the officer's."""
    contexts = [chromium.new_context(viewport={"width": 390, "height": 844}, locale="ar-MA") for _ in range(2)]
    yield contexts[0].new_page(), contexts[1].new_page()
    for context in contexts:
        context.close()


def _log_in(page: Any, portal: RunningPortal, card: Card, path: str) -> None:
    page.goto(f"{portal.base}{path}")
    assert page.url.startswith(f"{portal.eid_base}/authorize")
    page.fill("input[name=cnie]", card.cnie)
    page.fill("input[name=pin]", card.pin)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.base}{path}?lang=ar")


def test_a_graduate_applies_from_the_phone_and_the_provinces_officer_grants_it(
    phones: tuple[Any, Any],
    portal: RunningPortal,
    exam_year: ExamYear,
    shots: Path,  # noqa: F811 - the imported fixture
) -> None:
    publish(exam_year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=NOW)
    card, row = exam_year.cards[GRADUATE], exam_year.rows[GRADUATE]
    officer_card = exam_year.cards[OFFICER]
    staff.add(
        exam_year.engine,
        cnie=officer_card.cnie,
        role=Role.SCHOLARSHIP_OFFICER,
        scope=row["directorate.code"],
        at=NOW,
    )
    graduate, officer = phones

    _log_in(graduate, portal, card, "/scholarship")
    assert graduate.get_attribute("html", "dir") == "rtl"
    assert graduate.inner_text("h1") == "طلب منحة التعليم العالي"
    assert graduate.get_attribute("#state", "data-state") == "none"
    _no_horizontal_scroll(graduate)
    graduate.screenshot(path=str(shots / "s01-scholarship-form.png"), full_page=True)

    graduate.get_by_label("الدخل السنوي للأسرة").select_option("60k_to_100k")
    graduate.get_by_label("عدد الإخوة والأخوات في التعليم العالي").fill("1")
    graduate.get_by_role("button", name="حفظ كمسودة").click()
    assert graduate.get_attribute("#state", "data-state") == "draft"
    assert graduate.inner_text("[role=status].notice") == "تم حفظ المسودة."
    assert graduate.get_by_label("الدخل السنوي للأسرة").input_value() == "60k_to_100k"
    graduate.screenshot(path=str(shots / "s02-draft-saved.png"), full_page=True)

    # A tampered choice (the option's value changed in the page): refused beside its field, nothing saved.
    graduate.get_by_label("الوضعية العائلية").select_option("both_parents")
    graduate.evaluate("document.querySelector('#establishment option[value=CPGE]').value = 'HARVARD'")
    graduate.get_by_label("المؤسسة التي تنوي التسجيل بها").select_option("HARVARD")
    graduate.get_by_role("button", name="إرسال الطلب").click()
    field = graduate.get_by_label("المؤسسة التي تنوي التسجيل بها")
    assert field.get_attribute("aria-invalid") == "true"
    error = graduate.locator("#establishment-error")
    assert error.get_attribute("role") == "alert"
    assert "اختر مؤسسة من القائمة." in error.inner_text()
    assert "found 'HARVARD'" in error.inner_text()
    assert graduate.get_attribute("#state", "data-state") == "draft"
    _no_horizontal_scroll(graduate)
    graduate.screenshot(path=str(shots / "s03-tampered-field.png"), full_page=True)

    # A second tab keeps the form while the first submits.
    second_tab = graduate.context.new_page()
    second_tab.goto(f"{portal.base}/scholarship")
    graduate.get_by_label("المؤسسة التي تنوي التسجيل بها").select_option("CPGE")
    graduate.get_by_role("button", name="إرسال الطلب").click()
    assert graduate.get_attribute("#state", "data-state") == "submitted"
    assert graduate.get_attribute("#eligibility", "data-eligible") == "true"
    assert graduate.locator("[data-reason=income_eligible_with_siblings]").is_visible()
    assert graduate.locator("#application").count() == 0
    _no_horizontal_scroll(graduate)
    graduate.screenshot(path=str(shots / "s04-submitted.png"), full_page=True)
    second_tab.get_by_label("الدخل السنوي للأسرة").select_option("under_30k")
    second_tab.get_by_role("button", name="إرسال الطلب").click()
    assert second_tab.get_attribute("#error", "data-code") == "scholarship.submitted"
    second_tab.screenshot(path=str(shots / "s05-second-tab-refused.png"), full_page=True)
    second_tab.close()

    _log_in(officer, portal, officer_card, "/staff/scholarships")
    assert officer.inner_text("h1") == "طلبات منحة التعليم العالي"
    assert row["massarCode"] in officer.inner_text("ul.queue")
    _no_horizontal_scroll(officer)
    officer.screenshot(path=str(shots / "s06-officer-queue.png"), full_page=True)
    officer.get_by_role("link", name="فتح الطلب").click()
    officer.get_by_role("button", name="بدء دراسة الطلب").click()
    assert officer.get_attribute("#state", "data-state") == "under_review"
    assert officer.get_by_role("button", name="منح المنحة").is_enabled()
    _no_horizontal_scroll(officer)
    officer.screenshot(path=str(shots / "s07-officer-application.png"), full_page=True)
    officer.get_by_role("button", name="منح المنحة").click()
    whom = officer.inner_text("#confirm-whom")
    assert row["massarCode"] in whom
    assert row["familyName.ar"] in whom
    assert row["school.ar"] in whom
    _no_horizontal_scroll(officer)
    officer.screenshot(path=str(shots / "s08-officer-confirm.png"), full_page=True)
    officer.get_by_role("button", name="تأكيد منح المنحة").click()
    assert officer.inner_text("[role=status].notice") == "تم تسجيل القرار."
    assert officer.locator("#queue-empty").is_visible()

    graduate.reload()
    assert graduate.get_attribute("#state", "data-state") == "granted"
    graduate.get_by_role("link", name="Français").click()
    assert graduate.get_attribute("html", "dir") == "ltr"
    assert graduate.inner_text("#state") == "État de la demande: Accordée"
    _no_horizontal_scroll(graduate)
    graduate.screenshot(path=str(shots / "s09-granted-fr.png"), full_page=True)
