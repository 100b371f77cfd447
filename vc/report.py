"""The verification report: one verdict and the ordered checks behind it.

The verdict is never guessed: ``invalid`` when any check failed, ``indeterminate`` when a check the
verdict depends on could not be carried out (an unreachable status list, unreachable issuer keys),
and ``valid`` only when every such check passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple


class Verdict(StrEnum):
    """The answer to "is this credential good?"; see :meth:`worst` for how several answers combine."""

    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"

    @classmethod
    def worst(cls, first: Verdict, *others: Verdict) -> Verdict:
        """The worst of the verdicts: ``invalid`` over ``indeterminate`` over ``valid``.

        A presentation of several credentials, or a diploma kept as several copies, is only as good as its
        worst part.
        """
        return max((first, *others), key=_SEVERITY.__getitem__)


_SEVERITY: Final = {Verdict.VALID: 0, Verdict.INDETERMINATE: 1, Verdict.INVALID: 2}


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"


class CheckName(StrEnum):
    """The checks of every report, in the order they are reported (DESIGN.md §7)."""

    FORMAT = "format"
    SIGNATURE = "signature"
    ISSUER_TRUST = "issuer_trust"
    VALIDITY = "validity"
    STATUS = "status"
    HOLDER_BINDING = "holder_binding"
    SCHEMA = "schema"
    POLICY = "policy"


CHECK_ORDER: Final = tuple(CheckName)


class Check(NamedTuple):
    """One check: its outcome, a stable code and a human message.

    ``blocking`` marks a check that could not be carried out although the verdict depends on it; it
    turns the verdict into ``indeterminate``. Immutable.
    """

    name: CheckName
    outcome: Outcome
    code: str
    message: str
    blocking: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"check": str(self.name), "outcome": str(self.outcome), "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """The status data one status check used, and how old it was."""

    purpose: str
    index: int
    list_uri: str
    value: int
    fetched_at: datetime
    age_seconds: float
    stale: bool
    #: When the issuer signed the list read (its ``iat``), if it says: a revocation shown there happened before.
    list_issued_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "index": self.index,
            "list": self.list_uri,
            "value": self.value,
            "fetched_at": self.fetched_at.isoformat(),
            "age_seconds": round(self.age_seconds, 3),
            "stale": self.stale,
            "list_issued_at": self.list_issued_at.isoformat() if self.list_issued_at is not None else None,
        }


def verdict_of(checks: tuple[Check, ...]) -> Verdict:
    """``invalid`` if any check failed, ``indeterminate`` if a blocking check was not done, else ``valid``."""
    if any(check.outcome is Outcome.FAILED for check in checks):
        return Verdict.INVALID
    if any(check.outcome is Outcome.NOT_CHECKED and check.blocking for check in checks):
        return Verdict.INDETERMINATE
    return Verdict.VALID


@dataclass(frozen=True)
class VerificationReport:
    """What :func:`vc.verify` found. ``claims`` is set only when the signature verified."""

    verdict: Verdict
    checks: tuple[Check, ...]
    verified_at: datetime
    profile: str | None = None
    issuer: str | None = None
    kid: str | None = None
    credential_types: tuple[str, ...] = ()
    claims: Mapping[str, Any] | None = None
    disclosed: tuple[str, ...] = ()
    status: tuple[StatusInfo, ...] = ()
    trust_list_version: str | None = None
    credentials: tuple[VerificationReport, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID

    def check(self, name: CheckName | str) -> Check:
        """The check called ``name`` (every report has all of them)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise LookupError(name)

    @property
    def problems(self) -> tuple[Check, ...]:
        """Failed checks, then blocking checks that could not be carried out."""
        failed = tuple(c for c in self.checks if c.outcome is Outcome.FAILED)
        return failed + tuple(c for c in self.checks if c.outcome is Outcome.NOT_CHECKED and c.blocking)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the verifier's API and the CLI's ``--json`` print this)."""
        return {
            "verdict": str(self.verdict),
            "profile": self.profile,
            "issuer": self.issuer,
            "kid": self.kid,
            "credential_types": list(self.credential_types),
            "checks": [check.to_dict() for check in self.checks],
            "claims": self.claims,
            "disclosed": list(self.disclosed),
            "status": [item.to_dict() for item in self.status],
            "trust_list_version": self.trust_list_version,
            "verified_at": self.verified_at.isoformat(),
            "credentials": [report.to_dict() for report in self.credentials],
        }
