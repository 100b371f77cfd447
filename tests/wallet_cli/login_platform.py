"""The development eID provider and the issuer with the eID login, served for real, for the authorization code flow.

The issuer runs over https with its development certificate on a fresh SQLite database holding a small issued
cohort; the eID stand-in's card holders are made from the issuer's own cohort file by ``tawtiq eid identities``'s
reader (so their CNIE numbers are the graduates'), plus one card holder with no diploma. The issuer is the eID's
client ``issuer``; its settings come from ``TAWTIQ_IDENTITY_*`` as in production. :func:`log_in_with_browser`
plays the graduate's browser with ``httpx``: it opens the authorization URL, follows the issuer to the eID
login page, types the card number and PIN, confirms (or refuses) on the issuer's consent page, and follows the
redirects back to the wallet.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from eid.app import create_app as create_eid_app
from eid.identities import identities_from
from eid.settings import Settings as EidSettings
from issuer.app import create_app as create_issuer_app
from issuer.audit import keyed_engine
from issuer.cohort import ExamSession, import_cohort
from issuer.db import upgrade, writing
from issuer.devtls import ensure_self_signed
from issuer.generate import generate_cohort
from issuer.keyring import Keyring
from issuer.oid4vci import OfferCreated, create_offer
from issuer.records import issue_cohort, resolve
from issuer.secrets import load_secrets
from issuer.settings import Settings as IssuerSettings
from issuer.settings import load_settings
from issuer.status import StatusAction, change_status
from keys import InMemoryKeyStore
from tests.verifier.live import serving
from tests.wallet_cli.platform import Server, free_port

SESSION = ExamSession(2024, "normale")
ISSUER_SECRET = secrets.token_urlsafe(32)
#: A card holder the ministry has no diploma for.
STRANGER = {
    "cnie": "ZZ999999",
    "pin": "246810",
    "family_name": "Inconnu",
    "given_name": "Sans",
    "family_name#ar": "مجهول",
    "given_name#ar": "بدون",
    "birthdate": "2005-05-05",
}


@dataclass
class LoginPlatform:
    issuer_url: str
    certificate: Path
    eid_url: str
    settings: IssuerSettings
    engine: Any
    people: list[dict[str, str]]
    _next: int = 0

    def graduate(self) -> dict[str, str]:
        """A graduate (with the PIN of their card) no other test has used yet."""
        person = self.people[self._next]
        self._next += 1
        return person

    def offer(self, cnie: str) -> OfferCreated:
        with writing(self.engine) as db:
            return create_offer(
                db,
                diploma=resolve(db, cnie),
                settings=self.settings,
                secrets=load_secrets(db),
                actor="test",
                now=datetime.now(UTC),
            )

    def revoke(self, cnie: str) -> None:
        with writing(self.engine) as db:
            change_status(
                db,
                diploma_id=resolve(db, cnie).id,
                action=StatusAction.REVOKE,
                reason="fraud established",
                actor="test",
                now=datetime.now(UTC),
            )

    def browser(self) -> httpx.Client:
        return httpx.Client(verify=ssl.create_default_context(cafile=str(self.certificate)), timeout=20)


def start_login_platform(directory: Path) -> Iterator[LoginPlatform]:
    issuer_dir, eid_dir = directory / "issuer", directory / "eid"
    issuer_dir.mkdir(parents=True)
    eid_dir.mkdir(parents=True)
    issuer_port = free_port()
    issuer_url = f"https://127.0.0.1:{issuer_port}"

    rows = list(generate_cohort(count=30, seed=5, session=SESSION))
    cohort_file = issuer_dir / "cohort.csv"
    with cohort_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    people = identities_from(cohort_file)
    (eid_dir / "identities.json").write_text(json.dumps([*people, STRANGER]), encoding="utf-8")
    (eid_dir / "clients.json").write_text(
        json.dumps(
            [
                {
                    "client_id": "issuer",
                    "client_secret": ISSUER_SECRET,
                    "redirect_uris": [f"{issuer_url}/authorize/callback"],
                }
            ]
        ),
        encoding="utf-8",
    )

    def make_eid(base: str) -> object:
        return create_eid_app(
            EidSettings(
                development=True,
                public_url=base,
                data_dir=eid_dir / "data",
                identities_file=eid_dir / "identities.json",
                clients_file=eid_dir / "clients.json",
            )
        )

    with serving(make_eid) as eid_url:
        settings = load_settings(
            {
                "TAWTIQ_ISSUER_URL": issuer_url,
                "TAWTIQ_DATA_DIR": str(issuer_dir),
                "TAWTIQ_DATABASE_URL": f"sqlite:///{issuer_dir / 'issuer.sqlite3'}",
                "TAWTIQ_KEY_PASSPHRASE": secrets.token_urlsafe(24),
                "TAWTIQ_STATUS_TTL_SECONDS": "1",
                "TAWTIQ_IDENTITY_DISCOVERY_URL": f"{eid_url}/.well-known/openid-configuration",
                "TAWTIQ_IDENTITY_CLIENT_ID": "issuer",
                "TAWTIQ_IDENTITY_CLIENT_SECRET": ISSUER_SECRET,
            }
        )
        engine = keyed_engine(settings)
        upgrade(engine)
        keys = InMemoryKeyStore()
        keys.create(not_before=datetime.now(UTC) - timedelta(days=1))
        import_cohort(engine, path=cohort_file, session=SESSION, actor="test", now=datetime.now(UTC))
        issue_cohort(
            engine, settings=settings, session_name=str(SESSION), actor="test", clock=lambda: datetime.now(UTC)
        )
        certificate, private_key = ensure_self_signed(issuer_dir / "tls")
        server = Server(
            create_issuer_app(settings, engine=engine, keyring=Keyring(keys)),
            port=issuer_port,
            certfile=certificate,
            keyfile=private_key,
        )
        server.start()
        try:
            yield LoginPlatform(
                issuer_url=issuer_url,
                certificate=certificate,
                eid_url=eid_url,
                settings=settings,
                engine=engine,
                people=people,
            )
        finally:
            server.stop()
            engine.dispose()


HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"')


def log_in_with_browser(
    browser: httpx.Client, url: str, *, cnie: str, pin: str, decision: str = "confirm"
) -> httpx.Response:
    """Open ``url``, follow it to the eID login page, log in, answer the issuer's consent page with ``decision``
    (the form's hidden fields kept, its CSRF token among them), and follow the redirects to their end. A login the
    issuer refuses (no record, another graduate's offer) goes back to the wallet without a consent page."""
    after_login = _log_in(browser, url, cnie=cnie, pin=pin)
    if 'name="decision"' not in after_login.text:
        return after_login
    return answer_consent(browser, after_login, decision=decision, follow_redirects=True)


def open_consent_page(browser: httpx.Client, url: str, *, cnie: str, pin: str) -> httpx.Response:
    """Open ``url``, log in on the eID's page, and follow the redirects to the issuer's consent page."""
    consent = _log_in(browser, url, cnie=cnie, pin=pin)
    assert 'name="decision"' in consent.text, consent.text
    return consent


def _log_in(browser: httpx.Client, url: str, *, cnie: str, pin: str) -> httpx.Response:
    page = browser.get(url, follow_redirects=True)
    assert page.status_code == 200, page.text
    assert 'name="cnie"' in page.text, page.text
    fields = dict(HIDDEN.findall(page.text))
    login_url = str(page.url).split("?")[0]
    answer = browser.post(login_url, data={**fields, "cnie": cnie, "pin": pin}, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    return answer


def answer_consent(
    browser: httpx.Client, consent: httpx.Response, *, decision: str, follow_redirects: bool = False, **changes: str
) -> httpx.Response:
    """Post the consent page's form with ``decision``; ``changes`` replace (or, empty, drop) its hidden fields."""
    fields = {**dict(HIDDEN.findall(consent.text)), **changes, "decision": decision}
    form = {name: value for name, value in fields.items() if value}
    action = str(consent.url).split("?")[0]
    return browser.post(action, data=form, follow_redirects=follow_redirects)
