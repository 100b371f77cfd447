"""The post-baccalaureate scholarship: an admitted graduate applies, an officer of their province decides.

**Who.** Only a candidate admitted in the session (normal or catch-up stage), once the result is announced, may
apply (``scholarship.not_admitted`` otherwise, saying why). The applicant is the CNIE the eID vouched for — the
portal passes its session's, never a value a browser sends; without one there is no application
(``scholarship.no_cnie``).

**The form** (:class:`ApplicationForm`): the family situation, the household income bracket and the intended
establishment, each one of the rules file's codes, and the number of siblings in higher education (a whole number
from 0 to ``max_siblings``). A draft may be saved incomplete (what is given is checked); a submission needs every
field. Each refused field has its own code (``scholarship.family_situation``, ``scholarship.income_bracket``,
``scholarship.siblings``, ``scholarship.establishment``) and says what was found and what was expected.

**States** (:class:`ScholarshipState`): ``draft`` → ``submitted`` (:func:`submit`, once: a second submission, a
draft saved from another tab or a replayed POST is refused with ``scholarship.submitted`` and writes nothing) →
``under_review`` (:func:`start_review`) → ``granted`` or ``refused`` with the reason (:func:`decide`).

**Eligibility** is data (``exams/data/scholarship_rules.json``, illustrative defaults; :func:`load_rules` validates
it entirely, ``scholarship_rules.invalid`` naming where), evaluated by :func:`evaluate` when the application is
submitted; its reasons are kept and shown to the applicant and the officer. An officer may grant only an eligible
application (``scholarship.not_eligible``) and must give a refusal's reason.

**Province.** An application belongs to the candidate's province — the directorate code of the registry. Every
officer function takes the officer's province and refuses an application of another one
(``scholarship.other_province``), whatever id is asked for.

Submission, review and decision append an audit event in their transaction, naming the application by id and the
actor by pseudonym (applicant) or staff role id (officer): no CNIE, name, income or family situation.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

import schemas
from exams import registry
from exams.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from exams.models import CandidateRow, ExamSessionRow, ResultRow, ScholarshipRow
from exams.registry import Candidate
from exams.rules import ADMITTED
from exams.rules_file import RulesFile
from issuer import audit
from issuer.db import reading, writing
from issuer.secrets import load_secrets

#: The shipped rules file (illustrative defaults).
DEFAULT_RULES_PATH: Final = Path(__file__).resolve().parent / "data" / "scholarship_rules.json"
MAX_REASON_CHARS: Final = 1_000


class ScholarshipState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    GRANTED = "granted"
    REFUSED = "refused"


#: The form's fields, as the portal's form names them.
FORM_FIELDS: Final = ("family_situation", "income_bracket", "siblings", "establishment")

# The eligibility reasons (kept with the application, explained by the pages).
INCOME_ELIGIBLE: Final = "income_eligible"
INCOME_WITH_SIBLINGS: Final = "income_eligible_with_siblings"
SITUATION_ELIGIBLE: Final = "situation_eligible"
INCOME_TOO_HIGH: Final = "income_too_high"
REASONS: Final = (INCOME_ELIGIBLE, INCOME_WITH_SIBLINGS, SITUATION_ELIGIBLE, INCOME_TOO_HIGH)


@dataclass(frozen=True, slots=True)
class Choice:
    """One choice the form offers: its code and labels."""

    code: str
    ar: str
    fr: str


@dataclass(frozen=True)
class ScholarshipRules:
    """The validated rules file: the form's choices (in the file's order) and the eligibility rules."""

    family_situations: dict[str, Choice]
    income_brackets: dict[str, Choice]
    establishments: dict[str, Choice]
    max_siblings: int
    eligible_brackets: frozenset[str]
    sibling_brackets: frozenset[str]
    min_siblings: int
    any_income_situations: frozenset[str]
    source: str


_RULES_FILE: Final = RulesFile("the scholarship rules file", code="scholarship_rules.invalid")
_problem = _RULES_FILE.problem
_mapping = _RULES_FILE.mapping


def _choices(value: Any, where: str, source: str) -> dict[str, Choice]:
    entries = _mapping(value, where, source)
    if not entries:
        raise _problem(where, "no entry", "at least one choice", source)
    found: dict[str, Choice] = {}
    for code, raw in entries.items():
        if not code or len(code) > 40 or not all(char.isascii() and (char.isalnum() or char in "-_") for char in code):
            raise _problem(f"{where}.{code}", code, "a code of 1-40 letters, digits, - or _", source)
        labels = _mapping(raw, f"{where}.{code}", source)
        for locale in ("ar", "fr"):
            text = labels.get(locale)
            if not isinstance(text, str) or not text.strip():
                raise _problem(f"{where}.{code}.{locale}", text, "a non-empty label", source)
        found[code] = Choice(code, labels["ar"], labels["fr"])
    return found


def _codes(value: Any, where: str, known: Mapping[str, Choice], source: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _problem(where, value, "a list of codes", source)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise _problem(where, unknown, f"codes among {', '.join(known)}", source)
    return frozenset(value)


def parse_rules(document: Any, *, source: str) -> ScholarshipRules:
    """Validate a rules document (the module docstring). Raises :class:`ConfigurationError`
    ``scholarship_rules.invalid`` naming where the first mistake is."""
    top = _mapping(document, "the top level", source)
    for name in ("family_situations", "income_brackets", "establishments", "max_siblings", "eligibility"):
        if name not in top:
            raise _problem(name, "nothing", f"a member {name!r}", source)
    situations = _choices(top["family_situations"], "family_situations", source)
    brackets = _choices(top["income_brackets"], "income_brackets", source)
    establishments = _choices(top["establishments"], "establishments", source)
    max_siblings = top["max_siblings"]
    if isinstance(max_siblings, bool) or not isinstance(max_siblings, int) or not 1 <= max_siblings <= 30:
        raise _problem("max_siblings", max_siblings, "a whole number from 1 to 30", source)
    rules = _mapping(top["eligibility"], "eligibility", source)
    eligible = _codes(rules.get("income_brackets"), "eligibility.income_brackets", brackets, source)
    with_siblings = _mapping(
        rules.get("income_brackets_with_siblings"), "eligibility.income_brackets_with_siblings", source
    )
    sibling_brackets = _codes(
        with_siblings.get("brackets"), "eligibility.income_brackets_with_siblings.brackets", brackets, source
    )
    min_siblings = with_siblings.get("min_siblings")
    if isinstance(min_siblings, bool) or not isinstance(min_siblings, int) or not 1 <= min_siblings <= max_siblings:
        raise _problem(
            "eligibility.income_brackets_with_siblings.min_siblings",
            min_siblings,
            f"a whole number from 1 to max_siblings ({max_siblings})",
            source,
        )
    if not eligible:
        raise _problem("eligibility.income_brackets", "no bracket", "at least one eligible income bracket", source)
    situations_any = _codes(rules.get("any_income_situations"), "eligibility.any_income_situations", situations, source)
    return ScholarshipRules(
        family_situations=situations,
        income_brackets=brackets,
        establishments=establishments,
        max_siblings=max_siblings,
        eligible_brackets=eligible,
        sibling_brackets=sibling_brackets,
        min_siblings=min_siblings,
        any_income_situations=situations_any,
        source=source,
    )


def read_rules(path: Path) -> ScholarshipRules:
    """Read and validate the rules file at ``path``. Raises ``scholarship_rules.invalid``."""
    return _RULES_FILE.read(path, parse_rules)


@functools.cache
def load_rules() -> ScholarshipRules:
    """The shipped rules (``exams/data/scholarship_rules.json``), validated once per process."""
    return read_rules(DEFAULT_RULES_PATH)


@dataclass(frozen=True)
class ApplicationForm:
    """The form's values, each checked against the rules (None: not given yet, allowed in a draft only)."""

    family_situation: str | None
    income_bracket: str | None
    siblings: int | None
    establishment: str | None

    def missing(self) -> list[str]:
        return [name for name in FORM_FIELDS if getattr(self, name) is None]


