"""The scholarship over real HTTP after real eID logins: an admitted graduate saves a draft and submits once, an
officer of the graduate's province takes it up and decides after a confirmation; every refusal — a tampered field,
a second submission, a non-admitted applicant, a role that may not decide, an officer of another province, a
tampered id — answered with its code and nothing written."""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from exams import scholarship
from exams.models import ScholarshipRow
from exams.results import publish
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent
from portal import staff
from portal.services import Services
from portal.settings import Settings
from portal.staff import Role
from tests.portal.conftest import NOW, SESSION, ExamYear
from tests.portal.live import CLIENT_SECRET, Browser, Card, RunningPortal, browser_of, error_code
from vc.errors import ConfigurationError

ANNOUNCED = NOW.replace(day=14, hour=8)
COMPLETE = {
    "family_situation": "both_parents",
    "income_bracket": "30k_to_60k",
    "siblings": "2",
    "establishment": "CPGE",
}
BOTH_DATABASES = pytest.mark.parametrize("portal_database_url", ["sqlite", "postgresql"], indirect=True)

# In the conftest's generated year (seed 17): candidates 1-4 are admitted, each of another province (directorate);
# 0 and 5 are not admitted.
GRADUATE, OTHER_GRADUATE, NOT_ADMITTED, OFFICER = 1, 2, 0, 5


def _announced(portal: RunningPortal, year: ExamYear) -> None:
    publish(year.engine, session=SESSION, at=ANNOUNCED, actor="test", now=NOW)
    portal.set_time(ANNOUNCED)


def _province(year: ExamYear, index: int) -> str:
    return year.rows[index]["directorate.code"]


def _officer(year: ExamYear, card: Card, province: str) -> None:
    staff.add(year.engine, cnie=card.cnie, role=Role.SCHOLARSHIP_OFFICER, scope=province, at=NOW)


def _post(browser: Browser, path: str, page: str, **fields: str) -> httpx.Response:
    return browser.post(path, {"csrf_token": browser.csrf_token(page), "lang": "ar", **fields})


def _apply(browser: Browser, action: str, **fields: str) -> httpx.Response:
    return _post(browser, "/scholarship", "/scholarship", action=action, **fields)


def _rows(year: ExamYear) -> list[ScholarshipRow]:
    with reading(year.engine) as db:
        return list(db.execute(select(ScholarshipRow)).scalars())


def _events(year: ExamYear) -> int:
    with reading(year.engine) as db:
        return int(
            db.execute(
                select(func.count()).where(AuditEvent.action.startswith("scholarship."))  # type: ignore[attr-defined]
            ).scalar_one()
        )


def _logged_in(portal: RunningPortal, card: Card) -> Browser:
    browser = Browser(portal)
    browser.log_in(card)
    return browser


