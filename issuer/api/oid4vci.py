"""OpenID4VCI routes: offer, token, nonce, credential (:mod:`issuer.oid4vci`), and the authorization code flow's
authorization request and eID callback (:mod:`issuer.authorization`)."""

from __future__ import annotations

import secrets
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from common.identity import IdentityError, IdentityPort, IdentityProviderUnavailableError
from common.service.database import retry_on_disconnect
from issuer import authorization, oid4vci
from issuer.api.deps import AccessToken, CredentialRequestBody, IssuerServices, Now, Services, TokenForm
from issuer.errors import NotFoundError, OAuthError

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
    """The eID login's end: the graduate is identified, the wallet gets a code for their diploma record."""
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
            lambda: authorization.complete(
                services.engine, login=pending, identity=who, settings=services.settings, now=now
            )
        )
    response = _redirect(outcome.url)
    response.delete_cookie(authorization.BROWSER_COOKIE, path="/authorize")
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302, headers=_NO_STORE)
