"""The provider's routes: thin, they parse the request, call :class:`eid.provider.Provider`, shape the answer."""

from __future__ import annotations

import hmac
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from common.fetch import origin_of, same_origin
from eid.pages import STYLE_SHEET, Locale, locale_of, login_page
from eid.provider import HttpAnswer, LoginFailed, LoginOutcome, LoginPage, LoginRefusedError, Provider

router = APIRouter()

#: The cookie that carries the login form's CSRF token (double submit: the form holds it too).
CSRF_COOKIE: Final = "tawtiq_eid_csrf"
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _provider(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


ProviderDep = Annotated[Provider, Depends(_provider)]


@router.get("/.well-known/openid-configuration")
async def discovery(provider: ProviderDep) -> JSONResponse:
    return JSONResponse(provider.discovery(), headers={"Cache-Control": "max-age=300"})


@router.get("/jwks")
async def jwks(provider: ProviderDep) -> JSONResponse:
    return JSONResponse(provider.keys.jwks(), headers={"Cache-Control": "max-age=300"})


@router.get("/static/eid.css")
async def style_sheet() -> Response:
    return Response(STYLE_SHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/authorize")
async def authorize(request: Request, provider: ProviderDep) -> Response:
    """An authorization request (OpenID Connect Core §3.1.2.1): the login page, or an error sent to the client."""
    params = list(request.query_params.multi_items())
    # Authlib is handed the endpoint's public URL (the issuer's), not the URL as this process received it: behind a
    # front the latter is plain http, which Authlib would refuse as insecure transport.
    request.state.locale = locale_of(request.query_params.get("ui_locales"))
    started = provider.start_login(f"{provider.settings.issuer}/authorize", params)
    if isinstance(started, HttpAnswer):
        return _answer(started)
    locale = locale_of(started.ui_locales)
    response = HTMLResponse(_page(started, locale=locale), headers=_NO_STORE)
    response.set_cookie(
        CSRF_COOKIE,
        started.csrf_token,
        max_age=provider.settings.login_seconds,
        path="/authorize",
        httponly=True,
        secure=provider.settings.public_url.startswith("https:"),
        samesite="strict",
    )
    return response


@router.post("/authorize")
async def log_in(
    request: Request,
    provider: ProviderDep,
    transaction: Annotated[str, Form(max_length=100)],
    csrf_token: Annotated[str, Form(max_length=100)],
    cnie: Annotated[str, Form(max_length=40)] = "",
    pin: Annotated[str, Form(max_length=40)] = "",
    lang: Annotated[str, Form(max_length=10)] = "ar",
) -> Response:
    """The card number and PIN typed on the login page."""
    locale = locale_of(lang)
    request.state.locale = locale
    _check_same_site(request, public_url=provider.settings.public_url)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        raise LoginRefusedError("eid.csrf", status=403, detail="the form was not sent from this login page")
    page = provider.login_request(transaction=transaction, csrf_token=csrf_token)
    outcome = provider.log_in(page=page, uri=f"{provider.settings.issuer}/authorize", cnie=cnie, pin=pin)
    if isinstance(outcome, LoginFailed):
        status = 429 if outcome.outcome is LoginOutcome.BLOCKED else 400
        body = _page(page, locale=locale, cnie=cnie[:40], failure=outcome)
        return HTMLResponse(body, status_code=status, headers=_NO_STORE)
    response = _answer(outcome)
    response.delete_cookie(CSRF_COOKIE, path="/authorize")
    return response


@router.post("/token")
async def token(request: Request, provider: ProviderDep) -> Response:
    """The token endpoint (RFC 6749 §3.2): ``grant_type=authorization_code`` with the PKCE ``code_verifier``."""
    form = await request.form()
    pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    return _answer(provider.token(f"{provider.settings.issuer}/token", pairs, request.headers))


def _page(page: LoginPage, *, locale: Locale, cnie: str = "", failure: LoginFailed | None = None) -> str:
    other = "fr" if locale == "ar" else "ar"
    query = [(key, value) for key, value in page.params if key != "ui_locales"]
    other_url = f"/authorize?{urlencode([*query, ('ui_locales', other)])}"
    return login_page(
        locale=locale,
        transaction=page.transaction,
        csrf_token=page.csrf_token,
        client_id=page.client_id,
        other_locale_url=other_url,
        cnie=cnie,
        failure=failure,
    )


def _answer(answer: HttpAnswer) -> Response:
    headers = {key: value for key, value in answer.headers if key.lower() != "content-type"}
    if answer.status in (301, 302, 303) and answer.header("Location"):
        return RedirectResponse(answer.header("Location") or "", status_code=303, headers={**_NO_STORE})
    if isinstance(answer.body, str):
        return Response(answer.body, status_code=answer.status, headers=headers)
    return JSONResponse(dict(answer.body), status_code=answer.status, headers={**headers, **_NO_STORE})


def _check_same_site(request: Request, *, public_url: str) -> None:
    """Refuse a login form a browser says came from another site (Fetch Metadata, else ``Origin``)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in ("same-origin", "none"):
        raise LoginRefusedError("eid.cross_site", status=403, detail=f"Sec-Fetch-Site: {site[:40]}")
    origin = request.headers.get("origin")
    if site is None and origin is not None and not same_origin(origin, public_url):
        raise LoginRefusedError(
            "eid.cross_site", status=403, detail=f"Origin {origin[:100]}, expected {origin_of(public_url)}"
        )
