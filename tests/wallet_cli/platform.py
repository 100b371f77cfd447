"""The real issuer and verifier, served by uvicorn on free loopback ports, for the wallet's tests.

The issuer runs over https with its development certificate (SD-JWT VC copies need an https issuer), on a
fresh SQLite database with a small synthetic cohort whose records are created; the verifier runs over http
on its own fresh SQLite database, trusting that issuer through a trust-list file and its certificate. Both are
the services' own applications (``issuer.app.create_app``, ``verifier.app.create_app``) with settings built the
way their environment variables would build them. Offers and revocations go through the issuer's domain
functions, as ``tawtiq diploma offer`` and ``tawtiq diploma revoke`` do.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from issuer.app import create_app as create_issuer_app
from issuer.audit import keyed_engine
from issuer.cohort import ExamSession, import_cohort
from issuer.db import upgrade, writing
from issuer.devtls import ensure_self_signed
from issuer.generate import generate_cohort
from issuer.keyring import Keyring
from issuer.offline import offline_credential
from issuer.oid4vci import OfferCreated, create_offer
from issuer.records import issue_cohort, resolve
from issuer.secrets import load_secrets
from issuer.settings import Settings as IssuerSettings
from issuer.settings import load_settings
from issuer.status import StatusAction, change_status
from keys import InMemoryKeyStore
from keys.x509 import VERIFIER_ACCESS, CertificateAuthority
from verifier.app import create_app as create_verifier_app
from verifier.settings import Settings as VerifierSettings

SESSION = ExamSession(2024, "normale")
COHORT_SIZE = 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One uvicorn server in a thread; ``stop`` shuts it down cleanly."""

    def __init__(self, app: FastAPI, *, port: int, certfile: Path | None = None, keyfile: Path | None = None) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Issuer:
    """The running issuer: its URL, certificate, settings, database and cohort."""

    url: str
    certificate: Path
    settings: IssuerSettings
    engine: Any
    cohort: list[dict[str, str]]
    keyring: Keyring | None = None
    _next: int = 0

    def graduate(self) -> dict[str, str]:
        """A graduate no other test has used yet."""
        row = self.cohort[self._next]
        self._next += 1
        return row

    def offer(
        self, cnie: str, *, created_at: datetime | None = None, configurations: list[str] | None = None
    ) -> OfferCreated:
        with writing(self.engine) as db:
            return create_offer(
                db,
                diploma=resolve(db, cnie),
                settings=self.settings,
                secrets=load_secrets(db),
                actor="test",
                now=created_at or datetime.now(UTC),
                configuration_ids=configurations,
            )

    def offline_qr(self, cnie: str) -> str:
        """The printed diploma's offline QR text (``TQ1:``) of the graduate's record, signed now."""
        assert self.keyring is not None
        with writing(self.engine) as db:
            printed = offline_credential(
                db,
                diploma=resolve(db, cnie),
                settings=self.settings,
                keyring=self.keyring,
                actor="test",
                now=datetime.now(UTC),
            )
        return printed.text

    def revoke(self, cnie: str) -> None:
        with writing(self.engine) as db:
            diploma = resolve(db, cnie)
            change_status(
                db,
                diploma_id=diploma.id,
                action=StatusAction.REVOKE,
                reason="fraud established",
                actor="test",
                now=datetime.now(UTC),
            )


#: The relying party registered on the verifier.
RELYING_PARTY = "Université de test"