def _choice(fields: Mapping[str, str], name: str, choices: Mapping[str, Choice]) -> str | None:
    value = fields.get(name, "").strip()
    if not value:
        return None
    if value not in choices:
        raise InputError(
            f"{name.replace('_', ' ')}: not one of the form's choices",
            code=f"scholarship.{name}",
            found=repr(value[:40]),
            expected=f"one of {', '.join(choices)}",
        )
    return value


def parse_form(fields: Mapping[str, str], *, rules: ScholarshipRules, complete: bool) -> ApplicationForm:
    """The form from posted fields. ``complete``: every field is required (a submission).

    Raises :class:`InputError` with the field's code (``scholarship.family_situation``, ``…income_bracket``,
    ``…siblings``, ``…establishment``) for a value that is not one of the choices or not a number in range, and
    ``scholarship.incomplete`` naming the missing fields of a submission.
    """
    siblings_text = fields.get("siblings", "").strip()
    siblings: int | None = None
    if siblings_text:
        if not (siblings_text.isascii() and siblings_text.isdigit()) or int(siblings_text) > rules.max_siblings:
            raise InputError(
                "siblings in higher education: not a whole number in range",
                code="scholarship.siblings",
                found=repr(siblings_text[:20]),
                expected=f"a whole number from 0 to {rules.max_siblings}",
            )
        siblings = int(siblings_text)
    form = ApplicationForm(
        family_situation=_choice(fields, "family_situation", rules.family_situations),
        income_bracket=_choice(fields, "income_bracket", rules.income_brackets),
        siblings=siblings,
        establishment=_choice(fields, "establishment", rules.establishments),
    )
    missing = form.missing()
    if complete and missing:
        raise InputError(
            "the application is incomplete",
            code="scholarship.incomplete",
            found=f"no value for {', '.join(missing)}",
            expected=f"every field: {', '.join(FORM_FIELDS)}",
        )
    return form