@BOTH_DATABASES
def test_a_graduate_applies_once_and_an_officer_of_the_province_decides(portal, browser, exam_year):
    _announced(portal, exam_year)
    card = exam_year.cards[GRADUATE]
    browser.log_in(card)
    page = browser.get("/scholarship")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert 'data-state="none"' in page.text
    assert 'id="application"' in page.text

    draft = _apply(browser, "draft", income_bracket="30k_to_60k", siblings="2")
    assert (draft.status_code, draft.headers["location"]) == (303, "/scholarship?lang=ar&done=draft")
    page = browser.get(draft.headers["location"])
    assert 'data-state="draft"' in page.text
    assert '<option value="30k_to_60k" selected>' in page.text
    assert "تم حفظ المسودة" in page.text

    submitted = _apply(browser, "submit", **COMPLETE)
    assert submitted.headers["location"] == "/scholarship?lang=ar&done=submitted"
    page = browser.get("/scholarship?lang=fr")
    assert 'data-state="submitted"' in page.text
    assert 'data-eligible="true"' in page.text
    assert "Le revenu du foyer est dans une tranche éligible." in page.text
    assert "Classes préparatoires aux grandes écoles" in page.text
    assert 'id="application"' not in page.text
    assert _events(exam_year) == 1

    # A replayed POST (or the form of another tab): refused, nothing written twice.
    replayed = _apply(browser, "submit", **{**COMPLETE, "income_bracket": "over_100k"})
    assert (replayed.status_code, error_code(replayed)) == (409, "scholarship.submitted")
    redrafted = _apply(browser, "draft", **COMPLETE)
    assert (redrafted.status_code, error_code(redrafted)) == (409, "scholarship.submitted")
    (row,) = _rows(exam_year)
    assert (row.state, row.income_bracket, row.province) == ("submitted", "30k_to_60k", _province(exam_year, GRADUATE))
    assert _events(exam_year) == 1

    officer_card = exam_year.cards[OFFICER]
    _officer(exam_year, officer_card, _province(exam_year, GRADUATE))
    with browser_of(portal) as officer:
        officer.log_in(officer_card)
        assert officer.get("/staff").headers["location"] == "/staff/scholarships?lang=ar"
        correction = _post(officer, "/staff/corrections/1", "/staff/scholarships", decision="accept")
        assert (correction.status_code, error_code(correction)) == (403, "staff.not_in_queue"), "no reviewer's rights"
        queue = officer.get("/staff/scholarships")
        assert queue.status_code == 200
        assert f'data-application="{row.id}"' in queue.text
        assert exam_year.rows[GRADUATE]["massarCode"] in queue.text
        opened = officer.get(f"/staff/scholarships/{row.id}")
        assert 'id="start-review"' in opened.text
        assert exam_year.rows[GRADUATE]["givenName.ar"] in opened.text
        reviewing = _post(officer, f"/staff/scholarships/{row.id}/review", f"/staff/scholarships/{row.id}")
        assert reviewing.status_code == 303
        again = _post(officer, f"/staff/scholarships/{row.id}/review", f"/staff/scholarships/{row.id}")
        assert (again.status_code, error_code(again)) == (409, "scholarship.state")

        # The final decision asks for a confirmation naming whom it touches; only the confirmation decides.
        path = f"/staff/scholarships/{row.id}/decision"
        asked = _post(officer, path, f"/staff/scholarships/{row.id}", decision="grant", reason="")
        assert asked.status_code == 200
        assert 'id="confirm-whom"' in asked.text
        assert exam_year.rows[GRADUATE]["massarCode"] in asked.text
        assert exam_year.rows[GRADUATE]["familyName.ar"] in asked.text
        assert _rows(exam_year)[0].state == "under_review"
        token = re.search(r'name="csrf_token" value="([^"]+)"', asked.text)
        assert token
        confirm = {"csrf_token": token.group(1), "lang": "ar", "decision": "grant", "reason": "", "confirm": "yes"}
        decided = officer.post(path, confirm)
        assert (decided.status_code, decided.headers["location"]) == (303, "/staff/scholarships?lang=ar&done=decided")
        replay = officer.post(path, confirm)
        assert (replay.status_code, error_code(replay)) == (409, "scholarship.state")
        assert 'id="queue-empty"' in officer.get("/staff/scholarships").text

    page = browser.get("/scholarship")
    assert 'data-state="granted"' in page.text
    assert _events(exam_year) == 3
    assert verify_chain(exam_year.engine).ok


def test_who_may_not_apply_is_told_why(portal, browser, exam_year):
    card = exam_year.cards[GRADUATE]
    browser.log_in(card)
    early = browser.get("/scholarship?lang=fr")
    assert (early.status_code, error_code(early)) == (403, "scholarship.not_admitted")
    assert "Votre résultat n'est pas encore proclamé." in html.unescape(early.text)
    _announced(portal, exam_year)
    with browser_of(portal) as failed:
        failed.log_in(exam_year.cards[NOT_ADMITTED])
        page = failed.get("/scholarship")
        assert (page.status_code, error_code(page)) == (403, "scholarship.not_admitted")
        assert "نتيجتك ليست «ناجح(ة)»." in page.text
        assert 'id="application"' not in page.text
        token = failed.csrf_token("/me")
        posted = failed.post("/scholarship", {"csrf_token": token, "lang": "ar", "action": "submit", **COMPLETE})
        assert (posted.status_code, error_code(posted)) == (403, "scholarship.not_admitted")
    assert _rows(exam_year) == []


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("income_bracket", "under_1", "'under_1'"),
        ("family_situation", "<b>x</b>", "'<b>x</b>'"),
        ("siblings", "99", "'99'"),
        ("establishment", "HARVARD", "'HARVARD'"),
    ],
)
def test_a_tampered_field_comes_back_on_the_form_and_writes_nothing(portal, browser, exam_year, field, value, found):
    _announced(portal, exam_year)
    browser.log_in(exam_year.cards[GRADUATE])
    answer = _apply(browser, "submit", **{**COMPLETE, field: value})
    assert answer.status_code == 400
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in answer.text
    assert f'id="{field}-error"' in answer.text
    assert f"found {found}" in html.unescape(answer.text)
    assert "expected " in answer.text
    assert "<b>x</b>" not in answer.text, "escaped"
    assert _rows(exam_year) == []
    incomplete = _apply(browser, "submit", income_bracket="under_30k")
    assert incomplete.status_code == 400
    assert "no value for family_situation, siblings, establishment" in incomplete.text
    action = _apply(browser, "publish", **COMPLETE)
    assert (action.status_code, error_code(action)) == (400, "scholarship.action")
    assert _rows(exam_year) == []


