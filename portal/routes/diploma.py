"""The graduate's diploma: the page (the current version, or one of the history's by its number), the signed
printed diploma, the wallet link's QR code, and the share links (made, listed, withdrawn, shown as QR codes).

The CNIE is the session's: every record is read among that CNIE's records (:func:`portal.diploma.versions_of`), so
a number in a URL that is not one of them — another graduate's included — answers ``diploma.unknown`` like an
unknown one, and a share link number that is not one of the graduate's answers ``share.unknown``. The held key
signs only on a form posted by the page (the session's CSRF token).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

import schemas
from common.qr import qr_svg
from issuer.models import ACTIVE, Diploma
from portal import diploma_pages, views
from portal.deps import FormDep, LocaleDep, ServicesDep, SessionDep, viewer_of
from portal.diploma import (
    SHARE_LIFETIMES,
    SHAREABLE_CLAIMS,
    DiplomaError,
    current_of,
    offer_link,
    own_record,
    subject_of,
    versions_of,
)
from portal.diploma_pages import DiplomaView, DocumentRow, VersionView
from portal.errors import RequestError
from portal.messages import Locale
from portal.presentation import Responder
from portal.routes.common import NO_STORE, html
from portal.services import Services
from portal.sessions import PortalSession

router = APIRouter(include_in_schema=False)

RecordId = Annotated[str, Path(min_length=1, max_length=80)]
ShareId = Annotated[int, Path(ge=1, le=2**62)]
Done = Literal["shared", "withdrawn"]
_NOTICES: Final = {"shared": "share_made", "withdrawn": "share_withdrawn"}


def _label(name: str, locale: Locale) -> str:
    return schemas.claim_label([name], locale)


def _state(record: Diploma) -> str:
    if record.replaced_by is not None:
        return "superseded"
    return "valid" if record.status == ACTIVE else record.status


def _rows(record: Diploma) -> list[DocumentRow]:
    """The record as the ministry's document: each value with its label in French and in Arabic."""
    subject = subject_of(record)
    session_ar, session_fr = views.session_labels(str(subject.session))

    def row(name: str, value: str, direction: str | None = None) -> DocumentRow:
        return DocumentRow(
            name=name,
            label_fr=views.label(name, "fr"),
            label_ar=views.label(name, "ar"),
            value=value,
            direction=direction,
        )

    def both(ar: str, fr: str) -> str:
        return f"{ar} — {fr}"

    mention = both(
        schemas.value_label("mention", subject.mention, "ar"), schemas.value_label("mention", subject.mention, "fr")
    )
    return [
        row("familyName.ar", subject.family_name.ar, "rtl"),
        row("givenName.ar", subject.given_name.ar, "rtl"),
        row("familyName.lat", subject.family_name.lat, "ltr"),
        row("givenName.lat", subject.given_name.lat, "ltr"),
        row("cnie", str(subject.cnie), "ltr"),
        row("birthDate", subject.birth_date.isoformat(), "ltr"),
        row("birthPlace.ar", subject.birth_place.ar, "rtl"),
        row("birthPlace.lat", subject.birth_place.lat, "ltr"),
        row("stream", both(subject.stream.ar, subject.stream.fr)),
        row("session", both(session_ar, session_fr)),
        row("generalAverage", f"{subject.general_average:.2f} / 20", "ltr"),
        row("mention", mention),
        row("academy", both(subject.academy.ar, subject.academy.fr)),
        row("school", both(subject.school.ar, subject.school.fr)),
        DocumentRow(
            name="diplomaNumber",
            label_fr=diploma_pages.word("number", "fr"),
            label_ar=diploma_pages.word("number", "ar"),
            value=record.id.removeprefix("urn:uuid:"),
            direction="ltr",
        ),
    ]


def _version(record: Diploma) -> VersionView:
    return VersionView(
        id=record.id,
        version=record.version,
        session=record.session,
        state=_state(record),
        reason=record.status_reason,
        created_at=record.created_at,
        changed_at=record.status_changed_at,
    )


def _page(
    request: Request,
    services: Services,
    session: PortalSession,
    locale: Locale,
    *,
    record_id: str | None,
    done: Done | None = None,
) -> HTMLResponse:
    versions = versions_of(services.engine, cnie=session.cnie)
    current = current_of(versions)
    record = own_record(versions, record_id) if record_id is not None else current
    shown = None
    shares = []
    if record is not None:
        shown = DiplomaView(
            id=record.id,
            rows=_rows(record),
            state=_state(record),
            reason=record.status_reason if record.status != ACTIVE else None,
            current=current is not None and record.id == current.id,
        )
        shares = services.diploma.shares_of(record.graduate_id)
    page = diploma_pages.diploma_page(
        locale=locale,
        viewer=viewer_of(session),
        shown=shown,
        versions=[_version(item) for item in versions],
        offer_link=offer_link(services.diploma.issuer),
        shares=shares,
        claim_labels={name: _label(name, locale) for name in SHAREABLE_CLAIMS},
        lifetimes=sorted(SHARE_LIFETIMES),
        default_lifetime=SHARE_LIFETIMES[0],
        now=services.clock.now(),
        notice=diploma_pages.word(_NOTICES[done], locale) if done else None,
    )
    return html(page, request=request, locale=locale)