@dataclass(frozen=True)
class Evaluation:
    """Whether a complete form is eligible, and why (reason codes, :data:`REASONS`)."""

    eligible: bool
    reasons: tuple[str, ...]


def evaluate(form: ApplicationForm, rules: ScholarshipRules) -> Evaluation:
    """The eligibility of a complete form under ``rules`` (the rules file's ``eligibility``). Pure.

    Eligible when the income bracket is an eligible one (``income_eligible``), or one eligible with siblings and
    there are enough of them (``income_eligible_with_siblings``), or the family situation is eligible at any income
    (``situation_eligible``); otherwise ``income_too_high``.
    """
    assert not form.missing(), "evaluated on a complete form only"
    reasons: list[str] = []
    if form.income_bracket in rules.eligible_brackets:
        reasons.append(INCOME_ELIGIBLE)
    elif form.income_bracket in rules.sibling_brackets and (form.siblings or 0) >= rules.min_siblings:
        reasons.append(INCOME_WITH_SIBLINGS)
    if form.family_situation in rules.any_income_situations:
        reasons.append(SITUATION_ELIGIBLE)
    if not reasons:
        return Evaluation(False, (INCOME_TOO_HIGH,))
    return Evaluation(True, tuple(reasons))


@dataclass(frozen=True)
class Application:
    """An application as its applicant or an officer sees it, with its candidate."""

    id: int
    session: str
    province: str
    form: ApplicationForm
    state: ScholarshipState
    eligible: bool | None
    reasons: tuple[str, ...]
    decision_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    candidate: Candidate

    def __repr__(self) -> str:
        return f"Application(id={self.id}, state={self.state.value!r}, province={self.province!r})"


def _application(row: ScholarshipRow, candidate: Candidate) -> Application:
    assert row.id is not None
    return Application(
        id=row.id,
        session=row.session,
        province=row.province,
        form=ApplicationForm(row.family_situation, row.income_bracket, row.siblings, row.establishment),
        state=ScholarshipState(row.state),
        eligible=row.eligible,
        reasons=tuple((row.reasons or "").split()),
        decision_reason=row.decision_reason,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        candidate=candidate,
    )