def test_only_an_officer_of_the_applications_province_decides(portal, browser, exam_year):
    _announced(portal, exam_year)
    browser.log_in(exam_year.cards[GRADUATE])
    assert _apply(browser, "submit", **COMPLETE).status_code == 303
    with browser_of(portal) as other:
        other.log_in(exam_year.cards[OTHER_GRADUATE])
        assert _apply(other, "submit", **{**COMPLETE, "income_bracket": "over_100k"}).status_code == 303
    mine, theirs = (row.id for row in sorted(_rows(exam_year), key=lambda row: row.id))

    # A candidate (the applicant) and a correction reviewer: no scholarship role, whatever they post.
    reviewer_card = exam_year.cards[4]
    staff.add(exam_year.engine, cnie=reviewer_card.cnie, role=Role.SCHOOL_REVIEWER, scope="0603A002", at=NOW)
    for card, browser_ in ((exam_year.cards[GRADUATE], browser), (reviewer_card, None)):
        person = browser_ or _logged_in(portal, card)
        try:
            for answer in (
                person.get("/staff/scholarships"),
                person.get(f"/staff/scholarships/{mine}"),
                _post(person, f"/staff/scholarships/{mine}/review", "/me"),
                _post(person, f"/staff/scholarships/{mine}/decision", "/me", decision="grant", confirm="yes"),
            ):
                assert (answer.status_code, error_code(answer)) == (403, "staff.forbidden")
        finally:
            if browser_ is None:
                person.close()

    # The officer of the other graduate's province: the queue shows only theirs; a tampered id is refused.
    officer_card = exam_year.cards[OFFICER]
    _officer(exam_year, officer_card, _province(exam_year, OTHER_GRADUATE))
    with browser_of(portal) as officer:
        officer.log_in(officer_card)
        queue = officer.get("/staff/scholarships").text
        assert f'data-application="{theirs}"' in queue
        assert f'data-application="{mine}"' not in queue
        for answer in (
            officer.get(f"/staff/scholarships/{mine}"),
            _post(officer, f"/staff/scholarships/{mine}/review", "/staff/scholarships"),
            _post(
                officer,
                f"/staff/scholarships/{mine}/decision",
                "/staff/scholarships",
                decision="refuse",
                reason="x",
                confirm="yes",
            ),
        ):
            assert (answer.status_code, error_code(answer)) == (403, "scholarship.other_province")
        unknown = officer.get("/staff/scholarships/999999")
        assert (unknown.status_code, error_code(unknown)) == (404, "scholarship.unknown")

        # Their own: an ineligible one is only refused, and a refusal needs its reason before any confirmation.
        page = f"/staff/scholarships/{theirs}"
        assert _post(officer, f"{page}/review", page).status_code == 303
        assert 'id="grant" disabled' in officer.get(page).text
        granted = _post(officer, f"{page}/decision", page, decision="grant", confirm="yes")
        assert (granted.status_code, error_code(granted)) == (409, "scholarship.not_eligible")
        no_reason = _post(officer, f"{page}/decision", page, decision="refuse", reason=" ")
        assert (no_reason.status_code, error_code(no_reason)) == (400, "scholarship.reason_required")
        tampered = _post(officer, f"{page}/decision", page, decision="maybe", confirm="yes")
        assert (tampered.status_code, error_code(tampered)) == (400, "scholarship.decision")
        reason = "Revenu du foyer au-dessus du plafond"
        refused = _post(officer, f"{page}/decision", page, decision="refuse", reason=reason, confirm="yes")
        assert refused.status_code == 303

    states = {row.id: row.state for row in _rows(exam_year)}
    assert states == {mine: "submitted", theirs: "refused"}
    with browser_of(portal) as other:
        other.log_in(exam_year.cards[OTHER_GRADUATE])
        shown = other.get("/scholarship").text
        assert 'data-state="refused"' in shown
        assert reason in shown
        assert "دخل الأسرة يفوق الشرائح المؤهلة." in shown


def test_a_broken_scholarship_rules_file_stops_the_portal_at_start(tmp_path: Path, exam_year, monkeypatch):
    broken = tmp_path / "scholarship_rules.json"
    broken.write_text('{"family_situations": {}, "income_brackets": {}}', encoding="utf-8")
    monkeypatch.setattr(scholarship, "DEFAULT_RULES_PATH", broken)
    scholarship.load_rules.cache_clear()
    secret = tmp_path / "client-secret"
    secret.write_text(CLIENT_SECRET, encoding="utf-8")
    services = Services.build(
        Settings(
            database_url=exam_year.database_url,
            secret_key=secrets.token_urlsafe(32),
            eid_client_secret_file=secret,
            audit_passphrase_file=exam_year.passphrase_file,
        )
    )
    try:
        with pytest.raises(ConfigurationError) as refused:
            services.start()
        assert refused.value.code == "scholarship_rules.invalid"
        assert str(broken) in str(refused.value.expected)
    finally:
        services.close()
        scholarship.load_rules.cache_clear()
