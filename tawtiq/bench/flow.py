"""A graduate's flow, end to end: the issuer's server CPU per graduate against one ``/health`` request.

For each database (SQLite, PostgreSQL) a real issuer (``tawtiq serve issuer``, one process) serves over
loopback, and this process plays the graduates' wallets over HTTP, exactly as the wire protocol of
:mod:`issuer.oid4vci` says and as a standard OpenID4VCI 1.0 wallet does it: ``GET`` the offer, ``GET`` the
credential issuer and authorization server metadata, ``POST /token`` with the pre-authorized code and PIN,
``POST /nonce``, then one ``POST /credential`` for the configuration the wallet holds (``dc+sd-jwt``) with two
key proofs (batch issuance, §8.2 ``proofs``): two copies per graduate in six requests. Every wallet is a fresh
one: it fetches the metadata (the documents say ``Cache-Control: public, max-age=300``, so a wallet or a shared
cache in front may keep them; ``flow_cpu_vs_health_metadata_cached`` is the flow without those two fetches).

Only the server's CPU is counted (user + system time of its process, read from ``/proc/<pid>/stat``), so the
wallets' own work (key generation, proof signing) and the load of the shared machine do not enter it. Figures:

* ``flow_cpu_vs_health`` — server CPU per graduate flow / server CPU per ``GET /health`` (target <= 10), with
  ``flow_cpu_ms`` and ``health_cpu_ms`` beside it; batches of health requests and of flows alternate in five
  rounds. ``requests_per_flow`` is the flow's floor in that ratio (each request costs at least a ``/health``).
* ``metadata_cpu_ms`` — server CPU of the two metadata fetches of one flow, and
  ``flow_cpu_vs_health_metadata_cached`` the ratio without them.
* ``postgresql_2_workers`` — the deployment the capacity figures of the README come from: ``tawtiq serve issuer
  --workers 2`` on PostgreSQL with four wallets at once; ``flow_cpu_ms`` is the CPU of every issuer process,
  ``database_cpu_ms`` that of the PostgreSQL processes serving its connections (read in ``/proc`` when the server
  runs on this machine; its shared background writers are not counted), ``graduates_per_second`` what was reached
  while the wallets ran on the same cores.
* ``status_304_vs_health`` — server CPU of a status list revalidation (``If-None-Match`` answered ``304``)
  / ``/health``; ``status_200_vs_health`` the same for a full ``200`` of the list.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tawtiq.bench.issuer import _database, _environment, _issued_cohort, _log
from tawtiq.bench.processes import cpu_seconds, free_port, served, tree_cpu_seconds

_SESSION: Final = "2024-normale"
_PRE_AUTHORIZED: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@dataclass(frozen=True)
class _Offer:
    uri: str
    tx_code: str


def _prepare(database_url: str, directory: Path, *, issuer: str, graduates: int) -> list[_Offer]:
    """A migrated database with ``graduates`` issued records, a signing key, and one offer per graduate."""
    from sqlalchemy import text

    from issuer.audit import keyed_engine
    from issuer.db import writing
    from issuer.oid4vci import create_offer
    from issuer.records import records_of
    from issuer.secrets import load_secrets
    from issuer.settings import load_settings

    settings = load_settings(_environment(directory, database_url, issuer))
    engine = keyed_engine(settings)
    _issued_cohort(engine, settings, directory / "flow.csv", count=graduates, seed=11)
    with writing(engine) as db:
        secrets = load_secrets(db)
        cnies = [row[0] for row in db.execute(text("SELECT cnie FROM graduate ORDER BY cnie"))]
        offers = []
        for cnie in cnies:
            created = create_offer(
                db,
                diploma=records_of(db, cnie=cnie)[0],
                settings=settings,
                secrets=secrets,
                actor="bench",
                now=datetime.now(UTC),
            )
            offers.append(_Offer(uri=created.offer_uri, tx_code=created.tx_code))
    engine.dispose()
    return offers


def _served(
    environment: dict[str, str], *, port: int, directory: Path, workers: int = 1
) -> AbstractContextManager[int]:
    """``tawtiq serve issuer`` (with ``workers`` processes) in a child process until the block ends; yields its
    pid."""
    command = [sys.executable, "-m", "tawtiq", "serve", "issuer", "--port", str(port), "--log-level", "WARNING"]
    command += ["--workers", str(workers)] if workers > 1 else []
    return served(
        command,
        {**os.environ, **environment},
        health=f"http://127.0.0.1:{port}/health",
        log=directory / "server.log",
        name="the issuer",
        poll_seconds=0.2,
        stop_seconds=20,
    )


def _checked(response: Any, what: str) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{what} failed: {response.status_code} {response.text[:300]}")
    return response.json()


#: The configuration a graduate's wallet asks for: the IETF SD-JWT VC, the format of the EU and ISO wallets.
_CONFIGURATION: Final = "BaccalaureateDiploma_dc_sd_jwt"
#: Copies per graduate, in one credential request (one key proof each).
_COPIES: Final = 2
#: What one flow sends: offer, two metadata documents, token, nonce, credential.
_REQUESTS: Final = 6


def _proof(issuer: str, nonce: str) -> str:
    """An ``openid4vci-proof+jwt`` for ``nonce`` under a fresh holder key."""
    from vc import SigningKey
    from vc.encoding import b64url_encode, json_dumps

    key = SigningKey.generate()
    jwk = {name: value for name, value in key.public.jwk.items() if name != "kid"}
    signing_input = (
        b64url_encode(json_dumps({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": jwk}))
        + "."
        + b64url_encode(json_dumps({"aud": issuer, "iat": int(time.time()), "nonce": nonce}))
    )
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))


def _metadata(client: Any, issuer: str) -> Any:
    """The credential issuer metadata (and the authorization server's, fetched as a wallet does)."""
    metadata = _checked(client.get(f"{issuer}/.well-known/openid-credential-issuer"), "issuer metadata")
    _checked(client.get(f"{issuer}/.well-known/oauth-authorization-server"), "authorization server metadata")
    return metadata


def _graduate(client: Any, offer: _Offer) -> list[str]:
    """A fresh wallet receiving :data:`_COPIES` copies of its configuration in one credential request; returns
    them."""
    offer_url = parse_qs(urlsplit(offer.uri).query)["credential_offer_uri"][0]
    document = _checked(client.get(offer_url), "offer")
    issuer = document["credential_issuer"]
    if _CONFIGURATION not in document["credential_configuration_ids"]:
        raise RuntimeError(f"the offer does not name {_CONFIGURATION}: {document['credential_configuration_ids']}")
    metadata = _metadata(client, issuer)
    code = document["grants"][_PRE_AUTHORIZED]["pre-authorized_code"]
    token = _checked(
        client.post(
            f"{issuer}/token",
            data={"grant_type": _PRE_AUTHORIZED, "pre-authorized_code": code, "tx_code": offer.tx_code},
        ),
        "token",
    )["access_token"]
    nonce = _checked(client.post(metadata["nonce_endpoint"]), "nonce")["c_nonce"]
    answer = _checked(
        client.post(
            metadata["credential_endpoint"],
            json={
                "credential_configuration_id": _CONFIGURATION,
                "proofs": {"jwt": [_proof(issuer, nonce) for _ in range(_COPIES)]},
            },
            headers={"Authorization": f"Bearer {token}"},
        ),
        "credential",
    )
    credentials = [str(item["credential"]) for item in answer["credentials"]]
    if len(credentials) != _COPIES:
        raise RuntimeError(f"credential answered {len(credentials)} copies; expected {_COPIES}")
    return credentials


def _graduates(client: Any, offers: list[_Offer]) -> None:
    for offer in offers:
        _graduate(client, offer)


def _server_cpu_ms(pid: int, action: Callable[[], None], count: int) -> float:
    """Milliseconds of the server's CPU per one of ``count`` calls made by ``action``."""
    before = cpu_seconds(pid)
    action()
    return (cpu_seconds(pid) - before) * 1000 / count


def _status_url(credential: str) -> str:
    """The Token Status List URL an SD-JWT copy points to."""
    from vc.encoding import b64url_decode, json_loads

    payload = json_loads(b64url_decode(credential.split("~", 1)[0].split(".")[1]))
    return str(payload["status"]["status_list"]["uri"])


def measure(kind: str, *, flows: int, warmup: int, healths: int, directory: Path) -> dict[str, Any]:
    """The figures of the module docstring for one database ``kind`` (``sqlite`` or ``postgresql``)."""
    import httpx

    with _database(kind, directory) as database_url:
        if database_url is None:
            return {"skipped": "no PostgreSQL server answers (TAWTIQ_BENCH_DATABASE_URL / TAWTIQ_TEST_DATABASE_URL)"}
        port = free_port()
        issuer = f"http://127.0.0.1:{port}"
        _log(f"flow ({kind}): preparing {warmup + flows} graduates")
        offers = _prepare(database_url, directory, issuer=issuer, graduates=warmup + flows)
        environment = _environment(directory, database_url, issuer)
        with _served(environment, port=port, directory=directory) as pid, httpx.Client(timeout=60) as client:

            def health() -> None:
                for _ in range(healths):
                    if client.get(f"{issuer}/health").status_code != 200:
                        raise RuntimeError("health check failed")

            credentials: list[str] = []
            for offer in offers[:warmup]:
                credentials += _graduate(client, offer)
            health()  # warm-up
            # Interleaved rounds of health requests and flows, so drift on the shared machine hits both alike.
            rounds = 5
            health_cpu = flow_cpu = 0.0
            started = time.perf_counter()
            for number in range(rounds):
                chunk = offers[warmup + number * flows // rounds : warmup + (number + 1) * flows // rounds]
                health_cpu += _server_cpu_ms(pid, health, healths)
                flow_cpu += _server_cpu_ms(pid, functools.partial(_graduates, client, chunk), 1)
            seconds = time.perf_counter() - started
            health_ms = health_cpu / rounds
            flow = flow_cpu / flows

            status_url = _status_url(credentials[0])
            etag = client.get(status_url).headers["etag"]

            def full() -> None:
                for _ in range(healths):
                    if client.get(status_url).status_code != 200:
                        raise RuntimeError("status list failed")

            def revalidation() -> None:
                for _ in range(healths):
                    if client.get(status_url, headers={"If-None-Match": etag}).status_code != 304:
                        raise RuntimeError("status list revalidation did not answer 304")

            full()  # warm-up
            status_200 = _server_cpu_ms(pid, full, healths)
            status_304 = _server_cpu_ms(pid, revalidation, healths)
            health_last = _server_cpu_ms(pid, health, healths)

            def metadata() -> None:
                for _ in range(healths // 2):
                    _metadata(client, issuer)

            metadata_cpu = _server_cpu_ms(pid, metadata, healths // 2)
        _log(
            f"flow ({kind}): {flow:.2f} ms CPU per graduate ({flows / seconds:.0f} graduates/s wall), "
            f"health {health_ms:.3f} ms; status 200 {status_200:.3f} ms, 304 {status_304:.3f} ms"
        )
        return {
            "flows": flows,
            "requests_per_flow": _REQUESTS,
            "copies_per_flow": _COPIES,
            "flow_cpu_ms": round(flow, 3),
            "health_cpu_ms": round(health_ms, 3),
            "flow_cpu_vs_health": round(flow / health_ms, 1),
            "metadata_cpu_ms": round(metadata_cpu, 3),
            "flow_cpu_vs_health_metadata_cached": round((flow - metadata_cpu) / health_ms, 1),
            "status_200_cpu_ms": round(status_200, 3),
            "status_304_cpu_ms": round(status_304, 3),
            "status_200_vs_health": round(status_200 / health_last, 2),
            "status_304_vs_health": round(status_304 / health_last, 2),
        }


def _backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving connections to the database of ``database_url`` (to read their CPU
    time in ``/proc`` when the server runs on this machine)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (url.database,)
        ).fetchall()
    return [int(row[0]) for row in rows]


def measure_deployment(
    *, workers: int, wallets: int, flows: int, warmup: int, healths: int, directory: Path
) -> dict[str, Any]:
    """A graduate's flow against ``tawtiq serve issuer --workers N`` on PostgreSQL, ``wallets`` wallets at once:
    CPU per flow of the issuer's processes (all workers and their supervisor) and of the PostgreSQL server
    processes serving its connections (when that server runs on this machine), against ``/health`` of the same
    deployment, and the rate the deployment reached (a floor: the wallets share the machine's cores with it)."""
    import httpx

    with _database("postgresql", directory) as database_url:
        if database_url is None:
            return {"skipped": "no PostgreSQL server answers (TAWTIQ_BENCH_DATABASE_URL / TAWTIQ_TEST_DATABASE_URL)"}
        port = free_port()
        issuer = f"http://127.0.0.1:{port}"
        _log(f"flow (postgresql, {workers} workers): preparing {warmup + flows} graduates")
        offers = _prepare(database_url, directory, issuer=issuer, graduates=warmup + flows)
        environment = _environment(directory, database_url, issuer)
        with _served(environment, port=port, directory=directory, workers=workers) as pid:
            clients = [httpx.Client(timeout=60) for _ in range(wallets)]
            try:
                with ThreadPoolExecutor(max_workers=wallets) as pool:

                    def together(chosen: list[_Offer]) -> None:
                        shares = [chosen[number::wallets] for number in range(wallets)]
                        list(pool.map(_graduates, clients, shares))

                    together(offers[:warmup])
                    health_before = tree_cpu_seconds(pid)
                    for _ in range(healths):
                        if clients[0].get(f"{issuer}/health").status_code != 200:
                            raise RuntimeError("health check failed")
                    health_ms = (tree_cpu_seconds(pid) - health_before) * 1000 / healths
                    backends = {backend: cpu_seconds(backend) for backend in _backend_pids(database_url)}
                    server_before = tree_cpu_seconds(pid)
                    started = time.perf_counter()
                    together(offers[warmup:])
                    seconds = time.perf_counter() - started
                    flow = (tree_cpu_seconds(pid) - server_before) * 1000 / flows
                    # A connection opened during the run started from nothing.
                    database = sum(
                        cpu_seconds(backend) - backends.get(backend, 0.0) for backend in _backend_pids(database_url)
                    )
                    database *= 1000 / flows
            finally:
                for client in clients:
                    client.close()
        _log(
            f"flow (postgresql, {workers} workers, {wallets} wallets): {flow:.2f} ms issuer CPU and {database:.2f} ms "
            f"database CPU per graduate, {flows / seconds:.1f} graduates/s; health {health_ms:.3f} ms"
        )
        return {
            "workers": workers,
            "wallets": wallets,
            "flows": flows,
            "flow_cpu_ms": round(flow, 3),
            "database_cpu_ms": round(database, 3),
            "health_cpu_ms": round(health_ms, 3),
            "flow_cpu_vs_health": round(flow / health_ms, 1),
            "graduates_per_second": round(flows / seconds, 1),
        }


def run(*, quick: bool) -> dict[str, Any]:
    """The figures for SQLite and PostgreSQL (see the module docstring)."""
    flows, warmup, healths = (60, 10, 500) if quick else (200, 20, 2000)
    results: dict[str, Any] = {"target": "flow_cpu_vs_health <= 10"}
    for kind in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory(prefix=f"tawtiq-flow-bench-{kind}-") as name:
            results[kind] = measure(kind, flows=flows, warmup=warmup, healths=healths, directory=Path(name))
    with tempfile.TemporaryDirectory(prefix="tawtiq-flow-bench-deployment-") as name:
        results["postgresql_2_workers"] = measure_deployment(
            workers=2, wallets=4, flows=flows, warmup=warmup, healths=healths, directory=Path(name)
        )
    return results
