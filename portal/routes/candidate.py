"""A candidate's pages: personal data (confirm, ask for corrections), the convocation, the result.

The CNIE is always the session's — what the eID vouched for at login — never a value from the URL or a form, so
no identifier a browser sends can reach another candidate's data. Results follow the announcement exactly:
before the published instant every candidate gets the same page, computed from the publication instant alone
(no result is read, so neither the page, its status, its timing nor an error can tell anything of one).
"""

from __future__ import annotations

import logging
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from common.pdf.text import PdfTextError
from exams import convocation, personal_data, registry
from portal import pages, views
from portal.deps import LANGUAGE_COOKIE, SESSION_COOKIE, FormDep, LocaleDep, ServicesDep, SessionDep, viewer_of
from portal.errors import ConvocationUnprintableError, RequestError
from portal.messages import UI, as_locale
from portal.results import published_read
from portal.routes import complaints
from portal.routes.common import NO_STORE, html
from portal.services import Services

router = APIRouter(include_in_schema=False)
#: ``GET /results`` alone, registered right after ``/health`` (:func:`portal.app.create_app`): the page of the peak is
#: matched before every other route.
results_router = APIRouter(include_in_schema=False)
logger = logging.getLogger("tawtiq.portal")

#: What a page may say after a form was sent (a fixed set: nothing a URL carries is shown as text).
Done = Literal["confirmed", "correction"]
_NOTICES: Final = {"confirmed": "confirmed_note", "correction": "correction_sent"}


@router.get("/me")
def personal_data_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    locale: LocaleDep,
    done: Annotated[Done | None, Query()] = None,
) -> HTMLResponse:
    name = services.settings.exam_session
    candidate = registry.candidate_of(services.engine, session=name, cnie=session.cnie)
    viewer = viewer_of(session)
    if candidate is None:
        page = pages.data_page(
            locale=locale, viewer=viewer, session_name=name, fields=None, state=None, contestable=(), corrections=()
        )
        return html(page, request=request, locale=locale)
    state = personal_data.state_of(services.engine, session=name, cnie=session.cnie)
    corrections = personal_data.corrections_of(services.engine, session=name, cnie=session.cnie)
    page = pages.data_page(
        locale=locale,
        viewer=viewer,
        session_name=name,
        fields=views.candidate_fields(candidate, locale),
        state=str(state),
        contestable=views.contestable_fields(locale),
        corrections=[views.correction_view(item, locale) for item in corrections],
        notice=UI[_NOTICES[done]][locale] if done is not None else None,
    )
    return html(page, request=request, locale=locale)


@router.post("/me/confirm")
def confirm(services: ServicesDep, session: SessionDep, form: FormDep) -> RedirectResponse:
    personal_data.confirm(
        services.engine, session=services.settings.exam_session, cnie=session.cnie, at=services.clock.now()
    )
    return RedirectResponse(f"/me?lang={form.locale}&done=confirmed", status_code=303, headers=NO_STORE)


@router.post("/me/corrections")
def request_correction(services: ServicesDep, session: SessionDep, form: FormDep) -> RedirectResponse:
    personal_data.request_correction(
        services.engine,
        session=services.settings.exam_session,
        cnie=session.cnie,
        field=form.fields.get("field", ""),
        proposed=form.fields.get("proposed", ""),
        comment=form.fields.get("comment", ""),
        at=services.clock.now(),
    )
    return RedirectResponse(f"/me?lang={form.locale}&done=correction", status_code=303, headers=NO_STORE)


@router.get("/convocation")
def convocation_page(request: Request, services: ServicesDep, session: SessionDep, locale: LocaleDep) -> HTMLResponse:
    state = personal_data.state_of(services.engine, session=services.settings.exam_session, cnie=session.cnie)
    page = pages.convocation_page(locale=locale, viewer=viewer_of(session), ready=views.convocation_ready(state))
    return html(page, request=request, locale=locale)


@router.get("/convocation.pdf")
def convocation_pdf(services: ServicesDep, session: SessionDep) -> Response:
    found = convocation.convocation_of(services.engine, session=services.settings.exam_session, cnie=session.cnie)
    try:
        document = views.convocation_pdf(found)
    except PdfTextError as exc:
        # The field's name and the reason only: the value itself is personal data.
        logger.warning("convocation not printable: [%s] %s", exc.code, exc.summary)
        raise ConvocationUnprintableError(
            "the convocation cannot be printed from the registry's data",
            found=f"[{exc.code}] {exc.summary}",
            expected="registry values that fit the convocation's layout",
        ) from exc
    return Response(
        document,
        media_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="convocation.pdf"'},
    )


async def results_page(request: Request) -> Response:
    """``GET /results``: a plain Starlette route, ``async`` and blocking on purpose.

    Results day is the portal's peak, and on this page FastAPI's dependency resolution and the hop to the thread
    pool cost more than the page's own work (one session read, one result read, the page). So it reads the services,
    the language and the session itself, as :mod:`portal.deps` does, and runs on the event loop: its reads are a few
    indexed statements on connections kept for reads (:mod:`common.service.reads`: the session's row, then the result,
    marks and complaints in one snapshot), cheaper than the hop, and its page is filled into templates built once
    (:class:`common.html.Template`). It is matched right after ``/health`` (:data:`results_router`). Nothing of a
    candidate is kept between requests: every request checks the session and reads the result afresh. The middleware
    (security headers, body limit) and the error pages are the application's, as for every route. ``?done=`` takes
    only ``complaint`` (anything else: 400 ``request.invalid``, as a validated query parameter).
    """
    done = request.query_params.get("done")
    if done is not None and done != "complaint":
        raise RequestError(
            "invalid: query/done", code="request.invalid", found=done[:40], expected="done=complaint or nothing"
        )
    services: Services = request.app.state.services
    session = services.sessions.current(request.cookies.get(SESSION_COOKIE))
    locale = as_locale(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))
    name = services.settings.exam_session
    now = services.clock.now()
    announced_at = services.announcement.instant()
    viewer = viewer_of(session)
    if announced_at is None or now < announced_at:
        page = pages.results_pending_page(locale=locale, viewer=viewer, announced_at=announced_at)
        return html(page, request=request, locale=locale)
    read = published_read(services.engine, session=name, cnie=session.cnie, now=now)
    if read is None:
        page = pages.result_page(locale=locale, viewer=viewer, result=None, complaints=None)
        return html(page, request=request, locale=locale)
    section = complaints.results_section(services, viewer=viewer, locale=locale, read=read, done=done is not None)
    page = pages.result_page(
        locale=locale, viewer=viewer, result=views.result_view(read.result, locale), complaints=section
    )
    return html(page, request=request, locale=locale)


results_router.add_route("/results", results_page, methods=["GET"], include_in_schema=False)
