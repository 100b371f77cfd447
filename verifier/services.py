"""The service's parts wired together once per process: everything a route may need, built from the settings.

Nothing here keeps request state: all state that must outlive a request lives in the database; the in-process
caches hold only what can be rebuilt from it (verified keys and status lists) or from the issuers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from common.fetch import HttpFetcher
from verifier.client_identity import ClientIdentity
from verifier.clock import Clock, SystemClock
from verifier.db import Database
from verifier.fetch import Fetcher, http_client
from verifier.fetch_pool import FetchPool
from verifier.issuers import IssuerKeys
from verifier.oid4vp import OpenID4VP
from verifier.qr import QrUploads
from verifier.ratelimit import RateLimiter
from verifier.relying_parties import RelyingParties
from verifier.settings import Settings
from verifier.shares import Shares
from verifier.status import StatusLists
from verifier.trust import TrustListSource
from verifier.verification import LogHasher, Verifier


@dataclass
class Services:
    settings: Settings
    clock: Clock
    database: Database
    http: httpx.Client
    trust: TrustListSource
    keys: IssuerKeys
    status: StatusLists
    verifier: Verifier
    hasher: LogHasher
    limiter: RateLimiter
    oid4vp: OpenID4VP
    shares: Shares
    qr_uploads: QrUploads
    relying_parties: RelyingParties
    pool: FetchPool

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        http: httpx.Client | None = None,
    ) -> Services:
        """Wire the parts (no network yet; :meth:`start` connects and loads). The verifier's access certificate, if
        configured, is read here. Raises :class:`vc.ConfigurationError`."""
        clock = clock or SystemClock()
        database = Database(settings.database_url)
        client = http or http_client(settings)
        fetcher = Fetcher(HttpFetcher(client, total_timeout_seconds=settings.http_total_timeout_seconds))
        trust = TrustListSource(
            location=settings.trust_list,
            fetcher=fetcher,
            database=database,
            clock=clock,
            refresh_seconds=settings.trust_list_refresh_seconds,
        )
        keys = IssuerKeys(trust=trust, fetcher=fetcher, database=database, clock=clock, settings=settings)
        status = StatusLists(trust=trust, keys=keys, fetcher=fetcher, database=database, clock=clock, settings=settings)
        hasher = LogHasher(settings.secret_bytes())
        pool = FetchPool(workers=settings.fetch_workers, wait_seconds=settings.http_total_timeout_seconds)
        verifier = Verifier(
            trust=trust,
            keys=keys,
            status=status,
            clock=clock,
            hasher=hasher,
            max_input_bytes=64 * 1024,
            log_verifications=settings.log_verifications,
            pool=pool,
        )
        limiter = RateLimiter(database=database, clock=clock, hasher=hasher)
        return cls(
            settings=settings,
            clock=clock,
            database=database,
            http=client,
            trust=trust,
            keys=keys,
            status=status,
            verifier=verifier,
            hasher=hasher,
            limiter=limiter,
            oid4vp=OpenID4VP(
                database=database,
                clock=clock,
                settings=settings,
                verifier=verifier,
                limiter=limiter,
                identity=ClientIdentity.configure(settings, environ=os.environ, now=clock.now()),
            ),
            shares=Shares(database=database, clock=clock, settings=settings, verifier=verifier, limiter=limiter),
            qr_uploads=QrUploads(settings=settings, limiter=limiter),
            relying_parties=RelyingParties(database=database, clock=clock),
            pool=pool,
        )

    def start(self) -> None:
        """Migrate (the common policy) and load the trust list. Raises :class:`vc.ConfigurationError` if unusable."""
        self.database.prepare(auto_migrate=self.settings.auto_migrate)
        self.trust.load()

    def purge(self) -> dict[str, int]:
        """Delete what has expired: transactions, share data and nonces, old rate buckets."""
        return {
            "oid4vp_transactions": self.oid4vp.purge(),
            "shares": self.shares.purge(),
            "rate_buckets": self.limiter.purge(older_than_seconds=2 * self.settings.share_rate_window_seconds),
        }

    def close(self) -> None:
        self.pool.close()
        self.http.close()
        self.database.dispose()
