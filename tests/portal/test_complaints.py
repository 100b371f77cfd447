"""Complaints about a mark over real HTTP after real eID logins: a candidate files one from the results page, the
academy's reviewer starts the review and decides it after a confirmation, the candidate sees the new mark, the new
result and a wallet offer for the corrected diploma; and every refusal (window, another's subject, a second
complaint, a replayed form, a role that may not decide, another academy) with its code and nothing written twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from common.service.clock import FixedClock
from exams.complaints import complaints_of, set_window
from exams.models import ComplaintRow
from exams.results import publish, result_of
from issuer.db import reading
from issuer.models import ACTIVE, REVOKED, AuditEvent, CredentialOffer, Diploma, Graduate
from portal import staff
from portal.staff import Role
from tests.portal.conftest import NOW, SESSION, ExamYear
from tests.portal.live import Browser, RunningPortal, browser_of, error_code

ANNOUNCED = NOW.replace(day=14, hour=8)
BOTH_DATABASES = pytest.mark.parametrize("portal_database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def clock() -> FixedClock:
    """An hour after the announcement: the complaint window (three days by default) is open."""
    return FixedClock(ANNOUNCED + timedelta(hours=1))


@pytest.fixture
def published(exam_year: ExamYear) -> ExamYear:
    publish(exam_year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=NOW)
    return exam_year


def _admitted(year: ExamYear) -> int:
    """The index of an admitted candidate (the generated session has some)."""
    for index, card in enumerate(year.cards):
        result = result_of(year.engine, session=SESSION, cnie=card.cnie, now=ANNOUNCED)
        if result is not None and result.decision == "admitted":
            return index
    raise AssertionError("no admitted candidate in the generated session")


def _subject(page: httpx.Response) -> str:
    """The first subject the complaint form offers."""
    match = re.search(r'<select id="complaint-subject" name="subject" required><option value="([A-Z0-9_]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _file(browser: Browser, **fields: str) -> httpx.Response:
    values = {"kind": "wrong_sum", "comment": "Exercise 3 is marked 4/5 but counted as 1 in the total"}
    return browser.post(
        "/results/complaints", {"csrf_token": browser.csrf_token("/results"), "lang": "ar", **values, **fields}
    )


def _complaint_count(year: ExamYear) -> int:
    with reading(year.engine) as db:
        return int(db.execute(select(func.count()).select_from(ComplaintRow)).scalar_one())


@pytest.fixture
def reviewer(published: ExamYear, portal: RunningPortal) -> Iterator[Browser]:
    """The academy reviewer of the admitted candidate's academy (staff log in with their own eID cards)."""
    admitted = _admitted(published)
    index = len(published.cards) - 1 if admitted != len(published.cards) - 1 else 0
    staff.add(
        published.engine,
        cnie=published.cards[index].cnie,
        role=Role.ACADEMY_REVIEWER,
        scope=published.rows[admitted]["academy.code"],
        at=NOW,
    )
    with browser_of(portal) as opened:
        opened.log_in(published.cards[index])
        yield opened


def _decide(browser: Browser, complaint_id: int, **fields: str) -> httpx.Response:
    token = browser.csrf_token("/staff/complaints")
    return browser.post(f"/staff/complaints/{complaint_id}/decide", {"csrf_token": token, "lang": "ar", **fields})


