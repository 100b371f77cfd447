"""A candidate's pages over real HTTP after a real eID login: personal data (confirm, corrections decided by the
school's reviewer), the convocation, and the result at the announced second; no identifier a browser sends reaches
another candidate's data, and staff pages refuse candidates."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from exams.personal_data import DataState, state_of
from exams.registry import candidate_of
from exams.results import publish
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent
from portal import staff
from portal.staff import Role
from tests.common.pdf_inspect import cells, page_text
from tests.portal.conftest import NOW, SESSION, ExamYear
from tests.portal.live import Browser, Card, browser_of, error_code

ANNOUNCED = NOW.replace(day=14, hour=8)  # 09:00 in Morocco (UTC+1)


def _state(year: ExamYear, card: Card) -> DataState:
    return state_of(year.engine, session=SESSION, cnie=card.cnie)


def _form(browser: Browser, path: str, **fields: str) -> httpx.Response:
    return browser.post(path, {"csrf_token": browser.csrf_token("/me"), "lang": "ar", **fields})


def _staff(year: ExamYear, card: Card, role: Role, scope: str = "") -> None:
    staff.add(year.engine, cnie=card.cnie, role=role, scope=scope, at=NOW)


def _correct(browser: Browser, **fields: str) -> httpx.Response:
    values = {"field": "familyName.lat", "proposed": "EL AMRANI-TAZI", "comment": "Spelling on the birth certificate"}
    return _form(browser, "/me/corrections", **{**values, **fields})


def test_the_personal_data_page_shows_the_candidates_own_registry_data(portal, browser, exam_year):
    card, row = exam_year.cards[0], exam_year.rows[0]
    assert browser.log_in(card).headers["location"] == "/me?lang=ar"
    page = browser.get("/me")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for value in (row["familyName.ar"], row["givenName.lat"], row["massarCode"], row["school.ar"], row["cnie"]):
        assert value in page.text
    assert 'data-state="unconfirmed"' in page.text
    assert exam_year.rows[1]["massarCode"] not in page.text
    french = browser.get("/me?lang=fr")
    assert '<html lang="fr" dir="ltr">' in french.text
    assert row["school.fr"] in french.text
    assert "Code Massar" in french.text


BOTH_DATABASES = pytest.mark.parametrize("portal_database_url", ["sqlite", "postgresql"], indirect=True)


@BOTH_DATABASES
def test_confirming_the_data_opens_the_convocation(portal, browser, exam_year):
    """An SGC candidate: their stream's longest subject label wraps in the schedule, whole."""
    card = exam_year.cards[0]
    assert exam_year.rows[0]["stream.code"] == "SGC"
    browser.log_in(card)
    assert 'data-ready="false"' in browser.get("/convocation").text
    refused = browser.get("/convocation.pdf")
    assert refused.status_code == 409
    assert error_code(refused) == "convocation.not_ready"
    answer = _form(browser, "/me/confirm")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me?lang=ar&done=confirmed"
    page = browser.get(answer.headers["location"])
    assert 'data-state="confirmed"' in page.text
    assert "تم تسجيل تأكيدك" in page.text
    assert 'id="confirm"' not in page.text
    assert _state(exam_year, card) is DataState.CONFIRMED
    assert 'data-ready="true"' in browser.get("/convocation").text
    pdf = browser.get("/convocation.pdf")
    assert pdf.status_code == 200, pdf.text[-1500:]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.content.startswith(b"%PDF")
    text = page_text(pdf.content)
    assert card.cnie in text
    assert exam_year.rows[0]["massarCode"] in text
    assert card.family_name.upper() in text.upper()
    read = cells(pdf.content)
    assert "Économie et organisation administrative des" in read
    assert "entreprises" in read
    assert "الاقتصاد والتنظيم الإداري للمقاولات" in read
    with reading(exam_year.engine) as db:
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "exam.data_confirm")).scalars().all()
    assert len(events) == 1
    assert card.cnie not in events[0].actor + events[0].details
    assert verify_chain(exam_year.engine).ok


