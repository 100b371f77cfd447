"""The verification page's routes: the start page, pasted text, QR photos, and the OpenID4VP flow in a browser.

Every form is refused when a browser sends it from another site (:mod:`verifier.csrf`).

Text that reaches the page (pasted or read from a QR code) is one of: a share link of this verifier (opened),
a credential or presentation (verified as a credential: a pasted token proves authenticity and status, not who
pastes it, so any key-binding JWT is set aside), or something refused with a reason — a link elsewhere is never
fetched, and a wallet request (``openid4vp://``) is for a wallet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources import files
from typing import Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from common.fetch import same_origin
from verifier import pages
from verifier.csrf import check_same_site
from verifier.deps import LANGUAGE_COOKIE, ClientAddress, LocaleDep, ServicesDep
from verifier.errors import GoneError, NotFoundError, RequestError
from verifier.messages import UI, Locale, as_locale
from verifier.services import Services
from verifier.verification import Expectations

router = APIRouter(include_in_schema=False)

_NO_STORE: Final = {"Cache-Control": "no-store"}
_SHARE_PATH: Final = re.compile(r"/s/([A-Za-z0-9_-]{8,64})/?")
_STATIC: Final = {
    "verifier.css": "text/css; charset=utf-8",
    "oid4vp.js": "text/javascript; charset=utf-8",
}
_ASSETS: Final = {
    name: (files("verifier").joinpath("static", name).read_bytes(), media) for name, media in _STATIC.items()
}


def _html(content: str, *, status_code: int = 200, locale: Locale | None = None) -> HTMLResponse:
    response = HTMLResponse(content, status_code=status_code, headers=_NO_STORE)
    if locale is not None:
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def _error(error: RequestError, locale: Locale) -> HTMLResponse:
    status = error.status_code if 400 <= error.status_code < 500 or error.status_code == 503 else 400
    response = _html(pages.error_page(locale=locale, code=error.code, detail=error.summary), status_code=status)
    response.headers.update(error.headers)
    return response


def share_link_id(text: str, public_url: str) -> str | None:
    """The id of a share link of this verifier (``{public_url}/s/{id}``), or None."""
    if not text.startswith(("https://", "http://")):
        return None
    if not same_origin(text, public_url):
        return None
    match = _SHARE_PATH.fullmatch(urlsplit(text).path)
    return match.group(1) if match else None


def without_key_binding(text: str) -> str:
    """A pasted SD-JWT without its key-binding JWT (``<JWT>~<D1>~…~``); other tokens unchanged."""
    token = text.strip()
    if token.startswith("data:"):
        token = token.partition(",")[2].strip()
    if "~" in token and not token.endswith("~"):
        token = token[: token.rfind("~") + 1]
    return token


@router.get("/")
def home(request: Request, locale: LocaleDep) -> HTMLResponse:
    return _html(pages.home_page(locale=locale), locale=locale if "lang" in request.query_params else None)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in _ASSETS:
        raise NotFoundError("no such file")
    content, media = _ASSETS[name]
    return Response(content, media_type=media, headers={"Cache-Control": "public, max-age=3600"})


@dataclass(frozen=True)
class PageForm:
    """A form posted by the page: its text fields, the chosen claims, and an uploaded file's bytes."""

    fields: dict[str, str]
    claims: list[str]
    upload: bytes | None

    @property
    def locale(self) -> Locale:
        return as_locale(self.fields.get("lang"))


async def _form(request: Request, *, max_files: int, public_url: str) -> PageForm:
    """Parse the page's form (the body is already bounded), refusing one sent from another site.

    Raises :class:`~verifier.csrf.CrossSiteError` and :class:`RequestError` when the form cannot be read.
    """
    check_same_site(request.headers, public_url=public_url)
    try:
        async with request.form(max_files=max_files, max_fields=64) as form:
            fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
            claims = [value for value in form.getlist("claims") if isinstance(value, str)]
            upload = next((value for value in form.values() if isinstance(value, UploadFile)), None)
            content = await upload.read() if upload is not None else None
    except (StarletteHTTPException, MultiPartException, ValueError, UnicodeDecodeError) as exc:
        raise RequestError("the form cannot be read", code="request.form_malformed") from exc
    return PageForm(fields, claims, content)


