"""A 100,000-row ``cohort import`` into the SQLite database of a running issuer while graduates redeem offers.

The issuer is a real ``tawtiq serve issuer`` process and the import a real ``tawtiq cohort import`` process on the
same SQLite file; a wallet (:mod:`tests.issuer.wallet`) redeems offers over HTTP meanwhile, each redemption
followed by a credential request. What must hold: no answer is a 500; a busy database answers 503 with
``Retry-After`` and the same request succeeds when retried (nothing was spent by the refused attempt); every
redemption succeeds; the import completes. The wallets keep asking for copies until the import has published,
so the publication's long transaction is covered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from issuer.audit import keyed_engine
from issuer.cohort import ExamSession, import_cohort
from issuer.db import reading, writing
from issuer.oid4vci import OfferCreated, create_offer
from issuer.records import issue_cohort, resolve
from issuer.secrets import load_secrets
from issuer.settings import load_settings
from tests.issuer.conftest import cohort_rows, environment, write_rows
from tests.issuer.test_e2e_http import TAWTIQ, _free_port, _run
from tests.issuer.wallet import Wallet

ROWS = 100_000
OFFERS = 60
LIVE = ExamSession.parse("2024-normale")
BULK = "2024-rattrapage"
DC = "BaccalaureateDiploma_dc_sd_jwt"


def _offers(values: dict[str, str], tmp_path: Path) -> list[OfferCreated]:
    """A small issued cohort of the live session, and an offer for each graduate (in this process)."""
    settings = load_settings(values)
    engine = keyed_engine(settings)
    try:
        rows = cohort_rows(OFFERS, seed=11, session=LIVE)
        now = datetime.now(UTC)
        import_cohort(engine, path=write_rows(tmp_path / "live.csv", rows), session=LIVE, actor="test", now=now)
        issue_cohort(engine, settings=settings, session_name=str(LIVE), actor="test", clock=lambda: datetime.now(UTC))
        offers = []
        with writing(engine) as db:
            secrets = load_secrets(db)
            for row in rows:
                diploma = resolve(db, row["cnie"])
                offers.append(
                    create_offer(db, diploma=diploma, settings=settings, secrets=secrets, actor="test", now=now)
                )
        return offers
    finally:
        engine.dispose()


class _Retrying:
    """Sends a request again after its ``Retry-After`` when it is refused with 503; counts the 503s."""

    def __init__(self) -> None:
        self.refusals = 0
        self.statuses: list[int] = []

    def __call__(self, send: Callable[[], Any]) -> Any:
        for _attempt in range(40):
            response = send()
            self.statuses.append(response.status_code)
            assert response.status_code != 500, response.text
            if response.status_code != 503:
                return response
            self.refusals += 1
            assert response.headers["retry-after"].isdigit(), response.headers
            time.sleep(int(response.headers["retry-after"]))
        raise AssertionError("still refused with 503 after 40 attempts")


@pytest.mark.slow
def test_a_large_import_leaves_the_live_issuer_answering_and_loses_no_redemption(
    tmp_path: Path, sqlite_url: str
) -> None:
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    values = environment(tmp_path, sqlite_url, TAWTIQ_ISSUER_URL=issuer)
    env = {**os.environ, **values}
    _run(env, "db", "upgrade")
    _run(env, "keys", "create")
    offers = _offers(values, tmp_path)
    bulk = tmp_path / "bulk.csv"
    _run(env, "cohort", "generate", "--count", str(ROWS), "--seed", "5", "--session", BULK, "--out", str(bulk))

    server_log = tmp_path / "server.log"
    with server_log.open("w") as output:
        server = subprocess.Popen(
            [*TAWTIQ, "serve", "issuer", "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    importer: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{issuer}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server_log.read_text()
            assert time.monotonic() < deadline, server_log.read_text()
            time.sleep(0.2)

        importer = subprocess.Popen(
            [*TAWTIQ, "cohort", "import", str(bulk), "--session", BULK, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        retrying = _Retrying()
        during_import = 0
        wallets: list[Wallet] = []
        with httpx.Client(timeout=60) as client:
            for offer in offers:  # every offer is redeemed, most while the import runs
                importing = importer.poll() is None
                wallet = Wallet(client)
                document = wallet.fetch_offer(offer.offer_uri)
                redeemed = retrying(lambda: wallet.redeem(document, offer.tx_code))  # noqa: B023 - called at once
                assert redeemed.status_code == 200, redeemed.text
                issued = retrying(lambda: wallet.request_credentials(DC, now=datetime.now(UTC)))  # noqa: B023
                assert issued.status_code == 200, issued.text
                wallets.append(wallet)
                during_import += importing
                time.sleep(0.2)
            copies = 0
            while importer.poll() is None:  # then more copies (writes too) until the import has published
                wallet = wallets[copies % len(wallets)]
                issued = retrying(lambda: wallet.request_credentials(DC, now=datetime.now(UTC)))  # noqa: B023
                assert issued.status_code == 200, issued.text
                copies += 1
                time.sleep(0.2)
        stdout, stderr = importer.communicate(timeout=300)
        assert importer.returncode == 0, stderr
    finally:
        if importer is not None and importer.poll() is None:  # pragma: no cover - only when the test failed
            importer.kill()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            server.kill()

    assert during_import >= 5, "the redemptions ran while the import did"
    assert 500 not in retrying.statuses
    assert '"committed": true' in stdout
    engine = keyed_engine(load_settings(values))
    try:
        with reading(engine) as db:
            graduates = db.execute(text("SELECT COUNT(*) FROM graduate WHERE session = :s"), {"s": BULK}).scalar_one()
            staged = db.execute(text("SELECT COUNT(*) FROM import_row")).scalar_one()
            redemptions = db.execute(text("SELECT COUNT(*) FROM credential_copy")).scalar_one()
    finally:
        engine.dispose()
    assert (graduates, staged) == (ROWS, 0), "the import is complete and its staging rows are gone"
    assert redemptions == len(offers) + copies, "every redemption and every copy request took effect once"
    print(f"\n{during_import} redemptions and {copies} copy requests during the import; {retrying.refusals} 503s")
