"""What the routes need, as ``Annotated`` aliases: the services, the page language, the logged-in session, and a
posted form whose CSRF token has been checked.

Cookies: ``tawtiq_portal_session`` (the session identifier) and ``tawtiq_portal_login`` (a login under way,
path ``/login``) are ``HttpOnly``, ``SameSite=Lax`` (the eID sends the browser back with a top-level GET) and
``Secure`` unless the portal is served over http on a loopback host; ``tawtiq_lang`` remembers the language.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from portal.errors import CsrfError, RequestError
from portal.messages import Locale, as_locale
from portal.pages import Viewer
from portal.services import Services
from portal.sessions import PortalSession

SESSION_COOKIE: Final = "tawtiq_portal_session"
LOGIN_COOKIE: Final = "tawtiq_portal_login"
LANGUAGE_COOKIE: Final = "tawtiq_lang"


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def page_locale(request: Request) -> Locale:
    """The page language: ``?lang=``, then the remembered choice, then Arabic."""
    return as_locale(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


LocaleDep = Annotated[Locale, Depends(page_locale)]


async def current_session(request: Request, services: ServicesDep) -> PortalSession:
    """The logged-in session of this browser. Raises :class:`portal.errors.SessionError` (the error handler
    sends a browser without a session to the login, and shows the others a page).

    ``async`` and blocking: one indexed read by primary key, cheaper on the event loop than the hop to the thread
    pool FastAPI makes for a plain ``def`` dependency (the page's route makes its own hop for the rest)."""
    return services.sessions.current(request.cookies.get(SESSION_COOKIE))


SessionDep = Annotated[PortalSession, Depends(current_session)]


def viewer_of(session: PortalSession) -> Viewer:
    """What the page layout shows of a session."""
    return Viewer(
        display_name=session.display_name,
        display_name_ar=session.display_name_ar,
        csrf_token=session.csrf_token,
        is_staff=session.staff,
    )


@dataclass(frozen=True)
class PostedForm:
    """A form posted by one of the portal's pages, its CSRF token checked; ``locale`` from its ``lang`` field."""

    fields: dict[str, str]
    locale: Locale


async def posted_form(request: Request, session: SessionDep) -> PostedForm:
    """The form, refused unless it carries this session's CSRF token.

    Raises :class:`CsrfError` ``request.csrf`` (missing or another token) and :class:`RequestError`
    ``request.form_malformed``.
    """
    try:
        async with request.form(max_files=0, max_fields=32) as form:
            fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
    except (StarletteHTTPException, MultiPartException, ValueError, UnicodeDecodeError) as exc:
        raise RequestError("the form cannot be read", code="request.form_malformed") from exc
    token = fields.get("csrf_token")
    if not token:
        raise CsrfError(
            "the form carries no CSRF token", found="no csrf_token field", expected="the token of the page's form"
        )
    if not hmac.compare_digest(token.encode("utf-8", "replace"), session.csrf_token.encode("ascii")):
        raise CsrfError(
            "the form's CSRF token is not this session's",
            found="another token",
            expected="the token of this session's page",
        )
    return PostedForm(fields=fields, locale=as_locale(fields.get("lang") or request.cookies.get(LANGUAGE_COOKIE)))


FormDep = Annotated[PostedForm, Depends(posted_form)]


def set_cookie(
    response: Response, services: Services, name: str, value: str, *, path: str = "/", max_age: int | None = None
) -> None:
    """Set one of the portal's cookies with its flags (see the module docstring)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
    )