def _not_admitted(found: str, session: str) -> ForbiddenError:
    return ForbiddenError(
        "only the admitted candidates of the session may apply for the scholarship",
        code="scholarship.not_admitted",
        found=found,
        expected=f"a candidate admitted in {session}, once the result is announced",
    )


def _applicant(db: Session, *, session: str, cnie: str, now: datetime) -> Candidate:
    """The candidate behind ``cnie`` once checked admitted and announced (see the module docstring)."""
    if not cnie.strip():
        raise ForbiddenError(
            "an application needs the CNIE the eID vouched for",
            code="scholarship.no_cnie",
            found="no CNIE number",
            expected="a login with the electronic CNIE",
        )
    candidate = registry.lookup(db, session=session, cnie=cnie)
    if candidate is None:
        raise _not_admitted("no registration in this session", session)
    result = db.get(ResultRow, candidate.id)
    published = db.get(ExamSessionRow, session)
    if result is None or published is None or published.published_at is None or now < published.published_at:
        raise _not_admitted("no announced result", session)
    catch_up_public = published.catch_up_published_at is not None and now >= published.catch_up_published_at
    if result.decision != ADMITTED and not (catch_up_public and result.catch_up_decision == ADMITTED):
        raise _not_admitted("a result other than admitted", session)
    return candidate


def applicant_of(engine: Engine, *, session: str, cnie: str, now: datetime) -> Candidate:
    """The admitted candidate behind ``cnie``. Raises :class:`ForbiddenError` ``scholarship.no_cnie`` or
    ``scholarship.not_admitted`` (found: not registered, no announced result, not admitted)."""
    with reading(engine) as db:
        return _applicant(db, session=session, cnie=cnie, now=now)


def _row_of(db: Session, *, session: str, candidate_id: int, lock: bool = False) -> ScholarshipRow | None:
    statement = select(ScholarshipRow).where(
        col(ScholarshipRow.session) == session, col(ScholarshipRow.candidate_id) == candidate_id
    )
    if lock:
        statement = statement.with_for_update()
    return db.execute(statement).scalar_one_or_none()


def application_of(engine: Engine, *, session: str, cnie: str, now: datetime) -> Application | None:
    """The applicant's application (None before the first draft). Raises as :func:`applicant_of`."""
    with reading(engine) as db:
        candidate = _applicant(db, session=session, cnie=cnie, now=now)
        row = _row_of(db, session=session, candidate_id=candidate.id)
        return None if row is None else _application(row, candidate)


def _submitted(state: str) -> ConflictError:
    return ConflictError(
        "the application was submitted: it can no longer be changed or submitted again",
        code="scholarship.submitted",
        found=state,
        expected=ScholarshipState.DRAFT.value,
    )