@BOTH_DATABASES
def test_a_correction_goes_to_the_schools_reviewer_who_decides_it(portal, browser, exam_year):
    card, row = exam_year.cards[1], exam_year.rows[1]
    reviewer, stranger = exam_year.cards[4], exam_year.cards[5]  # staff log in with their own eID cards
    _staff(exam_year, reviewer, Role.SCHOOL_REVIEWER, row["school.code"])
    _staff(exam_year, stranger, Role.SCHOOL_REVIEWER, "ANOTHER-SCHOOL")
    browser.log_in(card)
    answer = _correct(browser)
    assert answer.headers["location"] == "/me?lang=ar&done=correction"
    page = browser.get("/me")
    assert 'data-state="corrections_pending"' in page.text
    assert 'data-status="pending"' in page.text
    assert "EL AMRANI-TAZI" in page.text
    blocked = _form(browser, "/me/confirm")
    assert blocked.status_code == 409
    assert error_code(blocked) == "personal_data.corrections_pending"
    assert browser.get("/convocation.pdf").status_code == 409

    with browser_of(portal) as other_school:
        other_school.log_in(stranger)
        assert 'id="queue-empty"' in other_school.get("/staff").text
        token = other_school.csrf_token("/staff")
        correction_id = _pending_id(exam_year, card)
        refused = other_school.post(
            f"/staff/corrections/{correction_id}", {"csrf_token": token, "decision": "accept", "lang": "ar"}
        )
        assert refused.status_code == 403
        assert error_code(refused) == "staff.not_in_queue"

    with browser_of(portal) as school:
        school.log_in(reviewer)
        queue = school.get("/staff")
        assert queue.status_code == 200
        assert f'data-correction="{correction_id}"' in queue.text
        assert row["massarCode"] in queue.text
        token = school.csrf_token("/staff")
        no_reason = school.post(
            f"/staff/corrections/{correction_id}", {"csrf_token": token, "decision": "refuse", "reason": " "}
        )
        assert no_reason.status_code == 400
        assert error_code(no_reason) == "correction.reason_required"
        no_token = school.post(f"/staff/corrections/{correction_id}", {"decision": "accept"})
        assert no_token.status_code == 403
        assert error_code(no_token) == "request.csrf"
        decided = school.post(
            f"/staff/corrections/{correction_id}",
            {"csrf_token": token, "decision": "refuse", "reason": "Matches the civil register", "lang": "fr"},
        )
        assert decided.status_code == 303
        assert decided.headers["location"] == "/staff?lang=fr&done=true"
        assert 'id="queue-empty"' in school.get(decided.headers["location"]).text

    page = browser.get("/me?lang=fr")
    assert 'data-status="refused"' in page.text
    assert "Matches the civil register" in page.text
    assert 'data-state="settled"' in page.text
    assert browser.get("/convocation.pdf").status_code == 200
    candidate = candidate_of(exam_year.engine, session=SESSION, cnie=card.cnie)
    assert candidate is not None
    assert candidate.family_name_lat == row["familyName.lat"], "a refused correction changes nothing"


def _pending_id(year: ExamYear, card: Card) -> int:
    from exams.personal_data import corrections_of

    return next(item.id for item in corrections_of(year.engine, session=SESSION, cnie=card.cnie))


