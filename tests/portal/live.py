"""The portal and the real development eID provider, each served by uvicorn on a free port, sharing one clock.

:func:`running_portal` binds both ports first (each needs the other's URL: the portal the eID's discovery URL,
the eID the portal's callback in its clients file), writes the eID's identities (with known PINs) and clients,
and serves both apps. The portal's identity port is the real :class:`~common.identity.OidcIdentityPort` over
HTTP, through :class:`tests.common.test_identity.TamperingFetcher`, which passes everything to the real eID and
rewrites an ID token only when a test asks (as a compromised provider would). :class:`Browser` logs in through
the eID's login page over HTTP, as a person's browser would.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from fastapi import FastAPI

from common.fetch import HttpFetcher, Timeouts, http_client
from common.identity import OidcIdentityPort, OidcSettings
from common.service.clock import FixedClock
from eid.app import create_app as create_eid
from eid.settings import Settings as EidSettings
from issuer.settings import Settings as IssuerSettings
from portal.app import create_app as create_portal
from portal.settings import Settings
from tests.common.test_identity import TamperingFetcher

CLIENT_SECRET = "portal-client-secret-" + "0123456789abcdefghijklmnop"
OTHER_SECRET = "other-client-secret-" + "0123456789abcdefghijklmnopq"


@dataclass(frozen=True)
class Card:
    """A card holder of the eID stand-in: the card number, its PIN, the civil-status data it vouches for."""

    cnie: str
    pin: str
    family_name: str
    given_name: str
    family_name_ar: str
    given_name_ar: str
    birthdate: str

    def identity_entry(self) -> dict[str, str]:
        return {
            "cnie": self.cnie,
            "pin": self.pin,
            "family_name": self.family_name,
            "given_name": self.given_name,
            "family_name#ar": self.family_name_ar,
            "given_name#ar": self.given_name_ar,
            "birthdate": self.birthdate,
        }


@dataclass
class RunningPortal:
    """The served portal and eID: their URLs, the shared clock, the identity port's own clock (at the same time,
    moved alone to read an ID token late) and fetcher."""

    base: str
    eid_base: str
    clock: FixedClock
    port_clock: FixedClock
    fetcher: TamperingFetcher
    settings: Settings
    app: FastAPI

    def set_time(self, moment: datetime) -> None:
        """Move every clock (the portal's, the eID's, the identity port's) to ``moment``."""
        self.clock.set(moment)
        self.port_clock.set(moment)


def _bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def served(app: FastAPI, sock: socket.socket) -> Iterator[None]:
    """``app`` served by uvicorn in a thread on the bound ``sock`` until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def running_portal(
    directory: Path,
    *,
    database_url: str,
    cards: Sequence[Card],
    clock: FixedClock,
    issuer: IssuerSettings | None = None,
    **overrides: Any,
) -> Iterator[RunningPortal]:
    """The eID (with ``cards``) and the portal (on ``database_url``, with the issuer's settings ``issuer``), both on
    ``clock`` (see the module docstring)."""
    portal_sock, eid_sock = _bound(), _bound()
    base = f"http://127.0.0.1:{portal_sock.getsockname()[1]}"
    eid_base = f"http://127.0.0.1:{eid_sock.getsockname()[1]}"
    identities = directory / "identities.json"
    identities.write_text(json.dumps([card.identity_entry() for card in cards], ensure_ascii=False), "utf-8")
    clients = directory / "clients.json"
    clients.write_text(
        json.dumps(
            [
                {"client_id": "portal", "client_secret": CLIENT_SECRET, "redirect_uris": [f"{base}/login/callback"]},
                {"client_id": "other", "client_secret": OTHER_SECRET, "redirect_uris": [f"{base}/login/callback"]},
            ]
        ),
        "utf-8",
    )
    secret_file = directory / "portal-client-secret"
    secret_file.write_text(CLIENT_SECRET, "utf-8")
    eid_app = create_eid(
        EidSettings(
            development=True,
            public_url=eid_base,
            data_dir=directory / "eid-data",
            identities_file=identities,
            clients_file=clients,
        ),
        clock=clock,
    )
    settings = Settings(
        public_url=base,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(32),
        eid_discovery_url=f"{eid_base}/.well-known/openid-configuration",
        eid_client_secret_file=secret_file,
        **overrides,
    )
    timeouts = Timeouts(connect_seconds=2, read_seconds=5, total_seconds=10)
    inner = HttpFetcher(http_client(timeouts=timeouts, user_agent="tests"), total_timeout_seconds=10)
    fetcher = TamperingFetcher(inner)
    port_clock = FixedClock(clock.now())
    port = OidcIdentityPort(
        OidcSettings(
            discovery_url=settings.eid_discovery_url,
            client_id=settings.eid_client_id,
            client_secret=CLIENT_SECRET,
            required_acr=settings.required_acr,
        ),
        fetcher=fetcher,
        clock=port_clock,
    )
    app = create_portal(settings, clock=clock, identity=port, issuer=issuer)
    try:
        with served(eid_app, eid_sock), served(app, portal_sock):
            yield RunningPortal(
                base=base,
                eid_base=eid_base,
                clock=clock,
                port_clock=port_clock,
                fetcher=fetcher,
                settings=settings,
                app=app,
            )
    finally:
        inner.close()


class Browser:
    """A person's browser, over HTTP: keeps cookies, follows nothing by itself (each redirect is checked)."""

    def __init__(self, portal: RunningPortal) -> None:
        self.portal = portal
        self.http = httpx.Client(timeout=20, headers={"Accept": "text/html"})

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(f"{self.portal.base}{path}", **kwargs)

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(f"{self.portal.base}{path}", data=data)

    def start_login(self, path: str = "/login") -> str:
        """Ask the portal to log in; the eID authorization URL it sends the browser to."""
        answer = self.get(path)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(f"{self.portal.eid_base}/authorize?"), location
        return location

    def card_and_pin(self, authorization_url: str, card: Card, *, pin: str | None = None) -> dict[str, str]:
        """The eID's login page: the card number and PIN typed in; the callback's query parameters."""
        page = self.http.get(authorization_url)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
        answer = self.http.post(
            f"{self.portal.eid_base}/authorize", data={**fields, "cnie": card.cnie, "pin": pin or card.pin}
        )
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(f"{self.portal.base}/login/callback?"), location
        return dict(parse_qsl(urlsplit(location).query))

    def callback(self, params: dict[str, str]) -> httpx.Response:
        return self.get("/login/callback", params=params)

    def log_in(self, card: Card, *, path: str = "/login") -> httpx.Response:
        """The whole login; the portal's answer to the callback (a 303 to the page asked for)."""
        answer = self.callback(self.card_and_pin(self.start_login(path), card))
        assert answer.status_code == 303, answer.text
        return answer

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the forms on the page at ``path``."""
        page = self.get(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)


def error_code(page: httpx.Response) -> str | None:
    """The stable code an error page shows (``data-code``), if it is one."""
    match = re.search(r'data-code="([^"]+)"', page.text)
    return match.group(1) if match else None


@contextmanager
def browser_of(portal: RunningPortal) -> Iterator[Browser]:
    browser = Browser(portal)
    try:
        yield browser
    finally:
        browser.close()


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


Rewrite = Callable[[dict[str, Any], dict[str, Any]], str]
