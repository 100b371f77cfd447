"""What the route modules share: HTML answers that are never cached, and the language cookie."""

from __future__ import annotations

from typing import Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from portal.deps import LANGUAGE_COOKIE
from portal.messages import Locale

#: Every page is personal: no cache, shared or private, may keep it.
NO_STORE: Final = {"Cache-Control": "no-store"}


def html(content: str, *, request: Request, locale: Locale, status_code: int = 200) -> HTMLResponse:
    """A page; remembers the language when the visitor chose it with ``?lang=``."""
    response = HTMLResponse(content, status_code=status_code, headers=NO_STORE)
    if "lang" in request.query_params:
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