def test_an_accepted_correction_changes_the_registry_and_academy_and_administrator_see_the_queue(
    portal, browser, exam_year
):
    card, row = exam_year.cards[0], exam_year.rows[0]
    academy, administrator = exam_year.cards[1], exam_year.cards[2]
    _staff(exam_year, academy, Role.ACADEMY_REVIEWER, row["academy.code"])
    _staff(exam_year, administrator, Role.EXAM_ADMINISTRATOR)
    browser.log_in(card)
    assert _correct(browser, field="birthPlace.lat", proposed="Ksar El Kebir").status_code == 303
    correction_id = _pending_id(exam_year, card)
    with browser_of(portal) as admin:
        admin.log_in(administrator)
        assert f'data-correction="{correction_id}"' in admin.get("/staff").text
    with browser_of(portal) as reviewer:
        reviewer.log_in(academy)
        token = reviewer.csrf_token("/staff")
        answer = reviewer.post(f"/staff/corrections/{correction_id}", {"csrf_token": token, "decision": "accept"})
        assert answer.status_code == 303
    assert 'data-status="accepted"' in browser.get("/me").text
    assert "Ksar El Kebir" in browser.get("/me").text
    candidate = candidate_of(exam_year.engine, session=SESSION, cnie=card.cnie)
    assert candidate is not None
    assert candidate.birth_place_lat == "Ksar El Kebir"


def test_a_convocation_the_registry_cannot_print_is_a_clear_page_not_a_broken_file(portal, browser, exam_year):
    card = exam_year.cards[1]
    administrator = exam_year.cards[2]
    _staff(exam_year, administrator, Role.EXAM_ADMINISTRATOR)
    browser.log_in(card)
    too_long = "Abderrahmane-Mohammed-Amine Ben Abdelouahed El Idrissi El Alaoui El Fassi"  # 72 > 60 the PDF prints
    assert _correct(browser, proposed=too_long).status_code == 303
    with browser_of(portal) as admin:
        admin.log_in(administrator)
        token = admin.csrf_token("/staff")
        decided = admin.post(
            f"/staff/corrections/{_pending_id(exam_year, card)}", {"csrf_token": token, "decision": "accept"}
        )
        assert decided.status_code == 303
    answer = browser.get("/convocation.pdf")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert error_code(answer) == "convocation.unprintable"
    assert "Abderrahmane" not in answer.text


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"field": "cnie"}, "correction.field_unknown"),
        ({"proposed": ""}, "correction.value_invalid"),
        ({"proposed": "EL\u202eFASSI"}, "correction.value_invalid"),
        ({"field": "birthDate", "proposed": "14/03/2007"}, "correction.value_invalid"),
        ({"comment": ""}, "correction.comment_invalid"),
    ],
)
def test_a_bad_correction_is_refused_with_the_reason(portal, browser, exam_year, fields, code):
    browser.log_in(exam_year.cards[0])
    answer = _correct(browser, **fields)
    assert answer.status_code == 400
    assert error_code(answer) == code
    assert _state(exam_year, exam_year.cards[0]) is DataState.UNCONFIRMED


def test_a_correction_after_confirming_is_refused(portal, browser, exam_year):
    browser.log_in(exam_year.cards[0])
    _form(browser, "/me/confirm")
    answer = _correct(browser)
    assert answer.status_code == 409
    assert error_code(answer) == "personal_data.confirmed"


@BOTH_DATABASES
def test_no_identifier_a_browser_sends_reaches_another_candidate(portal, browser, exam_year):
    mine, theirs = exam_year.cards[0], exam_year.cards[1]
    their_row = exam_year.rows[1]
    browser.log_in(mine)
    for path in (
        f"/me?cnie={theirs.cnie}",
        f"/me?cnie={theirs.cnie}&massarCode={their_row['massarCode']}&candidate=2&id=2",
        f"/results?cnie={theirs.cnie}",
        f"/convocation?cnie={theirs.cnie}",
    ):
        page = browser.get(path)
        assert their_row["massarCode"] not in page.text, path
        assert their_row["familyName.lat"] not in page.text or their_row["familyName.lat"] == mine.family_name
    token = browser.csrf_token("/me")
    browser.post("/me/confirm", {"csrf_token": token, "cnie": theirs.cnie, "candidate_id": "2"})
    browser.post(
        "/me/corrections",
        {"csrf_token": token, "cnie": theirs.cnie, "field": "familyName.lat", "proposed": "X", "comment": "x"},
    )
    assert _state(exam_year, theirs) is DataState.UNCONFIRMED, "their data is untouched"
    assert _state(exam_year, mine) is DataState.CONFIRMED
    browser.http.cookies.set("cnie", theirs.cnie)
    assert their_row["massarCode"] not in browser.get("/me").text


