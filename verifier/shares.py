"""Share links, holder first: a graduate turns a presentation into a short link (and QR code) that anyone may open.

The flow a wallet follows (``{V}`` is this verifier's public URL):

1. ``POST {V}/shares/nonce`` (empty body) → ``{"nonce": "…", "audience": "{V}/shares", "expires_in": 300,
   "expires_at": "…"}``. The nonce is stored, single-use and short-lived (``share_nonce_seconds``).
2. The wallet presents the diploma with a KB-JWT whose ``aud`` is that audience and ``nonce`` that nonce, and
   ``POST {V}/shares`` ``{"presentation": "<SD-JWT>~…~<KB-JWT>", "expires_in": <seconds>}`` (``expires_in`` optional,
   between ``share_min_seconds`` and ``share_max_seconds``, default ``share_default_seconds``: 1 hour to 90 days,
   30 days by default) → ``201`` ``{"id", "url": "{V}/s/{id}", "expires_at", "revoke_token", "qr": {"svg", "png"},
   "verified", "verdict", "report"}``. Both calls are rate-limited per client address.
3. ``GET {V}/s/{id}`` verifies the stored presentation *now* and shows the page, or JSON with
   ``Accept: application/json``. An expired or withdrawn link answers ``410 Gone``.
4. ``DELETE {V}/shares/{id}`` with ``Authorization: Bearer <revoke_token>`` ends it (``204``).

Holder binding of a stored presentation. The KB-JWT is fixed when the link is made, so its freshness can only be
judged then: creation requires a KB-JWT at most ``presentation_max_age_seconds`` old, addressed to the share
audience (never the OpenID4VP client id, so a presentation made for one purpose cannot be reused for the other),
carrying a nonce this verifier issued and that is consumed by this very creation. Each later view re-verifies
everything live — issuer trust, signature and key history, status (which may have changed), and the KB-JWT's
signature, ``sd_hash``, audience and nonce (the one consumed at creation) — and accepts the KB-JWT's age up to the
link's lifetime plus that margin. The page says when the holder presented it. Creation refuses a presentation
that is invalid, and one whose signature or holder binding cannot be checked now; one whose status alone cannot
be checked now is accepted (status is checked again at every view).

Privacy: the presentation is sealed under the link id (see :mod:`verifier.sealing`) and erased when the link
expires or is withdrawn; the database keeps only digests of the id and of the revoke token.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, update
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from vc import TawtiqError, Verdict
from vc.encoding import json_object
from vc.jose import parse_compact
from vc.report import CheckName, Outcome
from vc.sdjwt import parse as parse_sd_jwt
from verifier.clock import Clock
from verifier.db import Database
from verifier.errors import ForbiddenError, GoneError, NotFoundError, RequestError, ServiceUnavailableError
from verifier.models import ShareNonceRow, ShareRow
from verifier.ratelimit import RateLimiter
from verifier.sealing import UnsealError, digest, seal, unseal
from verifier.settings import Settings
from verifier.verification import Expectations, Verification, Verifier

_PURPOSE: Final = b"share-presentation"
#: A withdrawn or expired link keeps its (data-free) row this long, to answer "gone" rather than "unknown".
_TOMBSTONE: Final = timedelta(days=90)


def presentation_nonce(presentation: str) -> str | None:
    """The nonce a presentation carries (its KB-JWT's, or a ``vp+jwt``'s own), read without verifying anything."""
    text = presentation.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        if "~" in text:
            kb = parse_sd_jwt(text).key_binding_jwt
            if kb is None:
                return None
            text = kb
        nonce = json_object(parse_compact(text).payload, what="presentation").get("nonce")
    except TawtiqError:
        return None
    return nonce if isinstance(nonce, str) else None


@dataclass(frozen=True)
class IssuedNonce:
    nonce: str
    audience: str
    expires_at: datetime
    expires_in: int


@dataclass(frozen=True)
class CreatedShare:
    id: str
    url: str
    expires_at: datetime
    revoke_token: str
    verification: Verification


@dataclass(frozen=True)
class SharedView:
    verification: Verification
    created_at: datetime
    expires_at: datetime


class Shares:
    """Share nonces, link creation, live viewing and withdrawal."""

    def __init__(
        self, *, database: Database, clock: Clock, settings: Settings, verifier: Verifier, limiter: RateLimiter
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._verifier = verifier
        self._limiter = limiter

    def _rate_limit(self, client: str) -> None:
        self._limiter.hit(
            action="share",
            client=client,
            limit=self._settings.share_rate_limit,
            window_seconds=self._settings.share_rate_window_seconds,
        )

    def issue_nonce(self, *, client: str) -> IssuedNonce:
        """A fresh single-use nonce for one share presentation. Raises :class:`RateLimitedError`."""
        self._rate_limit(client)
        now = self._clock.now()
        lifetime = self._settings.share_nonce_seconds
        nonce = secrets.token_urlsafe(16)
        with self._database.session() as session:
            session.add(ShareNonceRow(nonce=nonce, created_at=now, expires_at=now + timedelta(seconds=lifetime)))
        return IssuedNonce(nonce, self._settings.share_audience, now + timedelta(seconds=lifetime), lifetime)

    async def create(self, *, presentation: str, expires_in: int | None, client: str) -> CreatedShare:
        """Verify ``presentation`` and make a link to it.

        Raises :class:`RateLimitedError`; :class:`RequestError` for a bad lifetime, a missing, unknown, expired or
        used nonce (400) or an invalid presentation (422, with the report); :class:`ServiceUnavailableError` when
        its signature or holder binding cannot be checked now.
        """
        await run_in_threadpool(self._rate_limit, client)
        lifetime = self._lifetime(expires_in)
        nonce = presentation_nonce(presentation)
        if nonce is None:
            raise RequestError(
                "the presentation carries no nonce: present with a key-binding JWT for the share audience",
                code="share.nonce_missing",
                expected=f"a KB-JWT with aud {self._settings.share_audience} and a nonce from POST /shares/nonce",
            )
        now = self._clock.now()
        await run_in_threadpool(self._consume_nonce, nonce, now)
        verification = await self._verify(
            presentation, nonce=nonce, max_age_seconds=self._settings.presentation_max_age_seconds, now=now
        )
        self._accept(verification)
        share_id, revoke_token = secrets.token_urlsafe(self._settings.share_id_bytes), secrets.token_urlsafe(32)
        expires_at = now + timedelta(seconds=lifetime)
        sealed = seal(
            share_id, purpose=_PURPOSE, plaintext=json.dumps({"presentation": presentation, "nonce": nonce}).encode()
        )
        row = ShareRow(
            id_hash=digest(share_id),
            sealed=sealed,
            revoke_hash=digest(revoke_token),
            created_at=now,
            expires_at=expires_at,
        )
        await run_in_threadpool(self._insert, row)
        return CreatedShare(share_id, self.url(share_id), expires_at, revoke_token, verification)

    def _insert(self, row: ShareRow) -> None:
        with self._database.session() as session:
            session.add(row)

    def url(self, share_id: str) -> str:
        return f"{self._settings.public_url}/s/{share_id}"

    def _lifetime(self, expires_in: int | None) -> int:
        settings = self._settings
        lifetime = settings.share_default_seconds if expires_in is None else expires_in
        if not settings.share_min_seconds <= lifetime <= settings.share_max_seconds:
            raise RequestError(
                "the link's lifetime is out of bounds",
                code="share.expiry_out_of_bounds",
                found=lifetime,
                expected=f"{settings.share_min_seconds} to {settings.share_max_seconds} seconds",
            )
        return lifetime

    def _consume_nonce(self, nonce: str, now: datetime) -> None:
        table = ShareNonceRow
        with self._database.session() as session:
            used = session.execute(
                update(table)
                .where(col(table.nonce) == nonce, col(table.used_at).is_(None), col(table.expires_at) > now)
                .values(used_at=now)
            )
            if getattr(used, "rowcount", 0) != 1:
                raise RequestError(
                    "the presentation's nonce is unknown, expired or already used",
                    code="share.nonce_invalid",
                    expected="a fresh nonce from POST /shares/nonce, used once",
                )

    async def _verify(self, presentation: str, *, nonce: str, max_age_seconds: float, now: datetime) -> Verification:
        return await self._verifier.verify_async(
            presentation,
            expect=Expectations(
                holder_binding=True,
                audience=self._settings.share_audience,
                nonce=nonce,
                max_age=timedelta(seconds=max_age_seconds),
                status_max_age=timedelta(seconds=self._settings.page_status_max_age_seconds),
            ),
            now=now,
        )

    @staticmethod
    def _accept(verification: Verification) -> None:
        report = verification.report
        if report.verdict is Verdict.INVALID:
            raise RequestError(
                "the presentation does not verify, so no link was made",
                code="share.presentation_invalid",
                status_code=422,
                found=[f"{check.name}:{check.code}" for check in report.problems],
            )
        needed = (CheckName.SIGNATURE, CheckName.HOLDER_BINDING)
        if report.verdict is Verdict.INDETERMINATE and any(
            report.check(n).outcome is not Outcome.PASSED for n in needed
        ):
            raise ServiceUnavailableError(
                "the presentation cannot be checked right now (the issuer could not be reached); try again later",
                code="share.cannot_verify_now",
                found=[f"{check.name}:{check.code}" for check in report.problems],
            )

    def _row(self, share_id: str) -> ShareRow:
        with self._database.session() as session:
            row = session.get(ShareRow, digest(share_id))
        if row is None:
            raise NotFoundError("no such link", code="share.unknown")
        return row

    def view_exists(self, share_id: str) -> None:
        """Check that a link is live without verifying it. Raises :class:`NotFoundError`, :class:`GoneError`."""
        row = self._row(share_id)
        if row.revoked_at is not None:
            raise GoneError("this link was withdrawn by its holder", code="share.revoked")
        if self._clock.now() >= row.expires_at or row.sealed is None:
            raise GoneError("this link has expired", code="share.expired")

    async def view(self, share_id: str) -> SharedView:
        """Verify the shared presentation now. Raises :class:`NotFoundError`, or :class:`GoneError` when the link
        expired (``share.expired``) or was withdrawn (``share.revoked``)."""
        row = await run_in_threadpool(self._row, share_id)
        now = self._clock.now()
        if row.revoked_at is not None:
            raise GoneError("this link was withdrawn by its holder", code="share.revoked")
        if now >= row.expires_at or row.sealed is None:
            await run_in_threadpool(self._erase, row.id_hash)
            raise GoneError("this link has expired", code="share.expired")
        try:
            stored = json.loads(unseal(share_id, purpose=_PURPOSE, sealed=row.sealed))
        except (UnsealError, ValueError) as exc:  # pragma: no cover - only with a tampered database
            raise NotFoundError("no such link", code="share.unknown") from exc
        lifetime = (row.expires_at - row.created_at).total_seconds() + self._settings.presentation_max_age_seconds
        verification = await self._verify(
            stored["presentation"], nonce=stored["nonce"], max_age_seconds=lifetime, now=now
        )
        return SharedView(verification, row.created_at, row.expires_at)

    def revoke(self, share_id: str, *, revoke_token: str) -> None:
        """End a link (idempotent). Raises :class:`NotFoundError` and :class:`ForbiddenError` (wrong token)."""
        row = self._row(share_id)
        if not hmac.compare_digest(digest(revoke_token), row.revoke_hash):
            raise ForbiddenError("the revoke token does not match this link", code="share.revoke_token_invalid")
        now = self._clock.now()
        with self._database.session() as session:
            session.execute(
                update(ShareRow)
                .where(col(ShareRow.id_hash) == row.id_hash, col(ShareRow.revoked_at).is_(None))
                .values(revoked_at=now, sealed=None)
            )

    def _erase(self, id_hash: str) -> None:
        with self._database.session() as session:
            session.execute(update(ShareRow).where(col(ShareRow.id_hash) == id_hash).values(sealed=None))

    def purge(self) -> int:
        """Erase the presentations of expired links, forget long-gone links and spent nonces; returns deletions."""
        now = self._clock.now()
        with self._database.session() as session:
            session.execute(update(ShareRow).where(col(ShareRow.expires_at) <= now).values(sealed=None))
            gone = session.execute(delete(ShareRow).where(col(ShareRow.expires_at) < now - _TOMBSTONE))
            session.execute(delete(ShareNonceRow).where(col(ShareNonceRow.expires_at) < now))
            old = session.exec(select(ShareRow).where(col(ShareRow.revoked_at) < now - _TOMBSTONE)).all()
            for row in old:
                session.delete(row)
        return int(getattr(gone, "rowcount", 0) or 0) + len(old)
