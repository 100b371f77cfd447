"""The development eID provider served for real on a free port, and a browser stand-in that logs in through it.

:func:`running_eid` writes an identities file (two card holders with known PINs) and a clients file (two relying
parties), builds the app with a :class:`FixedClock` and serves it with uvicorn in a thread. :func:`log_in` walks the
login page with ``httpx`` as a browser would: open the authorization URL, read the form, send the card and PIN,
and return the redirect the provider answered with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from common.service.clock import FixedClock
from eid.app import create_app
from eid.settings import Settings
from tests.verifier.live import serving

PEOPLE = [
    {
        "cnie": "BE123456",
        "pin": "123456",
        "family_name": "Alaoui",
        "given_name": "Amina",
        "family_name#ar": "العلوي",
        "given_name#ar": "أمينة",
        "birthdate": "2007-03-14",
    },
    {
        "cnie": "JA654321",
        "pin": "654321",
        "family_name": "Bennani",
        "given_name": "Youssef",
        "family_name#ar": "بناني",
        "given_name#ar": "يوسف",
        "birthdate": "2006-11-02",
    },
]
PORTAL_SECRET = "portal-secret-0123456789-abcdefghijklmnop"
OTHER_SECRET = "other-secret-0123456789-abcdefghijklmnopq"
PORTAL_CALLBACK = "http://127.0.0.1:8400/auth/callback"
OTHER_CALLBACK = "http://127.0.0.1:8500/callback"


@dataclass
class RunningEid:
    """A served provider: its URL, its clock, its data directory (the signing key is in it)."""

    base: str
    clock: FixedClock
    data_dir: Path

    @property
    def discovery_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"


def write_files(directory: Path) -> tuple[Path, Path]:
    identities = directory / "identities.json"
    identities.write_text(json.dumps(PEOPLE), encoding="utf-8")
    clients = directory / "clients.json"
    clients.write_text(
        json.dumps(
            [
                {"client_id": "portal", "client_secret": PORTAL_SECRET, "redirect_uris": [PORTAL_CALLBACK]},
                {"client_id": "other", "client_secret": OTHER_SECRET, "redirect_uris": [OTHER_CALLBACK]},
            ]
        ),
        encoding="utf-8",
    )
    return identities, clients


@contextmanager
def running_eid(directory: Path, **settings: object) -> Iterator[RunningEid]:
    identities, clients = write_files(directory)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    data_dir = directory / "eid-data"

    def make(base: str) -> object:
        options: dict[str, object] = {
            "development": True,
            "public_url": base,
            "data_dir": data_dir,
            "identities_file": identities,
            "clients_file": clients,
            **settings,
        }
        return create_app(Settings(**options), clock=clock)  # type: ignore[arg-type]

    with serving(make) as base:
        yield RunningEid(base=base, clock=clock, data_dir=data_dir)


@dataclass
class LoginForm:
    """The login page as a browser has it: its HTML and the hidden fields of its form."""

    status: int
    html: str
    fields: dict[str, str]


def open_login(browser: httpx.Client, url: str) -> LoginForm:
    response = browser.get(url)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', response.text))
    return LoginForm(status=response.status_code, html=response.text, fields=fields)


def submit(browser: httpx.Client, base: str, form: LoginForm, *, cnie: str, pin: str) -> httpx.Response:
    return browser.post(f"{base}/authorize", data={**form.fields, "cnie": cnie, "pin": pin})


def log_in(browser: httpx.Client, url: str, *, cnie: str = "BE123456", pin: str = "123456") -> dict[str, str]:
    """Log in through the page; the query parameters of the redirect back to the client."""
    form = open_login(browser, url)
    assert form.status == 200, form.html
    base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    answer = submit(browser, base, form, cnie=cnie, pin=pin)
    assert answer.status_code == 303, answer.text
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))
