"""The provider's two files, read once at start-up into frozen records: who may log in, and who may ask.

``identities.json`` (written by ``tawtiq eid identities``)::

    [{"cnie": "BE123456", "pin": "123456", "family_name": "...", "given_name": "...",
      "family_name#ar": "...", "given_name#ar": "...", "birthdate": "2006-03-14"}, ...]

``clients.json`` (written by ``tawtiq eid client add``)::

    [{"client_id": "portal", "client_secret": "...", "redirect_uris": ["https://portal.example/callback"]}]

A file that cannot be used is refused whole, naming the entry and the field (never a PIN, a secret or a name).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

import schemas
from vc.errors import ConfigurationError
from vc.urls import is_loopback_host

#: A CNIE number as stored: one or two capital letters and up to eight digits.
CNIE_PATTERN: Final = re.compile(r"[A-Z]{1,2}[0-9]{1,8}")
#: A development PIN: six digits.
PIN_PATTERN: Final = re.compile(r"[0-9]{6}")
#: Largest file of either kind read (a generated cohort of 500,000 identities stays well under it).
MAX_FILE_BYTES: Final = 512 * 1024 * 1024
_CLIENT_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_MIN_SECRET_CHARS: Final = 32


@dataclass(frozen=True, slots=True)
class Person:
    """One card holder of the stand-in: the card number, its development PIN, the civil-status data."""

    cnie: str
    pin: str
    family_name: str
    given_name: str
    family_name_ar: str
    given_name_ar: str
    birthdate: date

    def pin_matches(self, pin: str) -> bool:
        """Whether ``pin`` is this card's PIN (compared in constant time)."""
        return hmac.compare_digest(self.pin.encode(), pin.encode())


@dataclass(frozen=True, slots=True)
class Client:
    """A relying party: its identifier, its secret (``client_secret_basic`` or ``_post``), its redirect URIs."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


def read_identities(path: Path) -> dict[str, Person]:
    """The people of ``identities.json`` by CNIE number. Raises :class:`ConfigurationError` (``eid.identities``)."""
    entries = _read_list(path, code="eid.identities", what="identities")
    people: dict[str, Person] = {}
    for number, entry in enumerate(entries, start=1):
        person = _person(entry, where=f"{path.name} entry {number}")
        if person.cnie in people:
            raise _bad("eid.identities", f"{path.name} entry {number}: cnie", "a CNIE number given once", "a repeat")
        people[person.cnie] = person
    return people


def read_clients(path: Path) -> dict[str, Client]:
    """The clients of ``clients.json`` by identifier. Raises :class:`ConfigurationError` (``eid.clients``)."""
    entries = _read_list(path, code="eid.clients", what="clients")
    clients: dict[str, Client] = {}
    for number, entry in enumerate(entries, start=1):
        client = client_of(entry, where=f"{path.name} entry {number}")
        if client.client_id in clients:
            raise _bad("eid.clients", f"{path.name} entry {number}: client_id", "an identifier given once", "a repeat")
        clients[client.client_id] = client
    return clients


def client_of(entry: Any, *, where: str) -> Client:
    """One client entry checked: an identifier, a secret of 32 characters or more, absolute redirect URIs."""
    if not isinstance(entry, Mapping):
        raise _bad("eid.clients", where, "a JSON object", type(entry).__name__)
    client_id = entry.get("client_id")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise _bad("eid.clients", f"{where}: client_id", "letters, digits, . _ : - (at most 100)", repr(client_id))
    secret = entry.get("client_secret")
    if not isinstance(secret, str) or len(secret) < _MIN_SECRET_CHARS:
        found = f"{len(secret)} characters" if isinstance(secret, str) else type(secret).__name__
        raise _bad("eid.clients", f"{where}: client_secret", f"at least {_MIN_SECRET_CHARS} random characters", found)
    uris = entry.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        raise _bad("eid.clients", f"{where}: redirect_uris", "a non-empty list of URLs", type(uris).__name__)
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem is not None:
            raise _bad("eid.clients", f"{where}: redirect_uris", problem, repr(uri)[:200])
    return Client(client_id=client_id, client_secret=secret, redirect_uris=tuple(uris))


def redirect_uri_problem(uri: Any) -> str | None:
    """What is wrong with a redirect URI to register, or ``None``: https, or http to a loopback host; no fragment."""
    if not isinstance(uri, str):
        return "a URL string"
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "an absolute http(s) URL"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "https (http only to 127.0.0.1, ::1 or localhost)"
    if parts.fragment or "#" in uri:
        return "a URL without a fragment (RFC 6749 §3.1.2)"
    return None


def _person(entry: Any, *, where: str) -> Person:
    if not isinstance(entry, Mapping):
        raise _bad("eid.identities", where, "a JSON object", type(entry).__name__)
    cnie = entry.get("cnie")
    if not isinstance(cnie, str) or not CNIE_PATTERN.fullmatch(cnie):
        raise _bad("eid.identities", f"{where}: cnie", "a CNIE number such as BE123456", "something else")
    pin = entry.get("pin")
    if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise _bad("eid.identities", f"{where}: pin", "six digits", "something else")
    names: dict[str, str] = {}
    for key in ("family_name", "given_name", "family_name#ar", "given_name#ar"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _bad("eid.identities", f"{where}: {key}", "a non-empty name", "nothing" if not value else "not text")
        try:
            names[key] = schemas.checked_text(value.strip(), path=key)
        except schemas.SubjectError as exc:
            raise _bad("eid.identities", f"{where}: {key}", schemas.TEXT_EXPECTED, str(exc)) from exc
    birthdate = entry.get("birthdate")
    try:
        born = date.fromisoformat(birthdate) if isinstance(birthdate, str) and len(birthdate) == 10 else None
    except ValueError:
        born = None
    if born is None:
        raise _bad("eid.identities", f"{where}: birthdate", "a date YYYY-MM-DD", "something else")
    return Person(
        cnie=cnie,
        pin=pin,
        family_name=names["family_name"],
        given_name=names["given_name"],
        family_name_ar=names["family_name#ar"],
        given_name_ar=names["given_name#ar"],
        birthdate=born,
    )


def _read_list(path: Path, *, code: str, what: str) -> Sequence[Any]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _bad(code, str(path), f"at most {MAX_FILE_BYTES} bytes", f"{size} bytes")
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigurationError(
            f"the {what} file cannot be read",
            code=code,
            found=f"{path}: {exc.strerror or type(exc).__name__}",
            expected=f"a readable {path.name} (see `tawtiq eid --help`)",
        ) from exc
    except orjson.JSONDecodeError as exc:
        raise _bad(code, str(path), "a JSON array", f"not JSON ({exc.msg})") from exc
    if not isinstance(document, list):
        raise _bad(code, str(path), "a JSON array", type(document).__name__)
    return document


def _bad(code: str, where: str, expected: str, found: str) -> ConfigurationError:
    return ConfigurationError(f"{where} cannot be used", code=code, found=found, expected=expected)