async def _handle_text(text: str, *, services: Services, locale: Locale) -> Response:
    text = text.strip()
    if not text:
        raise RequestError("nothing to verify", code="page.input_empty")
    share_id = share_link_id(text, services.settings.public_url)
    if share_id is not None:
        return RedirectResponse(f"/s/{share_id}?lang={locale}", status_code=303)
    if text.startswith(("https://", "http://")):
        raise RequestError("only share links of this verifier are opened", code="page.foreign_link")
    if text.startswith(("openid4vp:", "haip:", "openid-credential-offer:")):
        raise RequestError("this is a request for a wallet", code="page.wallet_link")
    verification = await services.verifier.verify_async(
        without_key_binding(text),
        expect=Expectations(
            holder_binding=False,
            status_max_age=timedelta(seconds=services.settings.page_status_max_age_seconds),
        ),
    )
    html = pages.result_page(
        verification, locale=locale, path="/verify", resubmit={"input": text}, note=UI["pasted_note"][locale]
    )
    return _html(html, locale=locale)


@router.post("/verify")
async def verify_pasted(request: Request, services: ServicesDep) -> Response:
    try:
        form = await _form(request, max_files=0, public_url=services.settings.public_url)
    except RequestError as exc:
        return _error(exc, as_locale(request.query_params.get("lang")))
    try:
        return await _handle_text(form.fields.get("input", ""), services=services, locale=form.locale)
    except RequestError as exc:
        return _error(exc, form.locale)


@router.post("/verify/qr")
async def verify_photo(request: Request, services: ServicesDep, client: ClientAddress) -> Response:
    try:
        form = await _form(request, max_files=1, public_url=services.settings.public_url)
    except RequestError as exc:
        return _error(exc, as_locale(request.query_params.get("lang")))
    try:
        if not form.upload:
            raise RequestError("no image was sent", code="page.image_missing")
        texts = await run_in_threadpool(services.qr_uploads.decode, form.upload, client=client)
        return await _handle_text(texts[0], services=services, locale=form.locale)
    except RequestError as exc:
        return _error(exc, form.locale)


@router.post("/oid4vp/start")
async def start_wallet_request(request: Request, services: ServicesDep, client: ClientAddress) -> Response:
    try:
        form = await _form(request, max_files=0, public_url=services.settings.public_url)
    except RequestError as exc:
        return _error(exc, as_locale(request.query_params.get("lang")))
    try:
        created = await run_in_threadpool(services.oid4vp.create, claims=form.claims, client=client)
    except RequestError as exc:
        return _error(exc, form.locale)
    return RedirectResponse(f"/oid4vp/{created.id}?lang={form.locale}", status_code=303)


@router.get("/oid4vp/{transaction_id}")
def wallet_request_page(transaction_id: str, services: ServicesDep, locale: LocaleDep) -> Response:
    result_url = f"/oid4vp/{transaction_id}/result?lang={locale}"
    try:
        view = services.oid4vp.view(transaction_id)
        if view.status not in ("pending", "retrieved"):
            return RedirectResponse(result_url, status_code=303)
        authorization_request = services.oid4vp.authorization_request(transaction_id)
    except (NotFoundError, GoneError) as exc:
        return _error(exc, locale)
    claims = services.oid4vp.requested_claim_names(transaction_id)
    html = pages.waiting_page(
        locale=locale,
        transaction_id=transaction_id,
        authorization_request=authorization_request,
        expires_at=view.expires_at,
        claims=claims,
    )
    return _html(html)


@router.get("/oid4vp/{transaction_id}/result")
def wallet_request_result(transaction_id: str, services: ServicesDep, locale: LocaleDep) -> Response:
    try:
        view = services.oid4vp.view(transaction_id)
    except (NotFoundError, GoneError) as exc:
        return _error(exc, locale)
    if view.result is None:
        if view.status in ("pending", "retrieved", "verifying"):
            return RedirectResponse(f"/oid4vp/{transaction_id}?lang={locale}", status_code=303)
        return _error(RequestError(f"the request is {view.status}", code=f"oid4vp.{view.status}"), locale)
    path = f"/oid4vp/{transaction_id}/result"
    return _html(pages.stored_result_page(view.result["report"], locale=locale, path=path))


@router.get("/oid4vp/outcome/{response_code}")
def wallet_outcome(response_code: str, request: Request, services: ServicesDep, locale: LocaleDep) -> Response:
    """Where the wallet's ``redirect_uri`` leads: the verdict on the answer it sent, for the holder (HTML for a
    browser, the JSON of ``GET /oid4vp/requests/{id}`` for ``Accept: application/json``)."""
    accept = request.headers.get("accept", "")
    if accept.split(",")[0].split(";")[0].strip().lower() == "application/json":
        outcome = services.oid4vp.holder_outcome(response_code)  # errors answer as problem details
        return JSONResponse({"status": "answered", **outcome}, headers=_NO_STORE)
    try:
        outcome = services.oid4vp.holder_outcome(response_code)
    except (NotFoundError, GoneError) as exc:
        return _error(exc, locale)
    path = f"/oid4vp/outcome/{response_code}"
    return _html(pages.stored_result_page(outcome["report"], locale=locale, path=path))
