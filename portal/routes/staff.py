"""The staff pages: a reviewer's queue of correction requests for their school or academy, and the decision.

A person's roles are read at every request (a removed role takes effect at once). A decision is accepted only for
a correction in the reviewer's own queue — the id in the URL names it, the queue decides whether this reviewer
may touch it — so no id can reach another school's requests. Candidates (no role) get a refusal page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import col

from common.service.database import reading
from exams import personal_data
from exams.models import CandidateRow
from exams.personal_data import Correction
from exams.registry import Candidate
from portal import pages, staff, views
from portal.deps import FormDep, LocaleDep, ServicesDep, SessionDep, viewer_of
from portal.errors import RequestError, StaffError
from portal.messages import UI
from portal.routes.common import NO_STORE, html
from portal.services import Services
from portal.sessions import PortalSession
from portal.staff import Role, StaffRole

router = APIRouter(include_in_schema=False)


def _reviewer_roles(services: Services, session: PortalSession) -> list[StaffRole]:
    roles = staff.roles_of(services.engine, cnie=session.cnie)
    if not roles:
        raise StaffError(
            "the staff pages are for reviewers",
            found="no staff role",
            expected="a role given by tawtiq portal staff add",
        )
    return roles


def _queue(services: Services, roles: list[StaffRole]) -> dict[int, tuple[Correction, StaffRole]]:
    """Every pending correction the roles cover, by id, with the role that covers it (an administrator's covers
    the whole session)."""
    name = services.settings.exam_session
    found: dict[int, tuple[Correction, StaffRole]] = {}
    for role in roles:
        if role.role is Role.SCHOLARSHIP_OFFICER:
            continue  # scholarships only: their pages are in portal/routes/scholarship.py
        if role.role is Role.SCHOOL_REVIEWER:
            items = personal_data.queue_for(services.engine, session=name, school=role.scope)
        elif role.role is Role.ACADEMY_REVIEWER:
            items = personal_data.queue_for(services.engine, session=name, academy=role.scope)
        else:
            items = personal_data.queue_for(services.engine, session=name)
        for item in items:
            found.setdefault(item.id, (item, role))
    return found


def _candidates(services: Services, ids: set[int]) -> dict[int, Candidate]:
    """The candidates of a queue, by id, in one read (the exam year's API reads candidates by CNIE only)."""
    if not ids:
        return {}
    with reading(services.engine) as db:
        rows = db.execute(select(CandidateRow).where(col(CandidateRow.id).in_(sorted(ids)))).scalars()
        return {candidate.id: candidate for candidate in map(Candidate.of_row, rows)}


@router.get("/staff")
def queue_page(
    request: Request, services: ServicesDep, session: SessionDep, locale: LocaleDep, done: bool = False
) -> Response:
    roles = _reviewer_roles(services, session)
    if all(role.role is Role.SCHOLARSHIP_OFFICER for role in roles):
        return RedirectResponse(f"/staff/scholarships?lang={locale}", status_code=303, headers=NO_STORE)
    queue = _queue(services, roles)
    candidates = _candidates(services, {item.candidate_id for item, _role in queue.values()})
    shown = [
        views.correction_view(item, locale, candidate=candidates.get(item.candidate_id))
        for item, _role in queue.values()
    ]
    page = pages.staff_page(
        locale=locale,
        viewer=viewer_of(session),
        scopes=[f"{role.role.value} {role.scope}".strip() for role in roles],
        queue=shown,
        notice=UI["staff_decided"][locale] if done else None,
    )
    return html(page, request=request, locale=locale)


@router.post("/staff/corrections/{correction_id}")
def decide(
    services: ServicesDep,
    session: SessionDep,
    form: FormDep,
    correction_id: Annotated[int, Path(ge=1, le=2**62)],
) -> RedirectResponse:
    roles = _reviewer_roles(services, session)
    queue = _queue(services, roles)
    if correction_id not in queue:
        raise StaffError(
            "this correction is not in your queue",
            code="staff.not_in_queue",
            found=f"correction {correction_id}",
            expected="a pending correction of the school or academy you review",
        )
    decision = form.fields.get("decision")
    if decision not in ("accept", "refuse"):
        raise RequestError("no decision", code="staff.decision", found=str(decision)[:20], expected="accept or refuse")
    _item, role = queue[correction_id]
    personal_data.decide(
        services.engine,
        correction_id=correction_id,
        accept=decision == "accept",
        reason=form.fields.get("reason"),
        reviewer=f"staff:{role.id}",
        at=services.clock.now(),
    )
    return RedirectResponse(f"/staff?lang={form.locale}&done=true", status_code=303, headers=NO_STORE)
