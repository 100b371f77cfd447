"""The welcome page (the only one open without a login), the style sheet, and the favicon."""

from __future__ import annotations

from importlib.resources import files
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from portal import pages
from portal.deps import SESSION_COOKIE, LocaleDep, ServicesDep, viewer_of
from portal.errors import NotFoundError, SessionError
from portal.routes.common import html

router = APIRouter(include_in_schema=False)

_STATIC: Final = {"portal.css": "text/css; charset=utf-8"}
_ASSETS: Final = {
    name: (files("portal").joinpath("static", name).read_bytes(), media) for name, media in _STATIC.items()
}


@router.get("/")
def welcome(request: Request, services: ServicesDep, locale: LocaleDep) -> HTMLResponse:
    viewer = None
    if request.cookies.get(SESSION_COOKIE):
        try:
            viewer = viewer_of(services.sessions.current(request.cookies.get(SESSION_COOKIE)))
        except SessionError:
            viewer = None  # the welcome page is open to all: an ended session just reads as logged out
    return html(pages.welcome_page(locale=locale, viewer=viewer), request=request, locale=locale)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in _ASSETS:
        raise NotFoundError("no such file", found=name[:60], expected=", ".join(_STATIC))
    content, media = _ASSETS[name]
    return Response(content, media_type=media, headers={"Cache-Control": "public, max-age=3600"})
