"""Relying parties: universities and employers the verifier's operator registered, each with an API token.

Anyone may ask a wallet for the diploma's default claims; the protected claims (:data:`common.diploma.
PROTECTED_CLAIMS`: CNIE number, birth date and place, Massar code) may be asked for only by an authenticated
relying party, whose name the wallet then shows ("requested by …, authenticated by <this verifier>"). The operator
registers one with ``tawtiq verifier rp add --name …``, which prints its token once; the relying party sends it as
``Authorization: Bearer <token>`` when it creates a request. Only the SHA-256 digest of a token is stored (a token
holds 256 random bits, so a plain digest cannot be reversed); a revoked token is refused like an unknown one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlmodel import col, select

from verifier.clock import Clock
from verifier.db import Database
from verifier.errors import NotFoundError, RequestError
from verifier.models import RelyingPartyRow
from verifier.sealing import digest

#: Every token starts with this, so a leaked one is recognisable (e.g. by secret scanners).
TOKEN_PREFIX: Final = "tawtiq_rp_"  # noqa: S105 - a prefix, not a secret
_MAX_NAME_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """A registered relying party as the operator sees it (never its token)."""

    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class InvalidTokenError(RequestError):
    """The bearer token is not one of an active relying party (401)."""

    default_code = "request.rp_token_invalid"
    status_code = 401


def _party(row: RelyingPartyRow) -> RelyingParty:
    return RelyingParty(row.id, row.name, row.created_at, row.revoked_at)


def check_name(name: str) -> str:
    """A relying party's display name, trimmed. Raises :class:`RequestError` ``rp.name_invalid``."""
    text = " ".join(name.split())
    if not text or len(text) > _MAX_NAME_CHARS or any(not char.isprintable() for char in text):
        raise RequestError(
            "a relying party's name is shown to graduates: give printable text",
            code="rp.name_invalid",
            found=f"{len(text)} characters" if text else "an empty name",
            expected=f"1 to {_MAX_NAME_CHARS} printable characters",
        )
    return text


class RelyingParties:
    """Registers, lists, revokes and authenticates relying parties."""

    def __init__(self, *, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    def add(self, *, name: str) -> tuple[RelyingParty, str]:
        """Register ``name``; returns it and its token (shown once, never stored). Raises :class:`RequestError`."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = RelyingPartyRow(
            id=secrets.token_hex(6), name=check_name(name), token_hash=digest(token), created_at=self._clock.now()
        )
        with self._database.session() as session:
            session.add(row)
            party = _party(row)
        return party, token

    def all(self) -> list[RelyingParty]:
        """Every registered relying party, oldest first, revoked ones included."""
        with self._database.session() as session:
            rows = session.exec(select(RelyingPartyRow).order_by(col(RelyingPartyRow.created_at))).all()
            return [_party(row) for row in rows]

    def revoke(self, party_id: str) -> RelyingParty:
        """Revoke a relying party's token from now on. Raises :class:`NotFoundError` ``rp.unknown``."""
        with self._database.session() as session:
            row = session.get(RelyingPartyRow, party_id)
            if row is None:
                raise NotFoundError("no relying party with this id", code="rp.unknown", found=party_id)
            if row.revoked_at is None:
                row.revoked_at = self._clock.now()
                session.add(row)
            return _party(row)

    def authenticate(self, authorization: str) -> RelyingParty:
        """The active relying party an ``Authorization`` header names. Raises :class:`InvalidTokenError`."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidTokenError(
                "send the relying party's token as Authorization: Bearer <token>",
                found=f"scheme {scheme[:20]!r}" if scheme else "an empty Authorization header",
                expected="Bearer <token>",
                headers={"WWW-Authenticate": 'Bearer realm="oid4vp"'},
            )
        with self._database.session() as session:
            row = session.exec(select(RelyingPartyRow).where(col(RelyingPartyRow.token_hash) == digest(token))).first()
            party = _party(row) if row is not None else None
        if party is None or not party.active:
            raise InvalidTokenError(
                "this token is not one of an active relying party (unknown or revoked)",
                expected="a token from `tawtiq verifier rp add`",
                headers={"WWW-Authenticate": 'Bearer realm="oid4vp", error="invalid_token"'},
            )
        return party
