"""Complaints in a real headless Chromium on phone-sized screens: a candidate files a complaint from the results page,
the academy's reviewer starts the review and upholds it after the confirmation, and the candidate sees the corrected
mark and result and gets the corrected diploma's wallet offer (QR code, link, PIN). Screenshots of every step go to
``TAWTIQ_SCREENSHOTS`` when it is set (see :mod:`tests.portal.test_browser`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
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
from tests.portal.test_complaints import _admitted

ANNOUNCED = NOW.replace(day=14, hour=8)


@pytest.fixture
def clock() -> FixedClock:
    """The morning after the announcement: the complaint window is open."""
    return FixedClock(ANNOUNCED + timedelta(hours=25))


@pytest.fixture
def phones(chromium: Any) -> Iterator[tuple[Any, Any]]:  # noqa: F811 - the imported fixture
    """Two phones: the candidate's and the reviewer's."""
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


def test_a_complaint_from_the_phone_to_the_corrected_diploma_in_the_wallet_offer(
    phones: tuple[Any, Any],
    portal: RunningPortal,
    exam_year: ExamYear,
    shots: Path,  # noqa: F811 - the imported fixture
) -> None:
    publish(exam_year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=NOW)
    index = _admitted(exam_year)
    card, row = exam_year.cards[index], exam_year.rows[index]
    officer = exam_year.cards[0 if index else 1]
    staff.add(exam_year.engine, cnie=officer.cnie, role=Role.ACADEMY_REVIEWER, scope=row["academy.code"], at=NOW)
    candidate, reviewer = phones

    _log_in(candidate, portal, card, "/results")
    assert candidate.get_attribute("#complaint-window", "data-window") == "open"
    average_before = candidate.inner_text("#average")
    section = candidate.locator("#complaints")
    assert section.get_by_role("heading", name="التظلم بشأن نقطة").is_visible()
    _no_horizontal_scroll(candidate)
    candidate.screenshot(path=str(shots / "c01-result-with-complaint-form.png"), full_page=True)

    subject = candidate.locator("#complaint-subject option").first
    subject_label = subject.inner_text()
    candidate.select_option("#complaint-subject", index=0)
    candidate.get_by_label("خطأ في جمع النقط").check()
    candidate.get_by_label("وصف الخطأ").fill("التمرين الثالث: 4 نقط على ورقة التحرير، 1 في المجموع")
    candidate.get_by_role("button", name="إرسال التظلم").click()
    assert "تم تسجيل تظلمك" in candidate.inner_text("#complaints [role=status]")
    filed = candidate.locator("li.complaint")
    assert filed.count() == 1
    assert filed.get_attribute("data-state") == "received"
    assert subject_label in filed.inner_text()
    assert candidate.locator(f"#complaint-subject option:text-is('{subject_label}')").count() == 0
    _no_horizontal_scroll(candidate)
    candidate.screenshot(path=str(shots / "c02-complaint-received.png"), full_page=True)

    _log_in(reviewer, portal, officer, "/staff/complaints")
    item = reviewer.locator("li.complaint")
    assert item.count() == 1
    assert row["massarCode"] in item.inner_text()
    _no_horizontal_scroll(reviewer)
    reviewer.screenshot(path=str(shots / "c03-reviewer-queue.png"), full_page=True)
    reviewer.get_by_role("button", name="بدء الدراسة").click()
    assert reviewer.locator("li.complaint").get_attribute("data-state") == "under_review"
    reviewer.get_by_label("النقطة المصححة (على 20)").fill("19.50")
    reviewer.get_by_label("السبب (يطلع عليه المترشح)").fill("أعيد جمع نقط التمرين الثالث")
    reviewer.get_by_role("button", name="قبول مع النقطة المصححة").click()
    assert reviewer.inner_text("h1") == "تأكيد القرار"
    assert row["massarCode"] in reviewer.inner_text("#confirm-whom")
    assert "19.50 / 20" in reviewer.inner_text("main")
    _no_horizontal_scroll(reviewer)
    reviewer.screenshot(path=str(shots / "c04-reviewer-confirms.png"), full_page=True)
    reviewer.get_by_role("button", name="تأكيد القرار").click()
    assert "صدرت شهادة مصححة" in reviewer.inner_text("[role=status].notice")
    assert reviewer.locator("#queue-empty").is_visible()

    candidate.reload()
    filed = candidate.locator("li.complaint")
    assert filed.get_attribute("data-state") == "upheld"
    assert "19.50 / 20" in filed.inner_text()
    assert candidate.inner_text("#average") != average_before, "the new result is shown"
    assert candidate.get_attribute("#corrected", "data-outcome") == "superseded"
    _no_horizontal_scroll(candidate)
    candidate.screenshot(path=str(shots / "c05-complaint-upheld.png"), full_page=True)
    candidate.get_by_role("button", name="إضافة الشهادة المصححة إلى محفظتي").click()
    assert candidate.inner_text("h1") == "شهادتك المصححة"
    assert candidate.locator("#offer-qr svg").is_visible()
    box = candidate.locator("#offer-qr svg").bounding_box()
    assert box is not None
    assert box["width"] <= 390
    assert candidate.inner_text("#offer-pin").isdigit()
    assert candidate.get_attribute("#offer-link", "href").startswith("openid-credential-offer://")
    _no_horizontal_scroll(candidate)
    candidate.screenshot(path=str(shots / "c06-wallet-offer.png"), full_page=True)
