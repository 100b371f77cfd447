"""Logs never hold a CNIE number, a name or a birth date in clear, through a whole import, issue, offer and redeem."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from issuer.app import create_app
from issuer.cohort import import_cohort
from issuer.keyring import Keyring
from issuer.logs import configure_logging, redact
from issuer.oid4vci import DC_SD_JWT_CONFIGURATION, VC_SD_JWT_CONFIGURATION
from issuer.records import issue_cohort
from issuer.settings import Settings
from tests.issuer.conftest import ISSUER, SESSION, Clock, OfferFactory, cohort_rows, write_rows
from tests.issuer.wallet import Wallet


def _personal_values(rows: list[dict[str, str]]) -> set[str]:
    names = ("familyName.ar", "familyName.lat", "givenName.ar", "givenName.lat", "birthPlace.ar")
    values = {row["cnie"] for row in rows} | {row["birthDate"] for row in rows} | {row["massarCode"] for row in rows}
    values |= {row[name] for row in rows for name in names if len(row[name]) >= 4}
    return values


def test_no_personal_data_in_the_logs(
    tmp_path: Path,
    engine: Engine,
    settings: Settings,
    keyring: Keyring,
    clock: Clock,
    make_offer: OfferFactory,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    rows = cohort_rows(8, seed=21)
    rows[7]["generalAverage"] = "9.00"  # a refused row, reported but not logged
    path = write_rows(tmp_path / "c.csv", rows)
    import_cohort(engine, path=path, session=SESSION, actor="test", now=clock(), skip_invalid=True)
    issue_cohort(engine, settings=settings, session_name=str(SESSION), actor="test", clock=clock)
    app = create_app(settings, engine=engine, keyring=keyring, clock=clock)
    with TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as client:
        for number, row in enumerate(rows[:3]):
            offer = make_offer(row["cnie"])
            wallet = Wallet(client, relative_to=ISSUER)
            document = wallet.fetch_offer(offer.offer_uri)
            if number == 0:
                wallet.redeem(document, "999999" if offer.tx_code != "999999" else "000000")
            assert wallet.redeem(document, offer.tx_code).status_code == 200
            for configuration in (VC_SD_JWT_CONFIGURATION, DC_SD_JWT_CONFIGURATION):
                assert wallet.request_credentials(configuration, count=2, now=clock()).status_code == 200
        client.get("/status/tsl/1")

        # An unexpected failure whose message quotes a row, as database errors do, is logged redacted.
        def explode(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError(
                f"duplicate key (session, cnie)=(2024-normale, {rows[0]['cnie']}) born {rows[0]['birthDate']}"
            )

        monkeypatch.setattr("issuer.oid4vci.new_nonce", explode)
        assert client.post("/nonce").status_code == 500

    written = capsys.readouterr().err  # what the issuer's log handler wrote
    assert "POST /token -> 200" in written, "requests are logged"
    assert "POST /credential -> 200" in written
    assert "unexpected error, reference" in written
    assert "RuntimeError" in written
    assert [value for value in _personal_values(rows) if value in written] == []
    # Besides the simulated failure (rows[0]), the code never even passes personal data to a logger.
    assert [value for value in _personal_values(rows[1:]) if value in caplog.text] == []


def test_redaction_masks_identifiers_and_dates() -> None:
    assert redact("cnie BE123456 born 2006-03-14, kid ES256") == "cnie [redacted] born [redacted], kid ES256"
