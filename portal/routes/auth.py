"""The login through the identity port, and the logout.

``GET /login`` asks the port to begin (state, nonce, PKCE), keeps that server-side under a fresh login cookie and
sends the browser to the eID. ``GET /login/callback`` takes the login back (single use), lets the port check
everything the eID answered (state, code, ID token: signature, issuer, audience, expiry, nonce, level of
assurance) and opens a new session. Every refusal is a page (:mod:`portal.app`'s handlers); the port's codes
(``identity.*``) are kept. ``POST /logout`` ends the session (CSRF-checked like every form).
"""

from __future__ import annotations

import logging
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from portal import staff
from portal.deps import LOGIN_COOKIE, SESSION_COOKIE, FormDep, LocaleDep, ServicesDep, set_cookie

router = APIRouter(include_in_schema=False)
logger = logging.getLogger("tawtiq.portal")

#: Where a login may lead back to (anything else leads to the personal data page).
_NEXT_PATHS: Final = frozenset(
    {
        "/me",
        "/convocation",
        "/results",
        "/diploma",
        "/scholarship",
        "/staff",
        "/staff/complaints",
        "/staff/scholarships",
    }
)


@router.get("/login")
async def login(
    services: ServicesDep, locale: LocaleDep, next_path: Annotated[str, Query(alias="next")] = "/me"
) -> RedirectResponse:
    start = await services.identity.begin(redirect_uri=services.settings.redirect_uri)
    target = next_path if next_path in _NEXT_PATHS else "/me"
    login_id = await run_in_threadpool(services.sessions.begin_login, start, next_path=f"{target}?lang={locale}")
    response = RedirectResponse(start.authorization_url, status_code=303, headers={"Cache-Control": "no-store"})
    set_cookie(response, services, LOGIN_COOKIE, login_id, path="/login", max_age=services.settings.login_seconds)
    return response


@router.get("/login/callback")
async def callback(request: Request, services: ServicesDep) -> RedirectResponse:
    start, next_path = await run_in_threadpool(services.sessions.take_login, request.cookies.get(LOGIN_COOKIE))
    params = dict(request.query_params.items())
    identity = await services.identity.finish(start=start, params=params)
    roles = await run_in_threadpool(staff.roles_of, services.engine, cnie=identity.cnie)
    session_id, _session = await run_in_threadpool(services.sessions.open, identity, staff=bool(roles))
    logger.info("login: acr %s, staff roles %d", identity.acr, len(roles))
    response = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
    set_cookie(response, services, SESSION_COOKIE, session_id)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, services: ServicesDep, form: FormDep) -> RedirectResponse:
    services.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"/?lang={form.locale}", status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
