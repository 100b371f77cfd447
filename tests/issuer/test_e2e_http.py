"""The whole loop over real HTTPS: a real issuer process, a wallet built only from the engine, a verifier's checks.

The issuer runs as ``tawtiq serve issuer --self-signed`` in a subprocess (uvicorn, TLS); the offer comes
from ``tawtiq diploma offer --json`` in another subprocess; the wallet and the checks talk to it with
httpx, trusting the development certificate; the revocation is ``tawtiq diploma revoke``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.issuer.conftest import environment
from tests.issuer.verifying import verify_copy
from tests.issuer.wallet import Wallet
from vc import Verdict

TAWTIQ = [sys.executable, "-m", "tawtiq"]
DC = "BaccalaureateDiploma_dc_sd_jwt"
VC = "BaccalaureateDiploma_vc_sd_jwt"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run([*TAWTIQ, *arguments], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, (arguments, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[tuple[str, dict[str, str], Path, Path]]:
    port = _free_port()
    issuer = f"https://127.0.0.1:{port}"
    env = {**os.environ, **environment(tmp_path, database_url, TAWTIQ_ISSUER_URL=issuer)}
    _run(env, "db", "upgrade")
    _run(env, "keys", "create")
    cohort = tmp_path / "cohort.csv"
    _run(env, "cohort", "generate", "--count", "40", "--seed", "8", "--out", str(cohort))
    _run(env, "cohort", "import", str(cohort), "--session", "2024-normale")
    _run(env, "cohort", "issue", "--session", "2024-normale")
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*TAWTIQ, "serve", "issuer", "--port", str(port), "--self-signed"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    certificate = tmp_path / "data" / "tls" / "cert.pem"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    certificate.exists()
                    and httpx.get(
                        f"{issuer}/health", verify=ssl.create_default_context(cafile=str(certificate)), timeout=2
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield issuer, env, cohort, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()


@pytest.mark.slow
def test_a_graduate_redeems_an_offer_over_https_and_a_revocation_reaches_the_verifier(
    server: tuple[str, dict[str, str], Path, Path],
) -> None:
    from datetime import UTC, datetime

    issuer, env, cohort, log = server
    certificate = Path(env["TAWTIQ_DATA_DIR"]) / "tls" / "cert.pem"
    cnie = cohort.read_text(encoding="utf-8").splitlines()[1].split(",")[7]
    offer = json.loads(_run(env, "diploma", "offer", cnie, "--json"))
    assert set(offer) == {"offer_uri", "tx_code"}

    with httpx.Client(verify=ssl.create_default_context(cafile=str(certificate)), timeout=30) as client:
        wallet = Wallet(client)
        document = wallet.fetch_offer(offer["offer_uri"])
        assert document["credential_issuer"] == issuer
        assert wallet.redeem(document, offer["tx_code"]).status_code == 200
        issued: list[tuple[str, int]] = []
        for configuration in (VC, DC):
            response = wallet.request_credentials(configuration, count=2, now=datetime.now(UTC))
            assert response.status_code == 200, response.text
            issued += [(item["credential"], len(issued) + n) for n, item in enumerate(response.json()["credentials"])]
        for credential, number in issued:
            report = verify_copy(
                client, credential, holder=wallet.keys[number], issuer=issuer, now=datetime.now(UTC), relative_to=None
            )
            assert report.verdict is Verdict.VALID, [
                (c.name, c.code, c.message) for c in report.checks if c.outcome != "passed"
            ]

        revoked = json.loads(_run(env, "diploma", "revoke", cnie, "--reason", "fraud established", "--json", "--yes"))
        assert (revoked["after"], revoked["copies"]) == ("revoked", 4)
        for credential, number in issued:
            report = verify_copy(
                client, credential, holder=wallet.keys[number], issuer=issuer, now=datetime.now(UTC), relative_to=None
            )
            assert report.verdict is Verdict.INVALID
        denied = wallet.request_credentials(VC, now=datetime.now(UTC))
        assert denied.json()["error"] == "credential_request_denied"

    server_log = log.read_text()
    assert "POST /credential -> 200" in server_log
    assert cnie not in server_log
