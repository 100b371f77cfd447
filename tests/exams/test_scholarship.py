"""The post-baccalaureate scholarship: the rules file validated at load, the eligibility rules, the form's checks,
who may apply, draft → submitted once → under review → granted or refused, and the officer's province."""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text

from exams import scholarship
from exams.deliberation import deliberate_session
from exams.errors import ConfigurationError, ConflictError, ForbiddenError, InputError, NotFoundError
from exams.generate import MARK_COLUMNS
from exams.marks import import_marks
from exams.models import ScholarshipRow, table
from exams.registry import Candidate, candidate_of
from exams.results import publish
from exams.scholarship import ApplicationForm, ScholarshipState, evaluate, load_rules, parse_form
from exams.subjects import load_rules as load_exam_rules
from issuer.audit import verify_chain
from issuer.db import reading
from issuer.models import AuditEvent
from issuer.settings import Settings
from tests.exams.conftest import SESSION, write_csv
from tests.issuer.conftest import Clock

COMPLETE = {"family_situation": "both_parents", "income_bracket": "under_30k", "siblings": "1", "establishment": "CPGE"}
INELIGIBLE = {**COMPLETE, "income_bracket": "over_100k"}


# --- the rules file -------------------------------------------------------------------------------------------------


def test_the_shipped_rules_are_labelled_illustrative_and_valid() -> None:
    document = json.loads(scholarship.DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    assert document["$comment"].startswith("ILLUSTRATIVE DEFAULTS")
    rules = load_rules()
    assert list(rules.income_brackets) == ["under_30k", "30k_to_60k", "60k_to_100k", "over_100k"]
    assert "CPGE" in rules.establishments
    assert rules.max_siblings == 10


def _broken(change: Any) -> dict[str, Any]:
    document = json.loads(scholarship.DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    broken = copy.deepcopy(document)
    change(broken)
    return dict(broken)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.pop("eligibility"), "eligibility"),
        (lambda d: d["family_situations"].__setitem__("orphan", {"ar": "يتيم"}), "family_situations.orphan.fr"),
        (lambda d: d["establishments"].__setitem__("bad code!", {"ar": "x", "fr": "x"}), "establishments.bad code!"),
        (lambda d: d.__setitem__("max_siblings", 0), "max_siblings"),
        (lambda d: d.__setitem__("max_siblings", True), "max_siblings"),
        (lambda d: d["eligibility"].__setitem__("income_brackets", ["under_10k"]), "eligibility.income_brackets"),
        (lambda d: d["eligibility"].__setitem__("income_brackets", []), "eligibility.income_brackets"),
        (
            lambda d: d["eligibility"]["income_brackets_with_siblings"].__setitem__("min_siblings", 11),
            "eligibility.income_brackets_with_siblings.min_siblings",
        ),
        (
            lambda d: d["eligibility"].__setitem__("any_income_situations", ["widowed"]),
            "eligibility.any_income_situations",
        ),
        (lambda d: d.__setitem__("income_brackets", {}), "income_brackets"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_where(change: Any, where: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        scholarship.parse_rules(_broken(change), source="rules.json")
    assert refused.value.code == "scholarship_rules.invalid"
    assert refused.value.summary.endswith(f"at {where}")
    assert "rules.json" in str(refused.value.expected)


def test_an_unreadable_rules_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not JSON") as refused:
        scholarship.read_rules(path)
    assert refused.value.code == "scholarship_rules.invalid"
    with pytest.raises(ConfigurationError, match="readable"):
        scholarship.read_rules(tmp_path / "missing.json")


# --- eligibility and the form (pure) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "bracket", "siblings", "eligible", "reasons"),
    [
        ("both_parents", "under_30k", 0, True, ("income_eligible",)),
        ("both_parents", "30k_to_60k", 0, True, ("income_eligible",)),
        ("both_parents", "60k_to_100k", 1, True, ("income_eligible_with_siblings",)),
        ("both_parents", "60k_to_100k", 0, False, ("income_too_high",)),
        ("divorced_parents", "over_100k", 4, False, ("income_too_high",)),
        ("both_parents_deceased", "over_100k", 0, True, ("situation_eligible",)),
        ("both_parents_deceased", "under_30k", 0, True, ("income_eligible", "situation_eligible")),
    ],
)
def test_the_eligibility_rules(
    situation: str, bracket: str, siblings: int, eligible: bool, reasons: tuple[str, ...]
) -> None:
    found = evaluate(ApplicationForm(situation, bracket, siblings, "CPGE"), load_rules())
    assert (found.eligible, found.reasons) == (eligible, reasons)


@pytest.mark.parametrize(
    ("field", "value", "code", "expected"),
    [
        ("family_situation", "married", "scholarship.family_situation", "one of both_parents"),
        ("income_bracket", "under_0", "scholarship.income_bracket", "one of under_30k"),
        ("establishment", "<script>", "scholarship.establishment", "one of UM5-FS"),
        ("siblings", "-1", "scholarship.siblings", "a whole number from 0 to 10"),
        ("siblings", "11", "scholarship.siblings", "a whole number from 0 to 10"),
        ("siblings", "2.5", "scholarship.siblings", "a whole number from 0 to 10"),
        ("siblings", "٣", "scholarship.siblings", "a whole number from 0 to 10"),
    ],
)
def test_a_tampered_field_is_refused_with_what_was_found_and_expected(
    field: str, value: str, code: str, expected: str
) -> None:
    with pytest.raises(InputError) as refused:
        parse_form({**COMPLETE, field: value}, rules=load_rules(), complete=False)
    assert refused.value.code == code
    assert str(refused.value.expected).startswith(expected)
    assert value[:10] in str(refused.value.found)


def test_a_draft_may_be_incomplete_a_submission_may_not() -> None:
    partial = {"income_bracket": "under_30k", "siblings": "0"}
    assert parse_form(partial, rules=load_rules(), complete=False).missing() == ["family_situation", "establishment"]
    with pytest.raises(InputError) as refused:
        parse_form(partial, rules=load_rules(), complete=True)
    assert refused.value.code == "scholarship.incomplete"
    assert refused.value.found == "no value for family_situation, establishment"


# --- applications in the database -----------------------------------------------------------------------------------


@dataclass
class Year:
    """A deliberated session announced at ``published``: ``admitted`` (two of one province, one of another) and one
    ``not_admitted`` candidate."""

    admitted: list[Candidate]
    other_province: Candidate
    not_admitted: Candidate
    published: datetime


@pytest.fixture
def year(tmp_path: Path, engine: Engine, settings: Settings, clock: Clock, registered: list[dict[str, str]]) -> Year:
    rules = load_exam_rules()
    failing = registered[0]["cnie"]
    rows = []
    for row in registered:
        mark = "5.00" if row["cnie"] == failing else "12.00"
        if row["candidateType"] == "enrolled":
            rows.append({"cnie": row["cnie"], "exam": "continuous", "subject": "CC", "mark": mark})
        for rule in rules.stream(row["stream.code"]).subjects:
            rows.append({"cnie": row["cnie"], "exam": rule.exam, "subject": rule.code, "mark": mark})
    path = write_csv(tmp_path / "marks.csv", rows, columns=MARK_COLUMNS)
    import_marks(engine, path=path, session=SESSION, actor="t", now=clock())
    deliberate_session(engine, settings=settings, session=SESSION, actor="t", clock=clock)
    published = clock() + timedelta(hours=1)
    publish(engine, session=SESSION, at=published, actor="t", now=clock())
    candidates = [candidate_of(engine, session=SESSION, cnie=row["cnie"]) for row in registered]
    found = [candidate for candidate in candidates if candidate is not None]
    first = found[1]
    same = [c for c in found[2:] if c.directorate_code == first.directorate_code]
    other = next(c for c in found[2:] if c.directorate_code != first.directorate_code)
    return Year([first, same[0]], other, found[0], published)


def _count(engine: Engine) -> int:
    with reading(engine) as db:
        return int(db.execute(select(func.count()).select_from(ScholarshipRow)).scalar_one())


def _events(engine: Engine) -> list[AuditEvent]:
    with reading(engine) as db:
        return list(
            db.execute(select(AuditEvent).where(AuditEvent.action.startswith("scholarship."))).scalars()  # type: ignore[attr-defined]
        )


def test_only_admitted_candidates_of_the_session_apply_once_announced(engine: Engine, year: Year) -> None:
    before = year.published - timedelta(seconds=1)
    cases = [
        (year.admitted[0].cnie, before, "no announced result"),
        (year.not_admitted.cnie, year.published, "a result other than admitted"),
        ("ZZ999999", year.published, "no registration in this session"),
    ]
    for cnie, now, found in cases:
        with pytest.raises(ForbiddenError) as refused:
            scholarship.save_draft(engine, session=SESSION, cnie=cnie, fields=COMPLETE, now=now)
        assert (refused.value.code, refused.value.found) == ("scholarship.not_admitted", found)
        assert refused.value.expected == f"a candidate admitted in {SESSION}, once the result is announced"
    with pytest.raises(ForbiddenError) as refused:
        scholarship.submit(engine, session=SESSION, cnie=" ", fields=COMPLETE, now=year.published)
    assert refused.value.code == "scholarship.no_cnie"
    assert _count(engine) == 0
    assert scholarship.applicant_of(engine, session=SESSION, cnie=year.admitted[0].cnie, now=year.published)


def test_draft_then_submit_once(engine: Engine, year: Year) -> None:
    cnie, now = year.admitted[0].cnie, year.published
    assert scholarship.application_of(engine, session=SESSION, cnie=cnie, now=now) is None
    draft = scholarship.save_draft(engine, session=SESSION, cnie=cnie, fields={"income_bracket": "under_30k"}, now=now)
    assert (draft.state, draft.form.income_bracket, draft.form.family_situation) == ("draft", "under_30k", None)
    assert draft.province == year.admitted[0].directorate_code
    again = scholarship.save_draft(engine, session=SESSION, cnie=cnie, fields=COMPLETE, now=now)
    assert again.id == draft.id
    assert again.form.establishment == "CPGE"
    with pytest.raises(InputError, match="incomplete"):
        scholarship.submit(engine, session=SESSION, cnie=cnie, fields={"siblings": "1"}, now=now)
    submitted = scholarship.submit(engine, session=SESSION, cnie=cnie, fields=COMPLETE, now=now)
    assert (submitted.state, submitted.eligible, submitted.reasons) == ("submitted", True, ("income_eligible",))
    assert len(_events(engine)) == 1

    # A second submission (a replayed POST, another tab), or a draft saved from an old tab: nothing written.
    for write in (scholarship.submit, scholarship.save_draft):
        for fields in (INELIGIBLE, {"siblings": "99"}, {}):
            with pytest.raises(ConflictError) as refused:
                write(engine, session=SESSION, cnie=cnie, fields=fields, now=now + timedelta(minutes=1))
            assert (refused.value.code, refused.value.found) == ("scholarship.submitted", "submitted")
    shown = scholarship.application_of(engine, session=SESSION, cnie=cnie, now=now)
    assert shown is not None
    assert (shown.form.income_bracket, shown.submitted_at, shown.eligible) == ("under_30k", now, True)
    assert _count(engine) == 1
    assert len(_events(engine)) == 1


def _submitted(engine: Engine, year: Year, candidate: Candidate, fields: dict[str, str]) -> int:
    return scholarship.submit(engine, session=SESSION, cnie=candidate.cnie, fields=fields, now=year.published).id


def test_an_officer_reviews_and_decides_in_their_province_only(engine: Engine, year: Year) -> None:
    now = year.published
    province = year.admitted[0].directorate_code
    eligible = _submitted(engine, year, year.admitted[0], COMPLETE)
    ineligible = _submitted(engine, year, year.admitted[1], INELIGIBLE)
    elsewhere = _submitted(engine, year, year.other_province, COMPLETE)
    assert [item.id for item in scholarship.queue_for(engine, session=SESSION, province=province)] == [
        eligible,
        ineligible,
    ]
    officer = "staff:7"

    # Another province's application, whatever the operation: refused, nothing written.
    for action in (
        lambda: scholarship.application_for(engine, application_id=elsewhere, province=province),
        lambda: scholarship.start_review(engine, application_id=elsewhere, province=province, officer=officer, now=now),
        lambda: scholarship.decide(
            engine, application_id=elsewhere, province=province, grant=True, reason=None, officer=officer, now=now
        ),
    ):
        with pytest.raises(ForbiddenError) as refused:
            action()
        assert refused.value.code == "scholarship.other_province"
    with pytest.raises(NotFoundError) as unknown:
        scholarship.application_for(engine, application_id=10_000, province=province)
    assert unknown.value.code == "scholarship.unknown"

    # Decided only once under review; a refusal gives its reason; an ineligible one cannot be granted.
    with pytest.raises(ConflictError) as early:
        scholarship.decide(
            engine, application_id=eligible, province=province, grant=True, reason=None, officer=officer, now=now
        )
    assert (early.value.code, early.value.found) == ("scholarship.state", "submitted")
    reviewed = scholarship.start_review(engine, application_id=eligible, province=province, officer=officer, now=now)
    assert reviewed.state is ScholarshipState.UNDER_REVIEW
    with pytest.raises(ConflictError, match="not waiting"):
        scholarship.start_review(engine, application_id=eligible, province=province, officer=officer, now=now)
    granted = scholarship.decide(
        engine, application_id=eligible, province=province, grant=True, reason=None, officer=officer, now=now
    )
    assert (granted.state, granted.decided_at) == ("granted", now)
    with pytest.raises(ConflictError) as twice:
        scholarship.decide(
            engine, application_id=eligible, province=province, grant=False, reason="x", officer=officer, now=now
        )
    assert (twice.value.code, twice.value.found) == ("scholarship.state", "granted")

    scholarship.start_review(engine, application_id=ineligible, province=province, officer=officer, now=now)
    with pytest.raises(ConflictError) as not_eligible:
        scholarship.decide(
            engine, application_id=ineligible, province=province, grant=True, reason=None, officer=officer, now=now
        )
    assert (not_eligible.value.code, not_eligible.value.found) == ("scholarship.not_eligible", "income_too_high")
    for reason in ("", "   ", "bad\x00reason"):
        with pytest.raises(InputError) as no_reason:
            scholarship.decide(
                engine,
                application_id=ineligible,
                province=province,
                grant=False,
                reason=reason,
                officer=officer,
                now=now,
            )
        assert no_reason.value.code == "scholarship.reason_required"
    refused = scholarship.decide(
        engine,
        application_id=ineligible,
        province=province,
        grant=False,
        reason="Household income above the scholarship's threshold",
        officer=officer,
        now=now,
    )
    assert (refused.state, refused.decision_reason) == ("refused", "Household income above the scholarship's threshold")
    assert scholarship.queue_for(engine, session=SESSION, province=province) == []
    shown = scholarship.application_of(engine, session=SESSION, cnie=year.admitted[1].cnie, now=now)
    assert shown is not None
    assert shown.state is ScholarshipState.REFUSED

    # Every step an audit event, without personal data.
    assert verify_chain(engine).ok
    events = _events(engine)
    assert sorted(event.action for event in events) == [
        "scholarship.decide",
        "scholarship.decide",
        "scholarship.review_start",
        "scholarship.review_start",
        "scholarship.submit",
        "scholarship.submit",
        "scholarship.submit",
    ]
    people = [*year.admitted, year.other_province]
    for event in events:
        text = f"{event.actor} {event.target} {event.details} {event.reason}"
        assert not any(c.cnie in text or c.family_name_lat in text for c in people)
        assert "under_30k" not in text
        assert "income" not in text


def test_two_first_drafts_at_once_make_one_application(engine: Engine, year: Year, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: two first drafts cannot interleave")
    candidate, now = year.admitted[0], year.published
    # Another tab's first draft, inserted and not yet committed: the save below sees no row, and its insert waits
    # on the unique key until that tab commits, then fails; the save is written again over the other tab's row.
    other_tab = engine.connect()
    transaction = other_tab.begin()
    other_tab.execute(
        insert(table(ScholarshipRow)).values(
            session=SESSION,
            candidate_id=candidate.id,
            province=candidate.directorate_code,
            state="draft",
            income_bracket="under_30k",
            created_at=now,
            updated_at=now,
        )
    )
    saved: list[scholarship.Application] = []
    thread = threading.Thread(
        target=lambda: saved.append(
            scholarship.save_draft(engine, session=SESSION, cnie=candidate.cnie, fields={"siblings": "2"}, now=now)
        )
    )
    thread.start()
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as probe:
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if waiting:
            break
        assert time.monotonic() < deadline, "the second save never waited on the first one's row"
        time.sleep(0.05)
    transaction.commit()
    other_tab.close()
    thread.join(timeout=30)
    (application,) = saved
    assert (application.form.siblings, application.form.income_bracket) == (2, None)
    assert _count(engine) == 1
