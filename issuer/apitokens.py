"""Back-office API tokens: created by ``tawtiq admin token create``, stored hashed, each with one role.

A token reads ``tawtiq_<id>_<secret>`` (id: 12 hex digits, shown in listings and the audit log; secret:
256 random bits, shown once). The database keeps the id and SHA-256 of the secret; a presented token is
checked in constant time. Clients send it as ``Authorization: Bearer tawtiq_...``.

Roles and what they may do:

=========  =====================================================================================
``admin``  everything below
``issuer`` ``POST /credentials/issue`` (VCALM), ``POST /admin/offers``, read records
``status`` ``POST /credentials/status`` (VCALM: revoke, suspend, reinstate), read records
``reader`` ``GET /admin/diplomas/{id}``
=========  =====================================================================================
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import Engine, select
from sqlmodel import col

from issuer import audit
from issuer.db import reading, writing
from issuer.errors import AuthenticationError, ForbiddenError, InputError, NotFoundError
from issuer.models import ApiToken


class Role(StrEnum):
    ADMIN = "admin"
    ISSUER = "issuer"
    STATUS = "status"
    READER = "reader"


class Permission(StrEnum):
    ISSUE = "issue"
    OFFER = "offer"
    STATUS = "status"
    READ = "read"


PERMISSIONS: Final[dict[Permission, frozenset[Role]]] = {
    Permission.ISSUE: frozenset({Role.ADMIN, Role.ISSUER}),
    Permission.OFFER: frozenset({Role.ADMIN, Role.ISSUER}),
    Permission.STATUS: frozenset({Role.ADMIN, Role.STATUS}),
    Permission.READ: frozenset(Role),
}
_TOKEN: Final = re.compile(r"tawtiq_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_LAST_USED_GRANULARITY: Final = timedelta(minutes=10)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, name and role."""

    token_id: str
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"token:{self.token_id}:{self.name}"


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    name: str
    role: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_token(engine: Engine, *, name: str, role: str, actor: str, now: datetime) -> tuple[TokenInfo, str]:
    """Create a token; returns its description and the token string (shown once, never stored)."""
    try:
        chosen = Role(role)
    except ValueError:
        raise InputError(
            "unknown role", code="token.role_unknown", found=role, expected=[r.value for r in Role]
        ) from None
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("a token needs a name of 1 to 200 characters", code="token.name_invalid", found=len(name))
    token_id = random.token_hex(6)
    secret = random.token_urlsafe(32)
    with writing(engine) as db:
        row = ApiToken(
            id=token_id,
            name=name,
            role=chosen.value,
            secret_hash=_digest(secret),
            created_at=now,
            created_by=actor,
        )
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor=actor,
            action="token.create",
            target=token_id,
            at=now,
            details={"name": name, "role": chosen.value},
        )
    return _info(row), f"tawtiq_{token_id}_{secret}"


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.role, row.created_at, row.created_by, row.revoked_at, row.last_used_at)


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with reading(engine) as db:
        return [_info(row) for row in db.execute(select(ApiToken).order_by(col(ApiToken.created_at))).scalars()]


def revoke_token(engine: Engine, *, token_id: str, actor: str, now: datetime) -> TokenInfo:
    """Revoke a token at once. Raises :class:`NotFoundError` ``token.unknown``."""
    with writing(engine) as db:
        row = db.get(ApiToken, token_id)
        if row is None:
            raise NotFoundError("no API token has this id", code="token.unknown", found=token_id)
        if row.revoked_at is None:
            row.revoked_at = now
            db.add(row)
            db.flush()
            audit.append(db, actor=actor, action="token.revoke", target=token_id, at=now, details={"name": row.name})
        return _info(row)


def authenticate(engine: Engine, authorization: str | None, *, permission: Permission, now: datetime) -> Principal:
    """The caller behind an ``Authorization`` header, if it may do ``permission``.

    Raises :class:`AuthenticationError` (401: missing, malformed, unknown or revoked token) or
    :class:`ForbiddenError` (403: the role does not allow it).
    """
    if not authorization:
        raise AuthenticationError(
            "this endpoint needs an API token", code="auth.required", expected="Authorization: Bearer tawtiq_..."
        )
    scheme, _, value = authorization.strip().partition(" ")
    match = _TOKEN.fullmatch(value.strip()) if scheme.lower() == "bearer" else None
    if match is None:
        raise AuthenticationError(
            "the Authorization header does not hold an API token",
            code="auth.malformed",
            expected="Bearer tawtiq_<id>_<secret>",
        )
    token_id, secret = match.groups()
    with reading(engine) as db:
        row = db.get(ApiToken, token_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        raise AuthenticationError("the API token is not valid", code="auth.invalid")
    if row.revoked_at is not None:
        raise AuthenticationError("the API token has been revoked", code="auth.revoked")
    role = Role(row.role)
    if role not in PERMISSIONS[permission]:
        raise ForbiddenError(
            f"the role {role.value!r} may not {permission.value}",
            code="auth.forbidden",
            found=role.value,
            expected=sorted(r.value for r in PERMISSIONS[permission]),
        )
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_GRANULARITY:
        with writing(engine) as db:
            stored = db.get(ApiToken, token_id)
            if stored is not None:
                stored.last_used_at = now
                db.add(stored)
    return Principal(row.id, row.name, role)