@BOTH_DATABASES
def test_a_complaint_upheld_changes_the_result_and_offers_the_corrected_diploma(portal, browser, published, reviewer):
    index = _admitted(published)
    card, row = published.cards[index], published.rows[index]
    browser.log_in(card)
    page = browser.get("/results")
    assert 'data-window="open"' in page.text
    assert "يُقبل التظلم إلى غاية 2025-06-17" in page.text
    before = re.search(r'id="average"><bdi dir="ltr">([0-9.]+) / 20', page.text)
    assert before
    subject = _subject(page)
    answer = _file(browser, subject=subject)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/results?lang=ar&done=complaint#complaints"
    page = browser.get("/results?done=complaint")
    assert "تم تسجيل تظلمك" in page.text
    assert 'data-state="received"' in page.text
    assert f'<option value="{subject}"' not in page.text, "one complaint per subject: the form no longer offers it"
    (filed,) = complaints_of(published.engine, session=SESSION, cnie=card.cnie)

    queue = reviewer.get("/staff/complaints")
    assert queue.status_code == 200
    assert f'data-complaint="{filed.id}"' in queue.text
    assert row["massarCode"] in queue.text
    assert f"{filed.original_mark:.2f} / 20" in queue.text
    filtered = reviewer.get(f"/staff/complaints?subject={subject}&centre={row['examCentre.code']}")
    assert f'data-complaint="{filed.id}"' in filtered.text
    assert f'data-complaint="{filed.id}"' not in reviewer.get("/staff/complaints?subject=NOPE").text
    assert 'id="queue-empty"' in reviewer.get("/staff/complaints?centre=NOWHERE").text
    token = reviewer.csrf_token("/staff/complaints")
    started = reviewer.post(f"/staff/complaints/{filed.id}/review", {"csrf_token": token, "lang": "ar"})
    assert started.status_code == 303
    assert 'data-state="under_review"' in browser.get("/results").text

    new_mark = "19.75" if filed.original_mark != 19.75 else "18.00"
    confirm = _decide(reviewer, filed.id, decision="uphold", new_mark=new_mark, reason="Sum of exercise 3 corrected")
    assert confirm.status_code == 200
    assert 'id="confirm-whom"' in confirm.text
    assert row["massarCode"] in confirm.text, "the confirmation names whom the decision touches"
    assert f"{new_mark} / 20" in confirm.text
    assert complaints_of(published.engine, session=SESSION, cnie=card.cnie)[0].state == "under_review"
    decided = _decide(
        reviewer, filed.id, decision="uphold", new_mark=new_mark, reason="Sum of exercise 3 corrected", confirm="yes"
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == "/staff/complaints?lang=ar&done=superseded"
    assert "صدرت شهادة مصححة" in reviewer.get(decided.headers["location"]).text

    page = browser.get("/results?lang=fr")
    assert 'data-state="upheld"' in page.text
    assert f"{new_mark} / 20" in page.text
    assert "Sum of exercise 3 corrected" in page.text
    after = re.search(r'id="average"><bdi dir="ltr">([0-9.]+) / 20', page.text)
    assert after
    assert after.group(1) != before.group(1), "the page shows the new result"
    assert 'data-outcome="superseded"' in page.text
    with reading(published.engine) as db:
        graduate = db.execute(select(Graduate).where(col(Graduate.cnie) == card.cnie)).scalar_one()
        records = db.execute(select(Diploma).where(col(Diploma.graduate_id) == graduate.id)).scalars().all()
    old = next(record for record in records if record.replaces is None)
    new = next(record for record in records if record.replaces == old.id)
    assert old.status == REVOKED
    assert old.replaced_by == new.id
    assert "corrected after complaint" in (old.status_reason or "")
    assert new.status == ACTIVE

    offer = browser.post("/results/offer", {"csrf_token": browser.csrf_token("/results"), "lang": "fr"})
    assert offer.status_code == 200
    assert offer.headers["cache-control"] == "no-store"
    link = re.search(r'id="offer-link" class="button" href="([^"]+)"|href="([^"]+)" id="offer-link"', offer.text)
    assert link
    uri = (link.group(1) or link.group(2)).replace("&amp;", "&")
    assert uri.startswith("openid-credential-offer://?credential_offer_uri=")
    offer_url = unquote(parse_qs(urlsplit(uri).query)["credential_offer_uri"][0])
    assert offer_url.startswith(published.settings.issuer_url + "/offers/")
    assert re.search(r'id="offer-pin" class="pin"><bdi dir="ltr">\d{6}</bdi>', offer.text)
    assert "<svg" in offer.text
    assert "<?xml" not in offer.text
    with reading(published.engine) as db:
        offers = db.execute(select(CredentialOffer)).scalars().all()
    assert [item.diploma_id for item in offers] == [new.id], "the offer is for the corrected record"
    with reading(published.engine) as db:
        actions = [event.action for event in db.execute(select(AuditEvent)).scalars()]
        people = " ".join(event.actor + event.details for event in db.execute(select(AuditEvent)).scalars())
    for action in ("exam.complaint_file", "exam.complaint_review", "exam.complaint_decide", "offer.create"):
        assert action in actions
    assert card.cnie not in people


def test_a_rejected_complaint_shows_the_reason_and_a_replayed_decision_writes_nothing(
    portal, browser, published, reviewer
):
    index = _admitted(published)
    browser.log_in(published.cards[index])
    assert _file(browser, subject=_subject(browser.get("/results"))).status_code == 303
    (filed,) = complaints_of(published.engine, session=SESSION, cnie=published.cards[index].cnie)
    no_reason = _decide(reviewer, filed.id, decision="reject", reason="  ")
    assert no_reason.status_code == 400
    assert error_code(no_reason) == "complaint.reason_required"
    for mark in ("21", "abc", f"{filed.original_mark:.2f}", ""):
        bad = _decide(reviewer, filed.id, decision="uphold", new_mark=mark, reason="r")
        assert bad.status_code == 400, mark
        assert error_code(bad) == "complaint.mark_invalid"
    nothing = _decide(reviewer, filed.id, decision="maybe", reason="r")
    assert error_code(nothing) == "complaint.decision"
    fields = {"decision": "reject", "reason": "The total is right: 4 + 3.5 + 6", "confirm": "yes"}
    first = _decide(reviewer, filed.id, **fields)
    assert first.headers["location"] == "/staff/complaints?lang=ar&done=rejected"
    again = _decide(reviewer, filed.id, **fields)
    assert again.status_code == 303, "a replayed confirmation is answered as the first time"
    other = _decide(reviewer, filed.id, decision="uphold", new_mark="20", reason="changed my mind", confirm="yes")
    assert other.status_code == 409
    assert error_code(other) == "complaint.decided"
    with reading(published.engine) as db:
        decisions = db.execute(select(AuditEvent).where(col(AuditEvent.action) == "exam.complaint_decide")).all()
    assert len(decisions) == 1
    page = browser.get("/results")
    assert 'data-state="rejected"' in page.text
    assert "The total is right: 4 + 3.5 + 6" in page.text
    assert 'id="corrected"' not in page.text


@BOTH_DATABASES
def test_tampered_second_and_replayed_complaints_are_refused_or_answered_once(portal, browser, published):
    mine, theirs = published.cards[0], published.cards[1]
    browser.log_in(mine)
    subject = _subject(browser.get("/results"))
    tampered = _file(browser, subject="MATH-OF-SOMEONE-ELSE", cnie=theirs.cnie)
    assert tampered.status_code == 400
    assert error_code(tampered) == "complaint.subject_invalid"
    continuous = _file(browser, subject="CC")
    assert error_code(continuous) == "complaint.subject_invalid"
    kind = _file(browser, subject=subject, kind="regrade_please")
    assert error_code(kind) == "complaint.kind_invalid"
    empty = _file(browser, subject=subject, comment=" ")
    assert error_code(empty) == "complaint.comment_invalid"
    assert _complaint_count(published) == 0

    token = browser.csrf_token("/results")
    form = {"csrf_token": token, "lang": "ar", "subject": subject, "kind": "transcription", "comment": "8 not 18"}
    first = browser.post("/results/complaints", {**form, "cnie": theirs.cnie})
    assert first.status_code == 303
    with browser_of(portal) as second_tab:  # the same person, another tab of the same session
        second_tab.http.cookies = browser.http.cookies
        replay = second_tab.post("/results/complaints", form)
    assert replay.status_code == 303, "the same complaint sent again is answered as the first time"
    assert _complaint_count(published) == 1
    second = _file(browser, subject=subject, comment="Another error in the same subject")
    assert second.status_code == 409
    assert error_code(second) == "complaint.duplicate"
    assert "سبق أن قدّمتَ تظلمًا في هذه المادة" in second.text
    assert _complaint_count(published) == 1
    assert complaints_of(published.engine, session=SESSION, cnie=theirs.cnie) == []
    assert len(complaints_of(published.engine, session=SESSION, cnie=mine.cnie)) == 1
    no_token = browser.post("/results/complaints", {k: v for k, v in form.items() if k != "csrf_token"})
    assert error_code(no_token) == "request.csrf"


def test_outside_the_window_the_page_says_when_and_the_server_refuses(portal, browser, published):
    card = published.cards[0]
    opens = ANNOUNCED + timedelta(days=1)
    set_window(published.engine, session=SESSION, open_at=opens, close_at=opens + timedelta(days=2), actor="t", now=NOW)
    browser.log_in(card)
    page = browser.get("/results")
    assert 'data-window="before"' in page.text
    assert "يُفتح باب التظلمات يوم 2025-06-15 على الساعة 09:00" in page.text
    assert 'id="file-complaint"' not in page.text
    subject = "MATH"
    early = _file(browser, subject=subject)
    assert early.status_code == 409
    assert error_code(early) == "complaint.window_not_open"
    portal.set_time(opens + timedelta(days=2))
    browser.log_in(card)
    page = browser.get("/results?lang=fr")
    assert 'data-window="closed"' in page.text
    assert "Les réclamations sont closes depuis le 2025-06-17 à 09:00" in page.text
    late = _file(browser, subject=subject)
    assert late.status_code == 409
    assert error_code(late) == "complaint.window_closed"
    assert _complaint_count(published) == 0


def test_only_the_complaints_academy_reviewer_may_review_or_decide(portal, browser, published):
    index = _admitted(published)
    card, row = published.cards[index], published.rows[index]
    browser.log_in(card)
    assert _file(browser, subject=_subject(browser.get("/results"))).status_code == 303
    (filed,) = complaints_of(published.engine, session=SESSION, cnie=card.cnie)
    others = [item for i, item in enumerate(published.cards) if i != index]
    school, administrator, elsewhere = others[0], others[1], others[2]
    staff.add(published.engine, cnie=school.cnie, role=Role.SCHOOL_REVIEWER, scope=row["school.code"], at=NOW)
    staff.add(published.engine, cnie=administrator.cnie, role=Role.EXAM_ADMINISTRATOR, scope="", at=NOW)
    staff.add(published.engine, cnie=elsewhere.cnie, role=Role.ACADEMY_REVIEWER, scope="ANOTHER-ACADEMY", at=NOW)
    for person, code in ((school, "staff.complaint_role"), (administrator, "staff.complaint_role")):
        with browser_of(portal) as other:
            other.log_in(person)
            assert error_code(other.get("/staff/complaints")) == code
            token = other.csrf_token("/me")
            refused = other.post(
                f"/staff/complaints/{filed.id}/decide",
                {"csrf_token": token, "decision": "reject", "reason": "no", "confirm": "yes"},
            )
            assert refused.status_code == 403
            assert error_code(refused) == code
    with browser_of(portal) as other:
        other.log_in(elsewhere)
        assert f'data-complaint="{filed.id}"' not in other.get("/staff/complaints").text
        token = other.csrf_token("/staff/complaints")
        for action in ("review", "decide"):
            refused = other.post(
                f"/staff/complaints/{filed.id}/{action}",
                {"csrf_token": token, "decision": "reject", "reason": "no", "confirm": "yes"},
            )
            assert refused.status_code == 403
            assert error_code(refused) == "complaint.other_academy"
        unknown = other.post("/staff/complaints/999999/review", {"csrf_token": token})
        assert unknown.status_code == 404
        assert error_code(unknown) == "complaint.unknown"
    token = browser.csrf_token("/results")
    candidate = browser.post(
        f"/staff/complaints/{filed.id}/decide", {"csrf_token": token, "decision": "reject", "reason": "x"}
    )
    assert candidate.status_code == 403
    assert error_code(candidate) == "staff.forbidden"
    no_offer = browser.post("/results/offer", {"csrf_token": token})
    assert no_offer.status_code == 409
    assert error_code(no_offer) == "offer.none"
    assert complaints_of(published.engine, session=SESSION, cnie=card.cnie)[0].state == "received"


@BOTH_DATABASES
def test_two_tabs_sending_the_same_complaint_at_once_write_it_once(portal, browser, published):
    browser.log_in(published.cards[0])
    subject = _subject(browser.get("/results"))
    form = {
        "csrf_token": browser.csrf_token("/results"),
        "lang": "fr",
        "subject": subject,
        "kind": "unmarked_part",
        "comment": "Question 4 b) was not marked",
    }
    tabs = []
    for _ in range(4):
        tab = httpx.Client(timeout=20, cookies=browser.http.cookies)
        tabs.append(tab)
    try:
        with ThreadPoolExecutor(max_workers=len(tabs)) as pool:
            answers = list(pool.map(lambda tab: tab.post(f"{portal.base}/results/complaints", data=form), tabs))
    finally:
        for tab in tabs:
            tab.close()
    assert [answer.status_code for answer in answers] == [303] * len(tabs), [error_code(a) for a in answers]
    assert _complaint_count(published) == 1
    with reading(published.engine) as db:
        filed = db.execute(select(AuditEvent).where(col(AuditEvent.action) == "exam.complaint_file")).all()
    assert len(filed) == 1