def test_staff_pages_and_actions_refuse_a_candidate(portal, browser, exam_year):
    card = exam_year.cards[0]
    with browser_of(portal) as other:
        other.log_in(exam_year.cards[1])
        _correct(other)
    correction_id = _pending_id(exam_year, exam_year.cards[1])
    browser.log_in(card)
    page = browser.get("/staff")
    assert page.status_code == 403
    assert error_code(page) == "staff.forbidden"
    token = browser.csrf_token("/me")
    action = browser.post(f"/staff/corrections/{correction_id}", {"csrf_token": token, "decision": "accept"})
    assert action.status_code == 403
    assert error_code(action) == "staff.forbidden"
    assert _state(exam_year, exam_year.cards[1]) is DataState.CORRECTIONS_PENDING


def test_a_removed_role_stops_at_the_next_request(portal, browser, exam_year):
    reviewer = exam_year.cards[1]
    _staff(exam_year, reviewer, Role.EXAM_ADMINISTRATOR)
    browser.log_in(reviewer)
    assert browser.get("/staff").status_code == 200
    assert 'href="/staff?lang=ar"' in browser.get("/me").text, "the menu offers the staff pages"
    staff.remove(exam_year.engine, cnie=reviewer.cnie, role=Role.EXAM_ADMINISTRATOR, scope="")
    assert browser.get("/staff").status_code == 403


def _body(page: httpx.Response) -> str:
    """The page's main content, without the header (which names the person logged in)."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page.text.split('<main id="main">', 1)[1])


@BOTH_DATABASES
def test_the_result_appears_at_the_announced_second_and_nothing_of_it_before(portal, browser, exam_year):
    pending = browser.get("/results")
    assert pending.status_code == 303, "the login is asked first"
    browser.log_in(exam_year.cards[0])
    first = browser.get("/results")
    assert 'data-decision="pending"' in first.text
    assert "لم يُحدَّد بعد" in first.text
    publish(exam_year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=NOW)
    portal.set_time(ANNOUNCED - timedelta(minutes=5))  # results morning: log in again, the old session has ended
    assert browser.get("/results").status_code == 401
    browser.log_in(exam_year.cards[0])
    portal.set_time(ANNOUNCED - timedelta(seconds=1))
    before = browser.get("/results")
    assert before.status_code == 200
    assert "يُعلن عن النتائج يوم 2025-06-14 على الساعة 09:00:00" in before.text
    assert 'id="decision"' not in before.text
    with browser_of(portal) as unregistered_or_other:
        unregistered_or_other.log_in(exam_year.cards[1])
        theirs = unregistered_or_other.get("/results")
    assert _body(theirs) == _body(before), "before the instant every candidate gets the same page"
    portal.set_time(ANNOUNCED)
    after = browser.get("/results?lang=fr")
    assert after.status_code == 200
    decision = re.search(r'data-decision="([a-z_]+)"', after.text)
    assert decision is not None
    assert decision.group(1) in ("admitted", "catch_up", "not_admitted")
    assert re.search(r'id="average"><bdi dir="ltr">\d{1,2}\.\d{2} / 20</bdi>', after.text)
    assert "Notes par matière" in after.text
    assert after.text.count("<tr>") >= 3
    assert after.headers["cache-control"] == "no-store"
    assert after.headers["x-content-type-options"] == "nosniff"
    assert after.headers["x-frame-options"] == "DENY"
    assert after.headers["content-security-policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("done", ["other", "", "complaint2"])
def test_the_results_page_refuses_an_unknown_notice_with_the_reason(portal, browser, exam_year, done):
    browser.log_in(exam_year.cards[0])
    page = browser.get(f"/results?done={done}")
    assert page.status_code == 400
    assert "request.invalid" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert browser.get("/results?done=complaint").status_code == 200
