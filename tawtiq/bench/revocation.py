"""Benchmark of revocation latency: how long a real verifier keeps saying "valid" after the issuer revokes.

A real issuer (``tawtiq serve issuer``) and a real verifier (uvicorn, ``verifier.app``) run as processes of their
own on loopback HTTP; the verifier trusts the issuer and learns its keys and status lists over HTTP, as in
production. A wallet (:func:`wallet_cli.oid4vci.receive`) redeems an offer; the verifier checks the copy once
(``valid``, and the status list is now in its cache), the diploma is revoked at once (VCALM ``POST
/credentials/status``, the worst case: the verifier's copy of the list has just been fetched), and the verifier is
asked every :data:`_POLL_SECONDS` until it says ``invalid``. ``revocation_latency_seconds`` runs from the
revocation's commit (the request has returned) to that answer; ``worst_case_latency_seconds`` from the verifier's
fetch of the list, which is what a revocation made just after a fetch waits; ``latency_ratio`` is the worst case
over the TTL (about 1: the TTL is the bound, and nothing else adds much).

The measured run uses a short status TTL (:data:`MEASURED_TTL_SECONDS`, the verifier's smallest accepted TTL) so the
bench stays bounded; the figure at the default TTL (``TAWTIQ_STATUS_TTL_SECONDS``, 60 s) is computed, not measured:
``latency_ratio`` (measured latency over the measured TTL) times the default. Set ``TAWTIQ_BENCH_REVOCATION_TTL=60``
to measure at the default instead (a minute more). Not a test.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx

import schemas
from issuer.settings import Settings
from tawtiq.bench.processes import free_port, served
from wallet_cli.net import Http
from wallet_cli.oid4vci import receive

#: The TTL of the measured run, in seconds (the verifier refuses to cache a list for less than 10 s by default).
MEASURED_TTL_SECONDS: Final = 10
_POLL_SECONDS: Final = 0.25
_SESSION: Final = "2024-normale"
_TAWTIQ: Final = [sys.executable, "-m", "tawtiq"]


def _tawtiq(environment: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [*_TAWTIQ, *arguments], env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"tawtiq {arguments[0]} {arguments[1]} failed: {done.stderr[-2000:]}")
    return done.stdout


def _verify(verifier: str, credential: str) -> str:
    answer = httpx.post(f"{verifier}/credentials/verify", json={"verifiableCredential": credential}, timeout=30)
    verdict: str = answer.json()["verdict"]
    return verdict


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure once (the same in a quick run: the TTL bounds it); returns the figures."""
    del quick
    ttl = int(os.environ.get("TAWTIQ_BENCH_REVOCATION_TTL", MEASURED_TTL_SECONDS))
    default_ttl = Settings.model_fields["status_ttl_seconds"].default
    with tempfile.TemporaryDirectory(prefix="tawtiq-bench-revocation-") as temporary:
        directory = Path(temporary)
        issuer_port, verifier_port = free_port(), free_port()
        issuer, verifier = f"http://127.0.0.1:{issuer_port}", f"http://127.0.0.1:{verifier_port}"
        issuer_environment = {
            **os.environ,
            "TAWTIQ_ISSUER_URL": issuer,
            "TAWTIQ_DATA_DIR": str(directory / "issuer"),
            "TAWTIQ_KEY_PASSPHRASE": secrets.token_urlsafe(32),
            "TAWTIQ_STATUS_TTL_SECONDS": str(ttl),
            "TAWTIQ_LOG_LEVEL": "WARNING",
        }
        cohort = directory / "cohort.csv"
        for command in (
            ("db", "upgrade"),
            ("keys", "create"),
            ("cohort", "generate", "--count", "3", "--seed", "9", "--session", _SESSION, "--out", str(cohort)),
            ("cohort", "import", str(cohort), "--session", _SESSION),
            ("cohort", "issue", "--session", _SESSION),
        ):
            _tawtiq(issuer_environment, *command)
        cnie = cohort.read_text(encoding="utf-8").splitlines()[1].split(",")[7]
        offer = json.loads(_tawtiq(issuer_environment, "diploma", "offer", cnie, "--json"))
        created = _tawtiq(issuer_environment, "admin", "token", "create", "--role", "status", "--name", "b", "--json")
        status_token = json.loads(created)["token"]
        trust_file = directory / "trust-list.json"
        trust = {
            "version": "bench-1",
            "issuers": [{"id": issuer, "credential_types": [schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT]}],
        }
        trust_file.write_text(json.dumps(trust), encoding="utf-8")
        verifier_environment = {
            **os.environ,
            "TAWTIQ_VERIFIER_TRUST_LIST": str(trust_file),
            "TAWTIQ_VERIFIER_DATABASE_URL": f"sqlite:///{directory / 'verifier.sqlite3'}",
            "TAWTIQ_VERIFIER_SECRET_KEY": secrets.token_urlsafe(32),
            "TAWTIQ_VERIFIER_PUBLIC_URL": verifier,
        }
        serve_issuer = [*_TAWTIQ, "serve", "issuer", "--port", str(issuer_port)]
        serve_verifier = [
            sys.executable, "-m", "uvicorn", "--factory", "verifier.app:create_app",
            "--host", "127.0.0.1", "--port", str(verifier_port), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        with (
            served(
                serve_issuer,
                issuer_environment,
                health=f"{issuer}/health",
                log=directory / "issuer.log",
                name="the issuer",
            ),
            served(
                serve_verifier,
                verifier_environment,
                health=f"{verifier}/health",
                log=directory / "verifier.log",
                name="the verifier",
            ),
        ):
            received = receive(
                Http(), offer["offer_uri"], tx_code=lambda _spec: str(offer["tx_code"]), now=lambda: datetime.now(UTC)
            )
            credential = received.diploma.copies[0].credential
            fetched_at = time.monotonic()  # the verifier fetches the status list for this first check
            before = _verify(verifier, credential)
            if before != "valid":
                raise RuntimeError(f"the fresh copy is not valid at the verifier: {before}")
            revoked = httpx.post(
                f"{issuer}/credentials/status",
                headers={"Authorization": f"Bearer {status_token}"},
                json={
                    "credentialId": cnie,
                    "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
                    "status": True,
                    "reason": "bench",
                },
                timeout=30,
            )
            revoked_at = time.monotonic()  # committed by now
            if revoked.status_code != 200:
                raise RuntimeError(f"the revocation was refused: {revoked.status_code} {revoked.text[:500]}")
            deadline = revoked_at + 3 * ttl + 30
            while (verdict := _verify(verifier, credential)) == "valid":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the verifier still says valid {3 * ttl + 30} s after the revocation")
                time.sleep(_POLL_SECONDS)
            seen_at = time.monotonic()
    latency, worst = seen_at - revoked_at, seen_at - fetched_at
    ratio = worst / ttl
    return {
        "measured_ttl_seconds": ttl,
        "revocation_latency_seconds": round(latency, 2),
        "worst_case_latency_seconds": round(worst, 2),
        "verdict_after": verdict,
        "latency_ratio": round(ratio, 3),
        "default_ttl_seconds": default_ttl,
        "worst_case_latency_at_default_seconds": round(ratio * default_ttl, 1),
        "at_default": "measured" if ttl == default_ttl else "computed: latency_ratio x default TTL",
        "poll_seconds": _POLL_SECONDS,
    }
