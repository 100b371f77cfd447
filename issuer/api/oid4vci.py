"""OpenID4VCI routes: offer, token, nonce, credential (:mod:`issuer.oid4vci`), and the authorization code flow's
authorization request, eID callback and the graduate's consent page (:mod:`issuer.authorization`,
:mod:`issuer.consent_page`)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from common.fetch import origin_of, same_origin
from common.identity import IdentityError, IdentityPort, IdentityProviderUnavailableError
from common.service.database import retry_on_disconnect
from common.service.problems import RequestError, status_of
from issuer import authorization, consent_page, oid4vci
from issuer.api.deps import AccessToken, CredentialRequestBody, IssuerServices, Now, Services, TokenForm
from issuer.errors import ForbiddenError, NotFoundError, OAuthError

router = APIRouter(tags=["openid4vci"])
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _no_store(document: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(document, status_code=status_code, headers=_NO_STORE)


def _language(request: Request) -> str:
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";", 1)[0].strip().lower()[:2]
        if tag in ("ar", "fr", "en"):
            return tag
    return "en"


@router.get("/offers/{offer_id}")
def credential_offer(offer_id: str, request: Request, services: Services, now: Now) -> JSONResponse:
    """The Credential Offer object an ``openid-credential-offer://`` URI refers to."""
    language = _language(request)
    document = retry_on_disconnect(
        lambda: oid4vci.offer_document(
            services.engine,
            offer_id=offer_id,
            settings=services.settings,
            secrets=services.secrets,
            now=now,
            language=language,
        )
    )
    return _no_store(document)


@router.post("/token")
def token(form: TokenForm, services: Services, now: Now) -> JSONResponse:
    """Token endpoint: the pre-authorized code grant, and the authorization code grant when the eID login is on."""
    if form.get("grant_type") == [oid4vci.AUTHORIZATION_CODE_GRANT] and services.identity is not None:
        repeated = sorted(name for name, values in form.items() if len(values) > 1)
        if repeated:
            raise OAuthError("invalid_request", f"parameters must not be repeated: {', '.join(repeated)}")
        code_request = authorization.parse_code_token_request({name: values[0] for name, values in form.items()})
        answer = retry_on_disconnect(
            lambda: authorization.redeem_code(
                services.engine, request=code_request, settings=services.settings, now=now
            )
        )
        return _no_store(answer)
    request = oid4vci.parse_token_request(form)
    response = retry_on_disconnect(
        lambda: oid4vci.redeem(
            services.engine, request=request, settings=services.settings, secrets=services.secrets, now=now
        )
    )
    return _no_store(response)


@router.post("/nonce")
async def nonce(services: Services, now: Now) -> JSONResponse:
    """A fresh ``c_nonce`` for key proofs (no I/O: served on the event loop, without a threadpool hop)."""
    return _no_store({"c_nonce": oid4vci.new_nonce(secrets=services.secrets, settings=services.settings, now=now)})


@router.post("/credential")
def credential(body: CredentialRequestBody, access_token: AccessToken, services: Services, now: Now) -> JSONResponse:
    """Credential endpoint: one signed copy per key proof."""
    request = oid4vci.parse_credential_request(body, batch_size=services.settings.batch_size)
    credentials = retry_on_disconnect(
        lambda: oid4vci.issue_credentials(
            services.engine,
            access_token=access_token,
            request=request,
            settings=services.settings,
            secrets=services.secrets,
            keyring=services.keyring,
            now=now,
        )
    )
    return _no_store({"credentials": [{"credential": item} for item in credentials]})


# ------------------------------------------------------------------------------------ authorization code flow


def _identity(services: IssuerServices) -> IdentityPort:
    if services.identity is None:
        raise NotFoundError(
            "this issuer offers no authorization code flow (no eID login is configured)",
            code="authorize.not_configured",
            expected="TAWTIQ_IDENTITY_DISCOVERY_URL, TAWTIQ_IDENTITY_CLIENT_ID and its secret",
        )
    return services.identity


@router.get("/authorize")
async def authorize(request: Request, services: Services, now: Now) -> Response:
    """The wallet's authorization request (OpenID4VCI §5.1): the browser goes on to the eID login."""
    identity = _identity(services)
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    parsed = authorization.parse_authorization_request(params)
    if isinstance(parsed, authorization.WalletRedirect):
        return _redirect(parsed.url)
    login = await identity.begin(redirect_uri=services.settings.url("/authorize/callback"))
    browser_secret = secrets.token_urlsafe(32)
    refused = await run_in_threadpool(
        lambda: authorization.begin(
            services.engine,
            request=parsed,
            login=login,
            browser_secret=browser_secret,
            settings=services.settings,
            now=now,
        )
    )
    if refused is not None:
        return _redirect(refused.url)
    response = _redirect(login.authorization_url)
    response.set_cookie(
        authorization.BROWSER_COOKIE,
        browser_secret,
        max_age=services.settings.authorization_login_seconds,
        path="/authorize",
        httponly=True,
        secure=services.settings.issuer_url.startswith("https:"),
        samesite="lax",  # the eID's redirect back is a top-level navigation from another site
    )
    return response


