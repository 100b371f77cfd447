"""Complaints about a mark (:mod:`exams.complaints`): the candidate's section of the results page and its form, the
corrected diploma's wallet offer, and the academy reviewers' queue and decisions.

The candidate is the session's (the eID's CNIE), never a form field; the window, the subject (one of the candidate's
own regional or national subjects) and the one-per-subject rule are the exam year's, checked at the server whatever
the browser sends. A form sent twice (two tabs, a replayed POST) is answered as the first time and writes nothing
more: a complaint identical to the one on record for its subject, a decision identical to the one taken. A reviewer
must hold the academy-reviewer role of the complaint's academy; a decision is shown with whom it touches and taken
only once confirmed.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlmodel import col

from common.html import Markup
from common.qr import qr_svg
from common.service.database import reading, writing
from exams import complaints
from exams.complaints import Complaint, ComplaintWindow
from exams.errors import ConflictError
from exams.marks import parse_mark
from exams.models import CandidateRow
from exams.registry import Candidate
from exams.subjects import load_rules
from issuer.models import ACTIVE, Diploma
from issuer.oid4vci import create_offer
from issuer.records import resolve
from issuer.secrets import load_secrets
from portal import complaint_pages, staff, views
from portal.complaint_messages import COMPLAINT_UI
from portal.complaint_pages import ComplaintView, WindowView
from portal.deps import FormDep, LocaleDep, ServicesDep, SessionDep, viewer_of
from portal.errors import RequestError, StaffError
from portal.messages import Locale
from portal.pages import Viewer
from portal.results import ResultsRead
from portal.routes.common import NO_STORE, html
from portal.services import Services
from portal.sessions import PortalSession
from portal.staff import Role, StaffRole

router = APIRouter(include_in_schema=False)
logger = logging.getLogger("tawtiq.portal")

_OWN_EXAMS: Final = ("regional", "national")
_CHANGED: Final = ("superseded", "first_diploma", "revoked")
#: What the queue page may say after an action (a fixed set: nothing a URL carries is shown as text).
StaffDone = Literal["review", "rejected", "unchanged", "superseded", "first_diploma", "revoked"]
_STAFF_NOTICES: Final = {
    "review": "staff_review_started",
    "rejected": "staff_complaint_decided",
    "unchanged": "staff_outcome_unchanged",
    "superseded": "staff_outcome_superseded",
    "first_diploma": "staff_outcome_first_diploma",
    "revoked": "staff_outcome_revoked",
}


def _mark(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _subject_labels(candidate: Candidate | None, locale: Locale) -> dict[str, str]:
    """Subject code → label in the reader's language, for the candidate's stream (codes stay as they are if the
    rules do not know them)."""
    if candidate is None:
        return {}
    stream = load_rules().stream(candidate.stream_code)
    return {rule.code: rule.label_ar if locale == "ar" else rule.label_fr for rule in stream.subjects}


def _view(
    item: Complaint, locale: Locale, labels: dict[str, str], *, candidate: Candidate | None = None
) -> ComplaintView:
    return ComplaintView(
        id=item.id,
        subject=labels.get(item.subject, item.subject),
        exam=item.exam,
        kind=item.kind,
        comment=item.comment,
        state=item.state,
        original_mark=f"{item.original_mark:.2f}",
        new_mark=_mark(item.new_mark),
        reason=item.reason,
        candidate=views.full_name(candidate, locale),
        centre=item.exam_centre_code if candidate is not None else "",
    )


def _window(services: Services, window: ComplaintWindow | None) -> WindowView:
    if window is None:
        return WindowView("not_scheduled")
    now = services.clock.now()
    state: complaint_pages.WindowState = (
        "before" if now < window.opens_at else "closed" if now >= window.closes_at else "open"
    )
    return WindowView(state, window.opens_at, window.closes_at)


def results_section(services: Services, *, viewer: Viewer, locale: Locale, read: ResultsRead, done: bool) -> Markup:
    """The complaint section of a published result's page (see :func:`portal.complaint_pages.complaints_section`),
    from what :func:`portal.results.published_read` read with the result."""
    result, filed = read.result, read.complaints
    taken = {item.subject for item in filed}
    labels = {mark.code: mark.label_ar if locale == "ar" else mark.label_fr for mark in result.marks}
    subjects = [
        (mark.code, labels[mark.code]) for mark in result.marks if mark.exam in _OWN_EXAMS and mark.code not in taken
    ]
    changed = [item.outcome for item in filed if item.state == complaints.UPHELD and item.outcome in _CHANGED]
    return complaint_pages.complaints_section(
        locale=locale,
        viewer=viewer,
        window=_window(services, read.window),
        subjects=subjects,
        complaints=[_view(item, locale, labels) for item in filed],
        corrected=changed[-1] if changed else None,
        notice=COMPLAINT_UI["complaint_sent"][locale] if done else None,
    )


@router.post("/results/complaints")
def file_complaint(services: ServicesDep, session: SessionDep, form: FormDep) -> RedirectResponse:
    name = services.settings.exam_session
    subject = form.fields.get("subject", "")
    kind = form.fields.get("kind", "")
    comment = form.fields.get("comment", "")
    try:
        complaints.file_complaint(
            services.engine,
            session=name,
            cnie=session.cnie,
            subject=subject,
            kind=kind,
            comment=comment,
            now=services.clock.now(),
        )
    except ConflictError as exc:
        if exc.code != "complaint.duplicate" or not _same_complaint(services, session, subject, kind, comment):
            raise
        logger.info("complaint sent again: answered as the first time")
    return RedirectResponse(f"/results?lang={form.locale}&done=complaint#complaints", status_code=303, headers=NO_STORE)


def _same_complaint(services: Services, session: PortalSession, subject: str, kind: str, comment: str) -> bool:
    """Whether the complaint on record for ``subject`` is this one (a second tab or a replayed POST)."""
    filed = complaints.complaints_of(services.engine, session=services.settings.exam_session, cnie=session.cnie)
    code = subject.strip().upper()
    return any(item.subject == code and item.kind == kind and item.comment == comment.strip() for item in filed)


@router.post("/results/offer")
def new_offer(request: Request, services: ServicesDep, session: SessionDep, form: FormDep) -> HTMLResponse:
    """A wallet offer for the diploma a complaint corrected (its current record); the PIN is shown once."""
    filed = complaints.complaints_of(services.engine, session=services.settings.exam_session, cnie=session.cnie)
    records = [item.new_record for item in filed if item.new_record is not None]
    now = services.clock.now()
    with writing(services.engine) as db:
        record = db.get(Diploma, records[-1]) if records else None
        current = resolve(db, session.cnie, session_name=record.session) if record is not None else None
        if current is None or current.status != ACTIVE:
            raise ConflictError(
                "no corrected diploma to offer",
                code="offer.none",
                found=current.status if current is not None else "no corrected record",
                expected="an active record created by an upheld complaint",
            )
        secrets = load_secrets(db)
        offer = create_offer(
            db,
            diploma=current,
            settings=services.issuer,
            secrets=secrets,
            actor=f"candidate:{secrets.pseudonym_of(session.cnie)}",
            now=now,
        )
    page = complaint_pages.offer_page(
        locale=form.locale,
        viewer=viewer_of(session),
        offer_uri=offer.offer_uri,
        qr_svg=qr_svg(offer.offer_uri, title="OpenID4VCI"),
        tx_code=offer.tx_code,
        expires_at=offer.expires_at,
    )
    return html(page, request=request, locale=form.locale)


# ------------------------------------------------------------------------------------------------- staff


def _academies(services: Services, session: PortalSession) -> list[StaffRole]:
    """The session's academy-reviewer roles. Raises :class:`StaffError` ``staff.forbidden`` (no role) or
    ``staff.complaint_role`` (roles that may not decide complaints)."""
    roles = staff.roles_of(services.engine, cnie=session.cnie)
    if not roles:
        raise StaffError(
            "the staff pages are for reviewers",
            found="no staff role",
            expected="a role given by tawtiq portal staff add",
        )
    academies = [role for role in roles if role.role is Role.ACADEMY_REVIEWER]
    if not academies:
        raise StaffError(
            "complaints are reviewed and decided by the academy's reviewers",
            code="staff.complaint_role",
            found=", ".join(sorted({role.role.value for role in roles})),
            expected=Role.ACADEMY_REVIEWER.value,
        )
    return academies


def _candidates(services: Services, ids: set[int]) -> dict[int, Candidate]:
    if not ids:
        return {}
    with reading(services.engine) as db:
        rows = db.execute(select(CandidateRow).where(col(CandidateRow.id).in_(sorted(ids)))).scalars()
        return {candidate.id: candidate for candidate in map(Candidate.of_row, rows)}


def _own(services: Services, roles: list[StaffRole], complaint_id: int) -> tuple[Complaint, Candidate, StaffRole]:
    """The complaint, if one of ``roles`` covers its academy. Raises ``complaint.unknown`` (404) and
    ``complaint.other_academy`` (403)."""
    item, candidate = complaints.complaint_by_id(services.engine, complaint_id=complaint_id)
    role = next((role for role in roles if role.scope == item.academy_code), None)
    if role is None or item.session != services.settings.exam_session:
        raise StaffError(
            "this complaint belongs to another academy",
            code="complaint.other_academy",
            found=f"complaint {complaint_id}",
            expected="a complaint of the academy you review",
        )
    return item, candidate, role


@router.get("/staff/complaints")
def queue_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    locale: LocaleDep,
    subject: Annotated[str, Query(max_length=20)] = "",
    centre: Annotated[str, Query(max_length=40)] = "",
    done: StaffDone | None = None,
) -> HTMLResponse:
    roles = _academies(services, session)
    found: list[Complaint] = []
    for role in roles:
        found += complaints.queue_for(
            services.engine,
            session=services.settings.exam_session,
            academy=role.scope,
            subject=subject.strip() or None,
            centre=centre.strip() or None,
        )
    candidates = _candidates(services, {item.candidate_id for item in found})
    shown = []
    for item in found:
        candidate = candidates.get(item.candidate_id)
        shown.append(_view(item, locale, _subject_labels(candidate, locale), candidate=candidate))
    page = complaint_pages.staff_complaints_page(
        locale=locale,
        viewer=viewer_of(session),
        scopes=[f"{role.role.value} {role.scope}" for role in roles],
        queue=shown,
        subject=subject,
        centre=centre,
        notice=COMPLAINT_UI[_STAFF_NOTICES[done]][locale] if done is not None else None,
    )
    return html(page, request=request, locale=locale)


ComplaintId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/staff/complaints/{complaint_id}/review")
def start_review(
    services: ServicesDep, session: SessionDep, form: FormDep, complaint_id: ComplaintId
) -> RedirectResponse:
    roles = _academies(services, session)
    _item, _candidate, role = _own(services, roles, complaint_id)
    complaints.start_review(
        services.engine,
        complaint_id=complaint_id,
        academy=role.scope,
        reviewer=f"staff:{role.id}",
        at=services.clock.now(),
    )
    return RedirectResponse(f"/staff/complaints?lang={form.locale}&done=review", status_code=303, headers=NO_STORE)


@router.post("/staff/complaints/{complaint_id}/decide", response_model=None)
def decide(
    request: Request, services: ServicesDep, session: SessionDep, form: FormDep, complaint_id: ComplaintId
) -> HTMLResponse | RedirectResponse:
    """Without ``confirm=yes``: the confirmation page (whom the decision touches). With it: the decision."""
    roles = _academies(services, session)
    item, candidate, role = _own(services, roles, complaint_id)
    decision = form.fields.get("decision")
    if decision not in ("uphold", "reject"):
        raise RequestError(
            "no decision", code="complaint.decision", found=str(decision)[:20], expected="uphold or reject"
        )
    uphold = decision == "uphold"
    reason = form.fields.get("reason", "").strip()
    mark_text = form.fields.get("new_mark", "").strip().replace(",", ".")
    centi = parse_mark(mark_text) if uphold else None
    after = f"/staff/complaints?lang={form.locale}&done="
    if item.state in (complaints.UPHELD, complaints.REJECTED):
        same = (item.state == complaints.UPHELD) == uphold and (
            not uphold or (centi is not None and item.new_mark == Decimal(centi) / 100)
        )
        if same and form.fields.get("confirm") == "yes" and item.reason == reason:
            logger.info("complaint decision sent again: answered as the first time")
            return RedirectResponse(after + (item.outcome or "rejected"), status_code=303, headers=NO_STORE)
        raise ConflictError(
            "this complaint is already decided", code="complaint.decided", found=item.state, expected="an open one"
        )
    if not reason:
        raise RequestError(
            "a decision gives its reason", code="complaint.reason_required", found="no reason", expected="a reason"
        )
    if uphold and (centi is None or centi == int(item.original_mark * 100)):
        raise RequestError(
            "an upheld complaint records the corrected mark",
            code="complaint.mark_invalid",
            found=repr(mark_text[:20]) if mark_text else "no mark",
            expected="a mark from 0 to 20, other than the original",
        )
    new_mark = f"{Decimal(centi) / 100:.2f}" if centi is not None else ""
    if form.fields.get("confirm") != "yes":
        page = complaint_pages.confirm_page(
            locale=form.locale,
            viewer=viewer_of(session),
            item=_view(item, form.locale, _subject_labels(candidate, form.locale), candidate=candidate),
            uphold=uphold,
            new_mark=new_mark,
            reason=reason,
        )
        return html(page, request=request, locale=form.locale)
    decided = complaints.decide(
        services.engine,
        settings=services.issuer,
        complaint_id=complaint_id,
        academy=role.scope,
        uphold=uphold,
        new_mark=new_mark or None,
        reason=reason,
        reviewer=f"staff:{role.id}",
        at=services.clock.now(),
    )
    logger.info("complaint %d decided: %s", decided.id, decided.outcome or decided.state)
    return RedirectResponse(after + (decided.outcome or "rejected"), status_code=303, headers=NO_STORE)
