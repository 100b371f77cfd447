"""Dependencies of the routes, as ``Annotated`` aliases so that a route's signature reads as what it needs.

They are ``async`` because they only look things up: FastAPI runs a plain ``def`` dependency in the thread pool,
a hop per dependency that would cost more than the lookup itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from verifier.csrf import check_same_site
from verifier.messages import Locale, as_locale
from verifier.oid4vp import OpenID4VP
from verifier.relying_parties import RelyingParties
from verifier.services import Services
from verifier.settings import Settings
from verifier.shares import Shares
from verifier.verification import Verifier

#: Cookie remembering the page language chosen with ``?lang=``.
LANGUAGE_COOKIE = "tawtiq_lang"


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    return services.settings


async def get_verifier(services: ServicesDep) -> Verifier:
    return services.verifier


async def get_oid4vp(services: ServicesDep) -> OpenID4VP:
    return services.oid4vp


async def get_shares(services: ServicesDep) -> Shares:
    return services.shares


async def get_relying_parties(services: ServicesDep) -> RelyingParties:
    return services.relying_parties


async def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, uvicorn's ``forwarded_allow_ips`` decides)."""
    return request.client.host if request.client is not None else "unknown"


async def same_site_only(request: Request, services: ServicesDep) -> None:
    """Refuse a state-changing request a browser sent from another site (see :mod:`verifier.csrf`)."""
    check_same_site(request.headers, public_url=services.settings.public_url)


async def page_locale(request: Request) -> Locale:
    """The page language: ``?lang=``, then the remembered choice, then Arabic."""
    return as_locale(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


SettingsDep = Annotated[Settings, Depends(get_settings)]
VerifierDep = Annotated[Verifier, Depends(get_verifier)]
OpenID4VPDep = Annotated[OpenID4VP, Depends(get_oid4vp)]
SharesDep = Annotated[Shares, Depends(get_shares)]
RelyingPartiesDep = Annotated[RelyingParties, Depends(get_relying_parties)]
ClientAddress = Annotated[str, Depends(client_address)]
LocaleDep = Annotated[Locale, Depends(page_locale)]
#: For a route's ``dependencies=[…]``: refuses cross-site requests from browsers.
SameSiteOnly = Depends(same_site_only)
