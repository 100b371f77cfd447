"""The verifier's one way to verify: the engine with this service's keys, status lists, trust list and policy.

Every interface (VC-API, OpenID4VP, share links, the page) calls :meth:`Verifier.verify` with the expectations of
its protocol: whether holder binding is required and for which audience and nonce, which claims must be
disclosed, which formats and types were asked for. The engine decides authenticity; this module adds only the
policy the engine's :class:`vc.Policy` cannot express (the requested formats and types), as a failed ``policy``
check, and writes one log line per verification with keyed hashes instead of anything personal; that line stands in
for the request log's line of the VC-API routes (``TAWTIQ_VERIFIER_LOG_VERIFICATIONS=false`` drops it and brings
the request log's line back).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from common.diploma import diploma_policy
from vc import HolderBinding, TawtiqError, UpstreamError, Verdict, VerificationReport, verify
from vc.claims import ClaimPath
from vc.report import Check, CheckName, Outcome, verdict_of
from verifier.clock import Clock
from verifier.errors import NeedsIOError
from verifier.fetch_pool import FetchPool
from verifier.io_context import memory_only
from verifier.issuers import IssuerKeys
from verifier.status import StatusLists
from verifier.trust import TrustedIssuers, TrustListSource

log = logging.getLogger(__name__)

#: Loads one verification may await before it is done blocking in the fetch pool (keys, a forced key refresh, a
#: status list's keys, a second list: four covers every verification but the pathological).
IO_ROUNDS: Final = 4


class LogHasher:
    """Keyed hashes for logs: the same value always gives the same short tag, which says nothing without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str) -> str:
        return "h:" + hmac.new(self._key, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Expectations:
    """What the protocol at hand requires of a token beyond authenticity."""

    holder_binding: bool
    audience: str | None = None
    nonce: str | None = None
    max_age: timedelta = timedelta(minutes=5)
    required_claims: tuple[ClaimPath, ...] = ()
    #: Accepted profiles (``typ``), or None for any.
    profiles: frozenset[str] | None = None
    #: Accepted credential types (``vct`` or W3C ``type``), or None for whatever the trust list allows.
    types: frozenset[str] | None = None
    #: How old the status data may be (a page a person opens), or None for the issuer's TTL (the VC-API).
    status_max_age: timedelta | None = None


@dataclass(frozen=True)
class Verification:
    """A report and the trust list it was made under (for issuer names)."""

    report: VerificationReport
    trusted: TrustedIssuers

    @property
    def verified(self) -> bool:
        return self.report.verdict is Verdict.VALID


def credential_tag(token: str) -> str:
    """The part of a token that identifies the credential (its issuer-signed JWT), for keyed log hashes."""
    text = token.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    return text.split("~", 1)[0][-128:]


def with_check(report: VerificationReport, check: Check) -> VerificationReport:
    """``report`` with ``check`` in place of the check of the same name, and its verdict recomputed."""
    checks = tuple(check if existing.name == check.name else existing for existing in report.checks)
    verdict = verdict_of(checks)
    for nested in report.credentials:
        verdict = Verdict.worst(verdict, nested.verdict)
    return replace(report, checks=checks, verdict=verdict)


class Verifier:
    """Verifies tokens under the current trust list, with live keys and status lists."""

    def __init__(
        self,
        *,
        trust: TrustListSource,
        keys: IssuerKeys,
        status: StatusLists,
        clock: Clock,
        hasher: LogHasher,
        max_input_bytes: int,
        log_verifications: bool = True,
        pool: FetchPool,
    ) -> None:
        self._trust = trust
        self._keys = keys
        self._status = status
        self._clock = clock
        self._hasher = hasher
        self._max_input_bytes = max_input_bytes
        self._log_verifications = log_verifications
        self._pool = pool

    async def verify_async(self, token: str, *, expect: Expectations, now: datetime | None = None) -> Verification:
        """:meth:`verify` for the event loop, holding no thread while issuers answer.

        It verifies from memory (no thread hop); when that needs keys, a status list or the trust list, their load
        runs in the fetch pool (joined with any load of the same thing in flight, awaited at most the fetch bound)
        and it verifies from memory again. A load that failed or did not finish in time counts as that data being
        unavailable (``indeterminate``). After :data:`IO_ROUNDS` loads it verifies in the fetch pool, blocking.
        """
        failed: dict[str, TawtiqError] = {}
        for _round in range(IO_ROUNDS):
            try:
                with memory_only(failed):
                    return self.verify(token, expect=expect, now=now)
            except NeedsIOError as needed:
                if needed.load is None:
                    break
                try:
                    error = await self._pool.load(needed.what, needed.load)
                except TimeoutError:
                    error = UpstreamError(
                        f"{needed.what} could not be fetched in time",
                        code="fetch.in_flight",
                        found=f"still fetching after {self._pool.wait_seconds:g} s",
                        expected=f"an answer within {self._pool.wait_seconds:g} s",
                    )
                if error is not None:
                    failed[needed.what] = error
        return await self._pool.run(partial(self.verify, token, expect=expect, now=now))

    def verify(self, token: str, *, expect: Expectations, now: datetime | None = None) -> Verification:
        """Verify ``token`` now (or at ``now``). Never raises for bad input: problems are failed checks.

        Blocks while keys or status lists are fetched; inside :func:`~verifier.io_context.memory_only` it raises
        :class:`~verifier.errors.NeedsIOError` instead.
        """
        trusted = self._trust.current()
        moment = now or self._clock.now()
        policy = diploma_policy(
            trust=trusted.trust,
            holder_binding=HolderBinding(
                required=expect.holder_binding, audience=expect.audience, nonce=expect.nonce, max_age=expect.max_age
            ),
            required_disclosures=expect.required_claims,
            max_input_bytes=self._max_input_bytes,
        )
        status = self._status if expect.status_max_age is None else self._status.bounded(expect.status_max_age)
        report = verify(token, keys=self._keys, status=status, policy=policy, now=moment)
        report = self._requested_kind(report, expect)
        self._log(token, report)
        return Verification(report=report, trusted=trusted)

    @staticmethod
    def _requested_kind(report: VerificationReport, expect: Expectations) -> VerificationReport:
        if report.check(CheckName.FORMAT).outcome is not Outcome.PASSED:
            return report
        if expect.profiles is not None and report.profile not in expect.profiles:
            return with_check(
                report,
                Check(
                    CheckName.POLICY,
                    Outcome.FAILED,
                    "policy.format_not_requested",
                    f"a {report.profile} was presented; this request asked for {sorted(expect.profiles)}",
                ),
            )
        if expect.types is not None and not set(report.credential_types) & expect.types:
            return with_check(
                report,
                Check(
                    CheckName.POLICY,
                    Outcome.FAILED,
                    "policy.type_not_requested",
                    f"a credential of type {list(report.credential_types)} was presented; "
                    f"this request asked for {sorted(expect.types)}",
                ),
            )
        return report

    def _log(self, token: str, report: VerificationReport) -> None:
        if not self._log_verifications or not log.isEnabledFor(logging.INFO):
            return
        problems = _codes(
            c for c in report.checks if c.outcome is not Outcome.PASSED and (c.blocking or c.outcome is Outcome.FAILED)
        )
        log.info(
            "verification verdict=%s profile=%s issuer=%s credential=%s problems=%s trust_list=%s",
            report.verdict,
            report.profile,
            report.issuer if report.issuer and self._trust.current().is_trusted(report.issuer) else "(untrusted)",
            self._hasher(credential_tag(token)),
            problems or "-",
            report.trust_list_version,
        )


def _codes(checks: Iterable[Check]) -> str:
    return ",".join(f"{check.name}:{check.code}" for check in checks)
