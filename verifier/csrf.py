"""Refusing cross-site requests (CSRF) to the page's forms and the share-link actions.

A browser tells where a request comes from: ``Sec-Fetch-Site`` (Fetch Metadata, sent by every current browser) and
``Origin`` (sent with every cross-origin ``POST``). A state-changing request that a browser says comes from another
site — ``Sec-Fetch-Site`` other than ``same-origin``, or else an ``Origin`` other than the public URL's (``null``
included) — is refused with ``403`` ``request.cross_site``. A request with neither header does not come from a
browser page, so no other site can have made it on a visitor's behalf: machine clients (wallets, the VC-API, a
university's back end) keep working unchanged. No token to carry, no state to keep, and nothing to forget in a
form.
"""

from __future__ import annotations

from collections.abc import Mapping

from common.fetch import origin_of, same_origin
from verifier.errors import ForbiddenError


class CrossSiteError(ForbiddenError):
    """A browser sent a state-changing request from another site (403)."""

    default_code = "request.cross_site"


def check_same_site(headers: Mapping[str, str], *, public_url: str) -> None:
    """Refuse a request a browser made from another site. Raises :class:`CrossSiteError`.

    ``headers`` are the request's (names in lower case, as Starlette's ``Headers`` gives them).
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() != "same-origin":
            raise CrossSiteError(
                "this form may be sent only from the verifier's own page",
                found=f"Sec-Fetch-Site: {site[:40]}",
                expected="Sec-Fetch-Site: same-origin",
            )
        return
    origin = headers.get("origin")
    if origin is not None and not same_origin(origin, public_url):
        raise CrossSiteError(
            "this form may be sent only from the verifier's own page",
            found=f"Origin: {origin[:100]}",
            expected=f"Origin: {origin_of(public_url)}",
        )