@dataclass
class Verifier:
    """The running verifier and a client for what its creator (a university page) does."""

    url: str
    client: httpx.Client = field(repr=False)
    #: The token of the relying party registered on it (``tawtiq verifier rp add``), named :data:`RELYING_PARTY`.
    relying_party_token: str = field(default="", repr=False)

    def request(self, claims: list[str], *, as_relying_party: bool = False) -> dict[str, Any]:
        """Create a request, anonymously or (needed for the protected claims) as the registered relying party."""
        headers = {"Authorization": f"Bearer {self.relying_party_token}"} if as_relying_party else {}
        response = self.client.post(f"{self.url}/oid4vp/requests", json={"claims": claims}, headers=headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def result(self, transaction_id: str) -> dict[str, Any]:
        response = self.client.get(f"{self.url}/oid4vp/requests/{transaction_id}")
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def wait_for_answer(self, transaction_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while True:
            answer = self.result(transaction_id)
            if answer["status"] not in ("pending", "retrieved", "verifying"):
                return answer
            assert time.monotonic() < deadline, answer
            time.sleep(0.05)

    def open_share(self, url: str) -> httpx.Response:
        return self.client.get(url, headers={"Accept": "application/json"})


@dataclass
class Platform:
    issuer: Issuer
    verifier: Verifier
    directory: Path
    #: A verifier with an access certificate (``x509_hash``) from a development registrar, on ``localhost``.
    certified_verifier: Verifier
    #: That registrar's CA certificate (PEM): the trust anchor a wallet needs to authenticate it.
    registrar_ca: Path


#: The certified verifier's name and its registrar's.
CERTIFIED_NAME = "Université Mohammed V"
REGISTRAR_NAME = "Registre des vérificateurs (test)"


def _write_cohort(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def start_platform(directory: Path) -> Iterator[Platform]:
    """Start both services in ``directory``; yields the running platform and stops it afterwards."""
    issuer_dir, verifier_dir = directory / "issuer", directory / "verifier"
    issuer_dir.mkdir(parents=True)
    verifier_dir.mkdir(parents=True)
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"https://127.0.0.1:{issuer_port}"
    settings = load_settings(
        {
            "TAWTIQ_ISSUER_URL": issuer_url,
            "TAWTIQ_DATA_DIR": str(issuer_dir),
            "TAWTIQ_DATABASE_URL": f"sqlite:///{issuer_dir / 'issuer.sqlite3'}",
            "TAWTIQ_KEY_PASSPHRASE": secrets.token_urlsafe(24),
            # Status lists may be cached for one second, so a revocation shows at once.
            "TAWTIQ_STATUS_TTL_SECONDS": "1",
        }
    )
    engine = keyed_engine(settings)
    upgrade(engine)
    keys = InMemoryKeyStore()
    keys.create(not_before=datetime.now(UTC) - timedelta(days=1))
    rows = list(generate_cohort(count=COHORT_SIZE, seed=11, session=SESSION))
    cohort_file = issuer_dir / "cohort.csv"
    _write_cohort(cohort_file, rows)
    import_cohort(engine, path=cohort_file, session=SESSION, actor="test", now=datetime.now(UTC))
    issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=lambda: datetime.now(UTC))
    certificate, private_key = ensure_self_signed(issuer_dir / "tls")
    keyring = Keyring(keys)
    issuer_server = Server(
        create_issuer_app(settings, engine=engine, keyring=keyring),
        port=issuer_port,
        certfile=certificate,
        keyfile=private_key,
    )
    issuer_server.start()

    trust_list = verifier_dir / "trust-list.json"
    trust_list.write_text(
        json.dumps(
            {
                "version": "test-1",
                "issuers": [
                    {
                        "id": issuer_url,
                        "name": {"ar": "وزارة التربية الوطنية", "fr": "Ministère de l'Éducation nationale"},
                        "credential_types": ["BaccalaureateDiplomaCredential", "urn:ma:men:credential:baccalaureate:1"],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    verifier_settings = VerifierSettings(
        environment="development",
        public_url=verifier_url,
        database_url=f"sqlite:///{verifier_dir / 'verifier.sqlite3'}",
        trust_list=str(trust_list),
        ca_file=certificate,
        secret_key=SecretStr(secrets.token_urlsafe(32)),
        status_min_ttl_seconds=0,
        status_default_ttl_seconds=1,
        # Every test talks from 127.0.0.1: the per-address limits would otherwise be reached by the suite.
        share_rate_limit=10_000,
        oid4vp_rate_limit=10_000,
    )
    verifier_app = create_verifier_app(verifier_settings)
    verifier_server = Server(verifier_app, port=verifier_port)
    verifier_server.start()

    # The same verifier software for a university with an access certificate from a (development) registrar.
    certified_dir = directory / "certified-verifier"
    certified_port = free_port()
    now = datetime.now(UTC)
    registrar = CertificateAuthority.create(name=REGISTRAR_NAME, now=now - timedelta(days=1))
    registrar.save(certified_dir / "registrar", passphrase=b"registrar passphrase for tests")
    access = registrar.issue(organization=CERTIFIED_NAME, profile=VERIFIER_ACCESS, now=now, dns_names=["localhost"])
    key_passphrase = secrets.token_urlsafe(24)
    access.save(certified_dir / "access", passphrase=key_passphrase.encode())
    certified_settings = verifier_settings.model_copy(
        update={
            "public_url": f"http://localhost:{certified_port}",
            "database_url": f"sqlite:///{certified_dir / 'verifier.sqlite3'}",
            "oid4vp_certificate_dir": certified_dir / "access",
        }
    )
    os.environ["TAWTIQ_VERIFIER_KEY_PASSPHRASE"] = key_passphrase  # read once, while the services are built
    try:
        certified_app = create_verifier_app(certified_settings)
    finally:
        del os.environ["TAWTIQ_VERIFIER_KEY_PASSPHRASE"]
    certified_server = Server(certified_app, port=certified_port)
    certified_server.start()
    _party, relying_party_token = verifier_app.state.services.relying_parties.add(name=RELYING_PARTY)
    client = httpx.Client(timeout=20)
    try:
        yield Platform(
            issuer=Issuer(
                url=issuer_url, certificate=certificate, settings=settings, engine=engine, cohort=rows, keyring=keyring
            ),
            verifier=Verifier(url=verifier_url, client=client, relying_party_token=relying_party_token),
            directory=directory,
            certified_verifier=Verifier(url=f"http://localhost:{certified_port}", client=client),
            registrar_ca=certified_dir / "registrar" / "ca.pem",
        )
    finally:
        client.close()
        certified_server.stop()
        verifier_server.stop()
        issuer_server.stop()
        engine.dispose()