@router.get("/authorize/callback")
async def authorize_callback(request: Request, services: Services, now: Now) -> Response:
    """The eID login's end: the graduate is identified and goes on to the consent page (or back to the wallet with
    the error)."""
    identity = _identity(services)
    params = dict(request.query_params)
    pending = await run_in_threadpool(
        lambda: authorization.pending(
            services.engine,
            state=params.get("state", ""),
            browser_secret=request.cookies.get(authorization.BROWSER_COOKIE),
            now=now,
        )
    )
    outcome: authorization.ConsentNeeded | authorization.WalletRedirect
    try:
        who = await identity.finish(start=pending.login, params=params)
    except IdentityError as exc:
        outcome = authorization.refused_login(
            pending, error="access_denied", description=f"eID login refused: {exc.code}"
        )
    except IdentityProviderUnavailableError:
        outcome = authorization.refused_login(
            pending, error="temporarily_unavailable", description="the eID cannot be reached; try again shortly"
        )
    else:
        outcome = await run_in_threadpool(
            lambda: authorization.complete(services.engine, login=pending, identity=who, now=now)
        )
    if isinstance(outcome, authorization.ConsentNeeded):
        # The cookie stays: the consent page and its answer must come from this browser.
        consent_url = services.settings.url(f"/authorize/consent?{urlencode({'request': outcome.reference})}")
        return RedirectResponse(consent_url, status_code=303, headers=_NO_STORE)
    response = _redirect(outcome.url)
    response.delete_cookie(authorization.BROWSER_COOKIE, path="/authorize")
    return response


@router.get(consent_page.STYLE_SHEET_PATH)
async def consent_style_sheet() -> Response:
    return Response(consent_page.STYLE_SHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/authorize/consent")
async def consent(
    request: Request,
    services: Services,
    now: Now,
    reference: Annotated[str, Query(alias="request", max_length=100)] = "",
    lang: Annotated[str, Query(max_length=10)] = "ar",
) -> Response:
    """The graduate's consent page: which diploma goes to which wallet, confirm or refuse."""
    _identity(services)
    locale = consent_page.locale_of(lang)
    try:
        shown = await run_in_threadpool(
            lambda: authorization.awaiting_consent(
                services.engine,
                reference=reference,
                browser_secret=request.cookies.get(authorization.BROWSER_COOKIE),
                now=now,
            )
        )
    except RequestError as exc:
        return _refusal_page(request, exc, locale)
    return HTMLResponse(consent_page.consent_page(shown, locale=locale), headers=_NO_STORE)


@router.post("/authorize/consent")
async def consent_answer(
    request: Request,
    services: Services,
    now: Now,
    reference: Annotated[str, Form(alias="request", max_length=100)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    decision: Annotated[str, Form(max_length=20)] = "",
    lang: Annotated[str, Form(max_length=10)] = "ar",
) -> Response:
    """The graduate's answer: confirm (the wallet gets a code) or refuse (``access_denied``, nothing issued)."""
    _identity(services)
    try:
        _check_same_site(request, public_url=services.settings.issuer_url)
        if decision not in ("confirm", "refuse"):
            raise authorization.AuthorizationRequestError(
                "the consent form's answer is neither confirm nor refuse",
                code="authorize.consent_decision",
                found=decision[:20] or "no decision",
                expected="decision=confirm or decision=refuse",
            )
        outcome = await run_in_threadpool(
            lambda: authorization.decide(
                services.engine,
                reference=reference,
                browser_secret=request.cookies.get(authorization.BROWSER_COOKIE),
                csrf_token=csrf_token,
                confirm=decision == "confirm",
                settings=services.settings,
                now=now,
            )
        )
    except RequestError as exc:
        return _refusal_page(request, exc, consent_page.locale_of(lang))
    response = RedirectResponse(outcome.url, status_code=303, headers=_NO_STORE)
    response.delete_cookie(authorization.BROWSER_COOKIE, path="/authorize")
    return response


def _refusal_page(request: Request, error: RequestError, locale: consent_page.Locale) -> HTMLResponse:
    """A person's browser (it asks for ``text/html``) refused on the consent routes gets a page in their language;
    anything else gets the problem details (``error`` raised again)."""
    if "text/html" not in request.headers.get("accept", ""):
        raise error
    status = status_of(error)
    page = consent_page.refusal_page(locale=locale, code=error.code, status=status)
    return HTMLResponse(page, status_code=status, headers=_NO_STORE)


def _check_same_site(request: Request, *, public_url: str) -> None:
    """Refuse an answer a browser says came from another site (Fetch Metadata, else ``Origin``): the cookie's
    ``SameSite=Lax`` already keeps it off a cross-site post; this says so clearly, and covers a same-site sibling."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if site is not None and site.strip().lower() not in ("same-origin", "none"):
        found = f"Sec-Fetch-Site: {site[:40]}"
    elif site is None and origin is not None and not same_origin(origin, public_url):
        found = f"Origin: {origin[:100]}"
    else:
        return
    raise ForbiddenError(
        "the consent form was sent from another site",
        code="authorize.cross_site",
        found=found,
        expected=f"a post from {origin_of(public_url)}",
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302, headers=_NO_STORE)
