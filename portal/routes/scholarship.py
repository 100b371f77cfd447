"""The scholarship's pages: the graduate's application, and the officers' queue and decisions.

**Applicant.** The CNIE is the session's — what the eID vouched for — never a value from a URL or a form; only an
admitted candidate of the portal's session, once the result is announced, gets the form (others a page saying
why). ``POST /scholarship`` with ``action=draft`` saves the draft, ``action=submit`` submits it once: a second
submission (another tab, a replayed POST) is refused by the exam year and writes nothing. A refused field comes
back on the form, beside its control, with what was found and expected.

**Officer.** A person holding the ``scholarship-officer`` role for a province (a directorate code) sees that
province's queue; every action on an application by id asks the exam year with the officer's province, so an id
of another province is refused (``scholarship.other_province``) whatever the browser sends, and anyone without
the role (a candidate, a reviewer) gets ``staff.forbidden``. A final decision is asked for twice: the first POST
answers a confirmation page naming whom it touches; only the same form with ``confirm=yes`` decides.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from exams import scholarship
from exams.scholarship import Application, ScholarshipRules, ScholarshipState
from portal import scholarship_pages, staff
from portal.deps import FormDep, LocaleDep, ServicesDep, SessionDep, viewer_of
from portal.errors import ForbiddenError, RequestError, StaffError
from portal.messages import Locale
from portal.routes.common import NO_STORE, html
from portal.scholarship_pages import ApplicationView, FormChoices, Option, word
from portal.services import Services
from portal.sessions import PortalSession
from portal.staff import Role, StaffRole

router = APIRouter(include_in_schema=False)

Done = Literal["draft", "submitted"]
OfficerDone = Literal["reviewing", "decided"]
ApplicationId = Annotated[int, Path(ge=1, le=2**62)]
_FIELD_CODES: Final = {f"scholarship.{name}": name for name in scholarship.FORM_FIELDS}


def _label(choice: scholarship.Choice, locale: Locale) -> str:
    return choice.ar if locale == "ar" else choice.fr


def _choices(rules: ScholarshipRules, locale: Locale) -> FormChoices:
    def options(choices: dict[str, scholarship.Choice]) -> list[Option]:
        return [Option(code, _label(choice, locale)) for code, choice in choices.items()]

    return FormChoices(
        family_situations=options(rules.family_situations),
        income_brackets=options(rules.income_brackets),
        establishments=options(rules.establishments),
        max_siblings=rules.max_siblings,
    )


def _view(application: Application | None, locale: Locale, *, values: dict[str, str] | None = None) -> ApplicationView:
    """An application as the pages show it (``values``: a refused form's, shown back as sent)."""
    rules = scholarship.load_rules()
    if application is None:
        return ApplicationView(id=None, state="none", values=values or {}, labels={})
    form = application.form
    codes = {
        "family_situation": form.family_situation,
        "income_bracket": form.income_bracket,
        "siblings": None if form.siblings is None else str(form.siblings),
        "establishment": form.establishment,
    }
    tables = {
        "family_situation": rules.family_situations,
        "income_bracket": rules.income_brackets,
        "establishment": rules.establishments,
    }
    labels: dict[str, str] = {}
    for name, code in codes.items():
        if code is None:
            continue
        table = tables.get(name)
        labels[name] = _label(table[code], locale) if table is not None and code in table else code
    candidate = application.candidate
    name_ar = f"{candidate.given_name_ar} {candidate.family_name_ar}"
    name_lat = f"{candidate.given_name_lat} {candidate.family_name_lat}"
    return ApplicationView(
        id=application.id,
        state=application.state.value,
        values=values if values is not None else {name: code for name, code in codes.items() if code is not None},
        labels=labels,
        eligible=application.eligible,
        reasons=application.reasons,
        decision_reason=application.decision_reason,
        applicant=name_ar if locale == "ar" else name_lat,
        massar_code=candidate.massar_code,
        school=candidate.school_ar if locale == "ar" else candidate.school_fr,
        province=(candidate.directorate_ar if locale == "ar" else candidate.directorate_fr)
        + f" ({application.province})",
        facts=[(word(name, locale), labels[name]) for name in scholarship.FORM_FIELDS if name in labels],
    )


@router.get("/scholarship")
def application_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    locale: LocaleDep,
    done: Annotated[Done | None, Query()] = None,
) -> HTMLResponse:
    name = services.settings.exam_session
    viewer = viewer_of(session)
    try:
        application = scholarship.application_of(
            services.engine, session=name, cnie=session.cnie, now=services.clock.now()
        )
    except ForbiddenError as refused:
        if refused.code != "scholarship.not_admitted":
            raise
        page = scholarship_pages.not_admitted_page(
            locale=locale, viewer=viewer, session_name=name, why=str(refused.found)
        )
        return html(page, request=request, locale=locale, status_code=403)
    page = scholarship_pages.application_page(
        locale=locale,
        viewer=viewer,
        view=_view(application, locale),
        choices=_choices(scholarship.load_rules(), locale),
        notice=word(f"done_{done}", locale) if done is not None else None,
    )
    return html(page, request=request, locale=locale)


