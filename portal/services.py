"""The portal's parts wired together once per process, from its settings: the database engine (with the audit
key), the sessions, the identity port that logs people in, the results' announcement instant, the issuer's settings
(a decided complaint changes diploma records and their status lists, and a corrected diploma is offered to the
wallet, as the issuer would: its ``TAWTIQ_*`` variables), and the diploma desk (the printed diploma and the held
copies with those settings; the fetcher that reaches the verifier)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from common.fetch import Fetcher, HttpFetcher, Timeouts, http_client
from common.identity import IdentityPort, OidcSettings, http_identity_port
from common.service.clock import Clock, SystemClock
from common.service.database import create_database_engine
from exams import db as exams_db
from exams import scholarship
from issuer import db as issuer_db
from issuer.audit import audit_key_from_passphrase, audit_key_of, with_audit_key
from issuer.settings import Settings as IssuerSettings
from issuer.settings import load_settings as load_issuer_settings
from portal.announcement import Announcement
from portal.db import MIGRATIONS
from portal.diploma import DiplomaDesk
from portal.sessions import Sessions
from portal.settings import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: Sessions
    identity: IdentityPort
    #: The issuer's settings: its URL names the status lists of a corrected record and its offers.
    issuer: IssuerSettings
    diploma: DiplomaDesk
    announcement: Announcement

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        identity: IdentityPort | None = None,
        issuer: IssuerSettings | None = None,
        fetcher: Fetcher | None = None,
    ) -> Services:
        """Wire the parts (no I/O yet: :meth:`start` checks and migrates). Raises :class:`vc.ConfigurationError`
        without a secret key (``portal.secret_key``) or when the eID client secret cannot be read
        (``portal.client_secret``). The engine carries the audit key (derived when first needed). ``issuer``
        defaults to the issuer's settings from the environment, ``fetcher`` to the bounded HTTP one."""
        clock = clock or SystemClock()
        key = settings.secret_bytes()
        engine = with_audit_key(
            create_database_engine(settings.resolved_database_url),
            lambda: audit_key_from_passphrase(settings.audit_passphrase()),
        )
        port = identity or http_identity_port(
            OidcSettings(
                discovery_url=settings.eid_discovery_url,
                client_id=settings.eid_client_id,
                client_secret=settings.client_secret(),
                required_acr=settings.required_acr,
            ),
            clock=clock,
        )
        sessions = Sessions(
            engine,
            clock=clock,
            key=key,
            idle_seconds=settings.session_idle_seconds,
            absolute_seconds=settings.session_absolute_seconds,
            login_seconds=settings.login_seconds,
        )
        issuer = issuer or load_issuer_settings()
        if fetcher is None:
            timeouts = Timeouts(connect_seconds=3, read_seconds=10, total_seconds=15)
            fetcher = HttpFetcher(http_client(timeouts=timeouts, user_agent="tawtiq-portal"), total_timeout_seconds=15)
        desk = DiplomaDesk(engine=engine, settings=settings, issuer=issuer, fetcher=fetcher)
        return cls(
            settings=settings,
            clock=clock,
            engine=engine,
            sessions=sessions,
            identity=port,
            issuer=issuer,
            diploma=desk,
            announcement=Announcement(engine, session=settings.exam_session, clock=clock),
        )

    def start(self) -> None:
        """Check the audit key, the issuer's and the exam year's schemas (their own commands migrate them) and the
        scholarship's rules file, and migrate the portal's tables (the common policy). Raises
        :class:`vc.ConfigurationError` when one is not usable: the portal does not start."""
        audit_key_of(self.engine)
        issuer_db.require_current(self.engine)
        exams_db.require_current(self.engine)
        scholarship.load_rules()
        MIGRATIONS.prepare(self.engine, auto_migrate=self.settings.auto_migrate)

    def close(self) -> None:
        if isinstance(self.diploma.fetcher, HttpFetcher):
            self.diploma.fetcher.close()
        self.engine.dispose()