def _write(
    engine: Engine, *, session: str, cnie: str, form: ApplicationForm, now: datetime, submit: bool
) -> Application:
    rules = load_rules()
    for attempt in (1, 2):
        try:
            with writing(engine) as db:
                candidate = _applicant(db, session=session, cnie=cnie, now=now)
                row = _row_of(db, session=session, candidate_id=candidate.id, lock=True)
                if row is None:
                    row = ScholarshipRow(
                        session=session,
                        candidate_id=candidate.id,
                        province=candidate.directorate_code,
                        state=ScholarshipState.DRAFT.value,
                        created_at=now,
                        updated_at=now,
                    )
                elif row.state != ScholarshipState.DRAFT:
                    raise _submitted(row.state)
                row.family_situation, row.income_bracket = form.family_situation, form.income_bracket
                row.siblings, row.establishment = form.siblings, form.establishment
                row.updated_at = now
                if submit:
                    evaluation = evaluate(form, rules)
                    row.state = ScholarshipState.SUBMITTED.value
                    row.eligible = evaluation.eligible
                    row.reasons = " ".join(evaluation.reasons)
                    row.submitted_at = now
                db.add(row)
                db.flush()
                if submit:
                    assert row.id is not None
                    audit.append(
                        db,
                        actor=f"candidate:{load_secrets(db).pseudonym_of(candidate.cnie)}",
                        action="scholarship.submit",
                        target=f"scholarship:{row.id}",
                        at=now,
                        details={"session": session},
                    )
                return _application(row, candidate)
        except IntegrityError:
            # Two first drafts at once (two tabs): the other one created the row; write again over it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _parsed(
    engine: Engine, *, session: str, cnie: str, fields: Mapping[str, str], now: datetime, complete: bool
) -> ApplicationForm:
    """The form, or its refusal; a stale form (another tab) of a submitted application is refused as a second
    submission, whatever its fields hold, so the applicant reads why nothing can change any more."""
    try:
        return parse_form(fields, rules=load_rules(), complete=complete)
    except InputError:
        current = application_of(engine, session=session, cnie=cnie, now=now)
        if current is not None and current.state is not ScholarshipState.DRAFT:
            raise _submitted(current.state.value) from None
        raise


def save_draft(engine: Engine, *, session: str, cnie: str, fields: Mapping[str, str], now: datetime) -> Application:
    """Save the form as the draft (created at the first save; fields may be missing, what is given is checked).

    Raises as :func:`applicant_of` and :func:`parse_form`; :class:`ConflictError` ``scholarship.submitted`` once
    the application is submitted (nothing written).
    """
    form = _parsed(engine, session=session, cnie=cnie, fields=fields, now=now, complete=False)
    return _write(engine, session=session, cnie=cnie, form=form, now=now, submit=False)


def submit(engine: Engine, *, session: str, cnie: str, fields: Mapping[str, str], now: datetime) -> Application:
    """Save the complete form and submit it, once: the eligibility is evaluated and kept, an audit event appended.

    Raises as :func:`save_draft` (``scholarship.incomplete`` for a missing field); a second submission is
    ``scholarship.submitted`` and writes nothing.
    """
    form = _parsed(engine, session=session, cnie=cnie, fields=fields, now=now, complete=True)
    return _write(engine, session=session, cnie=cnie, form=form, now=now, submit=True)


def _candidates(db: Session, ids: set[int]) -> dict[int, Candidate]:
    if not ids:
        return {}
    rows = db.execute(select(CandidateRow).where(col(CandidateRow.id).in_(sorted(ids)))).scalars()
    return {candidate.id: candidate for candidate in map(Candidate.of_row, rows)}


def queue_for(engine: Engine, *, session: str, province: str) -> list[Application]:
    """The province's applications awaiting a decision (submitted or under review), oldest first."""
    statement = (
        select(ScholarshipRow)
        .where(
            col(ScholarshipRow.session) == session,
            col(ScholarshipRow.province) == province,
            col(ScholarshipRow.state).in_([ScholarshipState.SUBMITTED.value, ScholarshipState.UNDER_REVIEW.value]),
        )
        .order_by(col(ScholarshipRow.id))
    )
    with reading(engine) as db:
        rows = list(db.execute(statement).scalars())
        candidates = _candidates(db, {row.candidate_id for row in rows})
        return [_application(row, candidates[row.candidate_id]) for row in rows]


def _for_officer(db: Session, *, application_id: int, province: str, lock: bool) -> ScholarshipRow:
    statement = select(ScholarshipRow).where(col(ScholarshipRow.id) == application_id)
    if lock:
        statement = statement.with_for_update()
    row: ScholarshipRow | None = db.execute(statement).scalar_one_or_none()
    if row is None or row.state == ScholarshipState.DRAFT:
        raise NotFoundError(
            "no such submitted application",
            code="scholarship.unknown",
            found=f"application {application_id}",
            expected="a submitted application",
        )
    if row.province != province:
        raise ForbiddenError(
            "this application belongs to another province",
            code="scholarship.other_province",
            found=f"application {application_id} of another province",
            expected=f"an application of province {province}",
        )
    return row