@router.get("/diploma")
def diploma_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    locale: LocaleDep,
    done: Annotated[Done | None, Query()] = None,
) -> HTMLResponse:
    return _page(request, services, session, locale, record_id=None, done=done)


@router.get("/diploma/wallet.svg")
def wallet_qr(services: ServicesDep, session: SessionDep) -> Response:
    return Response(qr_svg(offer_link(services.diploma.issuer)), media_type="image/svg+xml", headers=NO_STORE)


@router.get("/diploma/shares/{share_id}/qr.svg")
def share_qr(services: ServicesDep, session: SessionDep, share_id: ShareId) -> Response:
    current = current_of(versions_of(services.engine, cnie=session.cnie))
    graduate = current.graduate_id if current is not None else -1
    share = services.diploma.share_of(graduate, share_id)
    return Response(qr_svg(share.url), media_type="image/svg+xml", headers=NO_STORE)


@router.get("/diploma/{record_id}")
def version_page(
    request: Request, services: ServicesDep, session: SessionDep, locale: LocaleDep, record_id: RecordId
) -> HTMLResponse:
    return _page(request, services, session, locale, record_id=record_id)


@router.get("/diploma/{record_id}/diploma.pdf")
async def printed_diploma(services: ServicesDep, session: SessionDep, record_id: RecordId) -> Response:
    versions = await run_in_threadpool(versions_of, services.engine, cnie=session.cnie)
    record = own_record(versions, record_id)
    pdf = await run_in_threadpool(services.diploma.printed, record, now=services.clock.now())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="diplome.pdf"'},
    )


@router.post("/diploma/shares")
def make_share(services: ServicesDep, session: SessionDep, form: FormDep) -> RedirectResponse:
    current = current_of(versions_of(services.engine, cnie=session.cnie))
    if current is None:
        raise RequestError(
            "there is no diploma of yours to share",
            code="diploma.unknown",
            found="no diploma record for your CNIE",
            expected="a diploma delivered after the deliberation",
        )
    claims = [name.removeprefix("claim_") for name in form.fields if name.startswith("claim_")]
    lifetime = form.fields.get("lifetime", "")
    if not lifetime.isdigit() or len(lifetime) > 9:
        raise RequestError(
            "choose how long the link lasts",
            code="share.lifetime",
            found=lifetime[:20] or "nothing",
            expected=", ".join(str(value) for value in SHARE_LIFETIMES),
        )
    services.diploma.share(current, claims=claims, lifetime_seconds=int(lifetime), now=services.clock.now())
    return RedirectResponse(f"/diploma?lang={form.locale}&done=shared#shares", status_code=303, headers=NO_STORE)


@router.post("/diploma/shares/{share_id}/withdraw")
def withdraw_share(services: ServicesDep, session: SessionDep, form: FormDep, share_id: ShareId) -> RedirectResponse:
    current = current_of(versions_of(services.engine, cnie=session.cnie))
    graduate = current.graduate_id if current is not None else -1
    services.diploma.withdraw(graduate, share_id, now=services.clock.now())
    return RedirectResponse(f"/diploma?lang={form.locale}&done=withdrawn#shares", status_code=303, headers=NO_STORE)


def _responder(services: Services) -> Responder:
    return Responder(services.diploma)


@router.post("/diploma/requests")
def review_request(request: Request, services: ServicesDep, session: SessionDep, form: FormDep) -> HTMLResponse:
    """The verifier's request behind a pasted ``openid4vp://`` link, checked, for the graduate to review."""
    _current_or_refuse(services, session)
    link = form.fields.get("link", "")
    checked = _responder(services).fetch(link, now=services.clock.now())
    page = diploma_pages.request_review_page(
        locale=form.locale,
        viewer=viewer_of(session),
        request=checked,
        link=link.strip(),
        claim_labels={name: _label(name, form.locale) for name in schemas.SUBJECT_CLAIMS},
    )
    return html(page, request=request, locale=form.locale)


@router.post("/diploma/requests/answer")
def answer_request(request: Request, services: ServicesDep, session: SessionDep, form: FormDep) -> HTMLResponse:
    """The graduate's command: the request fetched and checked again, then answered from the held copy or
    declined."""
    current = _current_or_refuse(services, session)
    decision = form.fields.get("decision")
    if decision not in ("share", "decline"):
        raise RequestError(
            "choose to share or to decline", code="presentation.decision", found=str(decision)[:20], expected="share"
        )
    responder = _responder(services)
    now = services.clock.now()
    checked = responder.fetch(form.fields.get("link", ""), now=now)
    answered = responder.answer(current, checked, now=now) if decision == "share" else responder.decline(checked)
    page = diploma_pages.request_done_page(
        locale=form.locale, viewer=viewer_of(session), answered=answered, shared=decision == "share"
    )
    return html(page, request=request, locale=form.locale)


def _current_or_refuse(services: Services, session: PortalSession) -> Diploma:
    current = current_of(versions_of(services.engine, cnie=session.cnie))
    if current is None:
        raise DiplomaError(
            "there is no diploma of yours to share",
            found="no diploma record for your CNIE",
            expected="a diploma delivered after the deliberation",
        )
    return current
