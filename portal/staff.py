"""Staff roles: who may review corrections for which school or academy, who administers the exam, and who decides
scholarships for which province.

Staff log in with the same eID as candidates; a role is held by a CNIE and given by ``tawtiq portal staff add``.
A school reviewer's scope is a school code, an academy reviewer's an academy code, an exam administrator's is
the whole session (an empty scope), a scholarship officer's a province — the registry's directorate code. The
portal reads a person's roles at each staff request, so removing a role takes effect at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from common.service.database import affected, reading, writing
from portal.models import staff
from schemas import normalise_identifier
from vc.errors import CredentialError

_CNIE: Final = re.compile(r"[A-Z]{1,2}[0-9]{1,8}")
_CODE: Final = re.compile(r"[A-Za-z0-9._-]{1,40}")


class Role(StrEnum):
    """The staff roles of the portal."""

    SCHOOL_REVIEWER = "school-reviewer"
    ACADEMY_REVIEWER = "academy-reviewer"
    EXAM_ADMINISTRATOR = "exam-administrator"
    #: Decides the post-baccalaureate scholarship applications of one province (a directorate code).
    SCHOLARSHIP_OFFICER = "scholarship-officer"


class StaffInputError(CredentialError):
    """A role that cannot be given or removed as asked (a command's input error)."""

    default_code = "staff.invalid"


@dataclass(frozen=True)
class StaffRole:
    """One role held by one person."""

    id: int
    cnie: str
    role: Role
    #: The school code (school reviewer), the academy code (academy reviewer), the province's directorate code
    #: (scholarship officer), or "" (exam administrator).
    scope: str
    created_at: datetime


def cnie_of(text: str) -> str:
    """``text`` as a stored CNIE number. Raises :class:`StaffInputError` ``staff.cnie`` (without the value)."""
    cnie = normalise_identifier(text)
    if not _CNIE.fullmatch(cnie):
        raise StaffInputError(
            "not a CNIE number", code="staff.cnie", found=f"{len(cnie)} characters", expected="1-2 letters, 1-8 digits"
        )
    return cnie


def scope_of(role: Role, *, school: str | None, academy: str | None, province: str | None = None) -> str:
    """The scope a role needs: a school for a school reviewer, an academy for an academy reviewer, a province (its
    directorate code) for a scholarship officer, none for an administrator.

    Raises :class:`StaffInputError` ``staff.scope`` when the wrong one, or none, is given.
    """
    wanted = {
        Role.SCHOOL_REVIEWER: "school",
        Role.ACADEMY_REVIEWER: "academy",
        Role.SCHOLARSHIP_OFFICER: "province",
    }.get(role)
    given = {
        name: value
        for name, value in (("school", school), ("academy", academy), ("province", province))
        if value is not None
    }
    if wanted is None:
        if given:
            raise StaffInputError(
                f"an {role.value} covers the whole session",
                code="staff.scope",
                found=f"--{next(iter(given))}",
                expected="none of --school, --academy, --province",
            )
        return ""
    if set(given) != {wanted}:
        raise StaffInputError(
            f"a {role.value} needs the {wanted} they {'decide for' if wanted == 'province' else 'review'}",
            code="staff.scope",
            found=", ".join(f"--{name}" for name in given) or "no scope",
            expected=f"--{wanted} CODE only",
        )
    code = given[wanted].strip()
    if not _CODE.fullmatch(code):
        raise StaffInputError(
            f"not a {wanted} code", code="staff.scope", found=repr(code[:40]), expected="1-40 letters, digits, . _ -"
        )
    return code


def add(engine: Engine, *, cnie: str, role: Role, scope: str, at: datetime) -> StaffRole:
    """Give ``role`` over ``scope`` to ``cnie``; returns it. Raises :class:`StaffInputError` ``staff.exists``."""
    try:
        with writing(engine) as session:
            role_id = session.execute(
                insert(staff).values(cnie=cnie, role=role.value, scope=scope, created_at=at).returning(staff.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise StaffInputError(
            "this person already holds this role", code="staff.exists", found=f"{role.value} {scope}".strip()
        ) from exc
    return StaffRole(id=role_id, cnie=cnie, role=role, scope=scope, created_at=at)


def roles_of(engine: Engine, *, cnie: str) -> list[StaffRole]:
    """The roles ``cnie`` holds (none for a candidate)."""
    with reading(engine) as session:
        rows = session.execute(select(staff).where(staff.c.cnie == cnie).order_by(staff.c.id)).all()
    return [_role(row) for row in rows]


def all_roles(engine: Engine) -> list[StaffRole]:
    """Every role, oldest first."""
    with reading(engine) as session:
        rows = session.execute(select(staff).order_by(staff.c.id)).all()
    return [_role(row) for row in rows]


def remove(engine: Engine, *, cnie: str, role: Role, scope: str) -> None:
    """Take ``role`` over ``scope`` from ``cnie``. Raises :class:`StaffInputError` ``staff.unknown``."""
    with writing(engine) as session:
        removed = affected(
            session.execute(
                delete(staff).where(staff.c.cnie == cnie, staff.c.role == role.value, staff.c.scope == scope)
            )
        )
    if not removed:
        raise StaffInputError(
            "this person does not hold this role", code="staff.unknown", found=f"{role.value} {scope}".strip()
        )


def _role(row: object) -> StaffRole:
    mapping = row._mapping  # type: ignore[attr-defined]
    return StaffRole(
        id=mapping["id"],
        cnie=mapping["cnie"],
        role=Role(mapping["role"]),
        scope=mapping["scope"],
        created_at=mapping["created_at"],
    )