def application_for(engine: Engine, *, application_id: int, province: str) -> Application:
    """A submitted application of the officer's province. Raises :class:`NotFoundError` ``scholarship.unknown``
    (none, or a draft), :class:`ForbiddenError` ``scholarship.other_province``."""
    with reading(engine) as db:
        row = _for_officer(db, application_id=application_id, province=province, lock=False)
        return _application(row, _candidates(db, {row.candidate_id})[row.candidate_id])


def start_review(engine: Engine, *, application_id: int, province: str, officer: str, now: datetime) -> Application:
    """Take a submitted application up for review (``under_review``). Raises as :func:`application_for`, and
    :class:`ConflictError` ``scholarship.state`` unless it is ``submitted`` (a replay writes nothing)."""
    with writing(engine) as db:
        row = _for_officer(db, application_id=application_id, province=province, lock=True)
        if row.state != ScholarshipState.SUBMITTED:
            raise ConflictError(
                "this application is not waiting to be reviewed",
                code="scholarship.state",
                found=row.state,
                expected=ScholarshipState.SUBMITTED.value,
            )
        row.state, row.review_started_at, row.officer, row.updated_at = (
            ScholarshipState.UNDER_REVIEW.value,
            now,
            officer[:200],
            now,
        )
        db.add(row)
        db.flush()
        audit.append(
            db, actor=officer, action="scholarship.review_start", target=f"scholarship:{application_id}", at=now
        )
        return _application(row, _candidates(db, {row.candidate_id})[row.candidate_id])


def refusal_reason(text: str) -> str:
    """A refusal's reason, stripped. Raises :class:`InputError` ``scholarship.reason_required`` when it is empty,
    too long, or not plain text (the refused characters named by code point, never the text)."""
    note = text.strip()
    problem = schemas.text_problem(note.replace("\n", " "), path="reason")
    if not note or len(note) > MAX_REASON_CHARS or problem is not None:
        raise InputError(
            "a refusal must give its reason, in plain text",
            code="scholarship.reason_required",
            found=problem.found if problem is not None else f"{len(note)} characters",
            expected=f"1 to {MAX_REASON_CHARS} characters of plain text",
        )
    return schemas.checked_text(note, path="reason")


def decide(
    engine: Engine,
    *,
    application_id: int,
    province: str,
    grant: bool,
    reason: str | None,
    officer: str,
    now: datetime,
) -> Application:
    """Grant or refuse an application under review, once; a refusal gives its reason (the applicant reads it).

    Raises as :func:`application_for`; :class:`ConflictError` ``scholarship.state`` unless it is under review
    (decided already, or not yet taken up), ``scholarship.not_eligible`` to grant one the rules found ineligible;
    :class:`InputError` ``scholarship.reason_required`` (a refusal without a reason or with one that is not plain
    text).
    """
    note = refusal_reason(reason or "") if not grant else ""
    with writing(engine) as db:
        row = _for_officer(db, application_id=application_id, province=province, lock=True)
        if row.state != ScholarshipState.UNDER_REVIEW:
            raise ConflictError(
                "this application cannot be decided now",
                code="scholarship.state",
                found=row.state,
                expected=ScholarshipState.UNDER_REVIEW.value,
            )
        if grant and not row.eligible:
            raise ConflictError(
                "the eligibility rules found this application ineligible: it can only be refused",
                code="scholarship.not_eligible",
                found=row.reasons,
                expected="an eligible application",
            )
        decision = ScholarshipState.GRANTED if grant else ScholarshipState.REFUSED
        row.state, row.decision_reason, row.officer = decision.value, (None if grant else note), officer[:200]
        row.decided_at = row.updated_at = now
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor=officer,
            action="scholarship.decide",
            target=f"scholarship:{application_id}",
            at=now,
            details={"decision": decision.value},
        )
        return _application(row, _candidates(db, {row.candidate_id})[row.candidate_id])