@router.post("/scholarship")
def save(request: Request, services: ServicesDep, session: SessionDep, form: FormDep) -> Response:
    action = form.fields.get("action")
    if action not in ("draft", "submit"):
        raise RequestError("no action", code="scholarship.action", found=str(action)[:20], expected="draft or submit")
    name = services.settings.exam_session
    fields = {key: form.fields.get(key, "") for key in scholarship.FORM_FIELDS}
    write = scholarship.submit if action == "submit" else scholarship.save_draft
    try:
        write(services.engine, session=name, cnie=session.cnie, fields=fields, now=services.clock.now())
    except RequestError as refused:
        field = _FIELD_CODES.get(refused.code)
        if field is None and refused.code != "scholarship.incomplete":
            raise
        # The form comes back as sent, the refused field marked, with what was found and expected.
        current = scholarship.application_of(services.engine, session=name, cnie=session.cnie, now=services.clock.now())
        if current is not None and current.state is not ScholarshipState.DRAFT:
            raise
        page = scholarship_pages.application_page(
            locale=form.locale,
            viewer=viewer_of(session),
            view=_view(current, form.locale, values=fields),
            choices=_choices(scholarship.load_rules(), form.locale),
            error=scholarship_pages.field_error(
                name=field or "", code=refused.code, technical=refused.message, locale=form.locale
            ),
        )
        return html(page, request=request, locale=form.locale, status_code=refused.status_code)
    done = "submitted" if action == "submit" else "draft"
    return RedirectResponse(f"/scholarship?lang={form.locale}&done={done}", status_code=303, headers=NO_STORE)


def _officer_roles(services: Services, session: PortalSession) -> list[StaffRole]:
    roles = [
        role for role in staff.roles_of(services.engine, cnie=session.cnie) if role.role is Role.SCHOLARSHIP_OFFICER
    ]
    if not roles:
        raise StaffError(
            "the scholarship pages are for scholarship officers",
            found="no scholarship-officer role",
            expected="a role given by tawtiq portal staff add --role scholarship-officer --province CODE",
        )
    return roles


def _officer_application(
    services: Services, roles: list[StaffRole], application_id: int
) -> tuple[Application, StaffRole]:
    """The application with the officer's role of its province; raises ``scholarship.other_province`` (or
    ``scholarship.unknown``) when none of the officer's provinces is its own."""
    refused: ForbiddenError | None = None
    for role in roles:
        try:
            return scholarship.application_for(
                services.engine, application_id=application_id, province=role.scope
            ), role
        except ForbiddenError as error:
            refused = error
    assert refused is not None
    raise refused


@router.get("/staff/scholarships")
def queue(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    locale: LocaleDep,
    done: Annotated[OfficerDone | None, Query()] = None,
) -> HTMLResponse:
    roles = _officer_roles(services, session)
    items = [
        _view(application, locale)
        for role in roles
        for application in scholarship.queue_for(
            services.engine, session=services.settings.exam_session, province=role.scope
        )
    ]
    page = scholarship_pages.queue_page(
        locale=locale,
        viewer=viewer_of(session),
        provinces=[role.scope for role in roles],
        queue=items,
        notice=word(done, locale) if done is not None else None,
    )
    return html(page, request=request, locale=locale)


@router.get("/staff/scholarships/{application_id}")
def application(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    locale: LocaleDep,
    application_id: ApplicationId,
    done: Annotated[OfficerDone | None, Query()] = None,
) -> HTMLResponse:
    found, _role = _officer_application(services, _officer_roles(services, session), application_id)
    page = scholarship_pages.officer_application_page(
        locale=locale,
        viewer=viewer_of(session),
        view=_view(found, locale),
        notice=word(done, locale) if done is not None else None,
    )
    return html(page, request=request, locale=locale)


@router.post("/staff/scholarships/{application_id}/review")
def start_review(
    services: ServicesDep, session: SessionDep, form: FormDep, application_id: ApplicationId
) -> RedirectResponse:
    _found, role = _officer_application(services, _officer_roles(services, session), application_id)
    scholarship.start_review(
        services.engine,
        application_id=application_id,
        province=role.scope,
        officer=f"staff:{role.id}",
        now=services.clock.now(),
    )
    return RedirectResponse(
        f"/staff/scholarships/{application_id}?lang={form.locale}&done=reviewing", status_code=303, headers=NO_STORE
    )


@router.post("/staff/scholarships/{application_id}/decision")
def decide(
    request: Request, services: ServicesDep, session: SessionDep, form: FormDep, application_id: ApplicationId
) -> Response:
    found, role = _officer_application(services, _officer_roles(services, session), application_id)
    decision = form.fields.get("decision")
    if decision not in ("grant", "refuse"):
        raise RequestError(
            "no decision", code="scholarship.decision", found=str(decision)[:20], expected="grant or refuse"
        )
    grant = decision == "grant"
    reason = form.fields.get("reason", "").strip()
    if form.fields.get("confirm") != "yes":
        if not grant:
            scholarship.refusal_reason(reason)  # refused here already, before the confirmation is asked for
        page = scholarship_pages.confirm_page(
            locale=form.locale, viewer=viewer_of(session), view=_view(found, form.locale), grant=grant, reason=reason
        )
        return html(page, request=request, locale=form.locale)
    scholarship.decide(
        services.engine,
        application_id=application_id,
        province=role.scope,
        grant=grant,
        reason=reason or None,
        officer=f"staff:{role.id}",
        now=services.clock.now(),
    )
    return RedirectResponse(f"/staff/scholarships?lang={form.locale}&done=decided", status_code=303, headers=NO_STORE)
