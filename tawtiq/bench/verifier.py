"""Benchmark of the verifier's HTTP interface: ``POST /credentials/verify`` and ``POST /presentations/verify``
against a trivial endpoint of the same server, in the same run (DESIGN §10: HTTP endpoints are compared with a
trivial endpoint of the same server).

The verifier runs as in production, ``tawtiq serve verifier`` (:func:`common.serving.serve`: uvicorn with
httptools and uvloop, logging at ``TAWTIQ_VERIFIER_LOG_LEVEL``, INFO unless the environment says otherwise), in a
process of its own; the load comes from this process over loopback HTTP with a fixed number of requests in flight.
The verified credential is a full ``vc+sd-jwt`` diploma (fifteen disclosures, two status entries, schema
validation); the presentation is such a diploma with every disclosure and a key-binding JWT (SD-JWT+KB) for a
challenge and a domain. Every request carries a credential of its own (its own id, salts, status indices, holder
key and, for presentations, key-binding JWT), so no cache keyed on the credential can answer for the verification.
Issuer keys and status lists are already in the verifier's cache (seeded into its database, as after the first
verification), so what is measured is the steady state that results-day load would see, not an issuer's
network. Not a test: it never fails a build; ``make bench`` prints the figures.

``verify_endpoint_vs_trivial`` and ``presentations_verify_vs_trivial`` are throughput ratios (target at least
0.4); on a shared, loaded machine the server's CPU time per request (``*_server_cpu_ms``, from ``/proc``) is the
steadier figure, and ``*_cpu_vs_trivial`` is the same ratio in CPU. Latencies are client-side, in milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import schemas
from common.diploma import diploma_contexts
from keys import InMemoryKeyStore
from tawtiq.bench.processes import cpu_seconds, free_port, served
from vc import BitOrder, Profile, SigningKey, StatusList, issue, issue_bitstring_status_list, present
from verifier.db import Database
from verifier.models import IssuerMetadataRow, StatusListRow

ISSUER: Final = "https://bac.bench.tawtiq.invalid"
TARGET_RATIO: Final = 0.4
AUDIENCE: Final = "https://admissions.bench.tawtiq.invalid"
CHALLENGE: Final = "bench-challenge"
_LIST_SIZE: Final = 131_072


@dataclass(frozen=True)
class _Fixture:
    tokens: list[str]
    presentations: list[str]
    environment: dict[str, str]


def _prepare(directory: Path, *, port: int, count: int) -> _Fixture:
    """Keys, ``count`` distinct diplomas and ``count`` distinct presentations (of other diplomas), their status
    lists, a trust list, and a database whose caches already hold the keys and lists."""
    now = datetime.now(UTC).replace(microsecond=0)
    contexts = diploma_contexts()
    keys = InMemoryKeyStore()
    keys.create(not_before=now - timedelta(days=1))
    key = keys.signing_key(at=now)
    lists = {purpose: f"{ISSUER}/status/bitstring/{purpose}" for purpose in ("revocation", "suspension")}

    def diploma(holder: SigningKey) -> str:
        credential = schemas.w3c_credential(
            schemas.sample_subject(),
            issuer=ISSUER,
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            status=[
                schemas.BitstringEntry(purpose, url, secrets.randbelow(_LIST_SIZE)) for purpose, url in lists.items()
            ],
        )
        return issue(
            credential,
            key=key,
            issued_at=now,
            profile=Profile.VC_SD_JWT,
            contexts=contexts,
            disclosable=schemas.W3C_DISCLOSABLE,
            holder=holder.public,
        )

    tokens = [diploma(SigningKey.generate()) for _ in range(count)]
    holders = [SigningKey.generate() for _ in range(count)]  # each graduate's wallet has a key of its own
    presentations = [
        present(
            diploma(holder), disclose=schemas.W3C_DISCLOSABLE, key=holder, audience=AUDIENCE, nonce=CHALLENGE, now=now
        )
        for holder in holders
    ]
    trust = {
        "version": "bench-1",
        "issuers": [{"id": ISSUER, "credential_types": [schemas.DIPLOMA_CREDENTIAL_TYPE, schemas.DIPLOMA_VCT]}],
    }
    trust_file = directory / "trust-list.json"
    trust_file.write_text(json.dumps(trust), encoding="utf-8")
    database_url = f"sqlite:///{directory / 'verifier.sqlite3'}"
    database = Database(database_url)
    database.upgrade()
    fresh_until = now + timedelta(days=1)
    with database.session() as session:
        session.add(
            IssuerMetadataRow(
                issuer=ISSUER, jwks=json.dumps(keys.history().to_jwks()), fetched_at=now, fresh_until=fresh_until
            )
        )
        for purpose, url in lists.items():
            empty = StatusList.from_entries(size=_LIST_SIZE, bits=1, order=BitOrder.MSB_FIRST, entries=[])
            signed = issue_bitstring_status_list(
                uri=url, issuer=ISSUER, purpose=purpose, status_list=empty, key=key, issued_at=now, contexts=contexts
            )
            session.add(
                StatusListRow(uri=url, token=signed, digest=uuid.uuid4().hex, fetched_at=now, fresh_until=fresh_until)
            )
    database.dispose()
    environment = {
        "TAWTIQ_VERIFIER_TRUST_LIST": str(trust_file),
        "TAWTIQ_VERIFIER_DATABASE_URL": database_url,
        "TAWTIQ_VERIFIER_SECRET_KEY": secrets.token_urlsafe(32),
        "TAWTIQ_VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # The presentations (and their key-binding JWTs) are made before the run starts.
        "TAWTIQ_VERIFIER_PRESENTATION_MAX_AGE_SECONDS": "3600",
    }
    return _Fixture(tokens=tokens, presentations=presentations, environment=environment)


@contextmanager
def _server(environment: dict[str, str], *, port: int, log: Path) -> Iterator[tuple[str, int]]:
    """The verifier served as in production (one worker) in a child process, logging to ``log``, until the block
    ends."""
    command = [sys.executable, "-m", "tawtiq", "serve", "verifier", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with served(
        command, {**os.environ, **environment}, health=f"{base}/health", log=log, name="the verifier", start_seconds=30
    ) as pid:
        yield base, pid


class _Connection:
    """One keep-alive HTTP/1.1 connection with a minimal client: the load generator must cost the server's core
    as little as possible, and a general-purpose client spends more per request than the trivial endpoint does."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self._writer.write(request)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        self._writer.close()


def _request(method: str, path: str, body: bytes | None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("ascii") + (body or b"")


async def _load(
    connections: list[_Connection], request: Iterator[bytes], *, requests: int, check_verified: bool
) -> tuple[float, list[float], int]:
    """Send the next ``requests`` requests of ``request``, one in flight per connection; (seconds, latencies in ms,
    failures)."""
    latencies: list[float] = []
    failures = 0
    remaining = requests

    async def worker(connection: _Connection) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status, body = await connection.exchange(next(request))
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200 or (check_verified and not json.loads(body).get("verified")):
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(connection) for connection in connections))
    return time.perf_counter() - started, latencies, failures


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _sizes(*, quick: bool) -> tuple[int, int, int, int]:
    """(warm-up requests, rounds, requests per round, connections) of a run."""
    return (200, 3, 400, 16) if quick else (200, 5, 2000, 16)


async def _measure(base: str, fixture: _Fixture, *, pid: int, quick: bool) -> dict[str, Any]:
    warmup, rounds, per_round, concurrency = _sizes(quick=quick)
    port = int(base.rsplit(":", 1)[1])
    requests: dict[str, Iterator[bytes]] = {
        "trivial": itertools.repeat(_request("GET", "/health", None)),
        "verify": (
            _request("POST", "/credentials/verify", json.dumps({"verifiableCredential": token}).encode())
            for token in fixture.tokens
        ),
        "presentations": (
            _request(
                "POST",
                "/presentations/verify",
                json.dumps(
                    {"verifiablePresentation": presentation, "options": {"challenge": CHALLENGE, "domain": AUDIENCE}}
                ).encode(),
            )
            for presentation in fixture.presentations
        ),
    }
    connections = [await _Connection.open(port) for _ in range(concurrency)]
    totals: dict[str, list[Any]] = {name: [0.0, [], 0, 0.0] for name in requests}
    try:
        for name, request in requests.items():  # warm caches and code paths
            await _load(connections, request, requests=warmup, check_verified=name != "trivial")
        for _ in range(rounds):  # alternate, so that drift affects all alike
            for name, request in requests.items():
                cpu = cpu_seconds(pid)
                seconds, latencies, failures = await _load(
                    connections, request, requests=per_round, check_verified=name != "trivial"
                )
                totals[name][0] += seconds
                totals[name][1].extend(latencies)
                totals[name][2] += failures
                totals[name][3] += cpu_seconds(pid) - cpu
    finally:
        for connection in connections:
            connection.close()
    rate = {name: len(total[1]) / total[0] for name, total in totals.items()}
    cpu_ms = {name: total[3] * 1000 / len(total[1]) for name, total in totals.items()}
    figures: dict[str, Any] = {
        "trivial_endpoint_rps": round(rate["trivial"], 1),
        "trivial_endpoint_p99_ms": round(_percentile(totals["trivial"][1], 0.99), 2),
        "trivial_endpoint_server_cpu_ms": round(cpu_ms["trivial"], 3),
    }
    for name, prefix in (("verify", "verify_endpoint"), ("presentations", "presentations_verify")):
        figures |= {
            f"{prefix}_rps": round(rate[name], 1),
            f"{prefix}_vs_trivial": round(rate[name] / rate["trivial"], 3),
            f"{prefix}_vs_trivial_target": TARGET_RATIO,
            f"{prefix}_cpu_vs_trivial": round(cpu_ms["trivial"] / cpu_ms[name], 3),
            f"{prefix}_p50_ms": round(_percentile(totals[name][1], 0.50), 2),
            f"{prefix}_p99_ms": round(_percentile(totals[name][1], 0.99), 2),
            f"{prefix}_server_cpu_ms": round(cpu_ms[name], 3),
            f"{prefix}_failures": totals[name][2],
            f"{prefix}_requests": len(totals[name][1]),
        }
    return figures | {"concurrency": concurrency}


def run(*, quick: bool) -> dict[str, Any]:
    """Start a verifier, load it, and return the figures (see the module docstring)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tawtiq-verifier-bench-") as directory:
        warmup, rounds, per_round, _connections = _sizes(quick=quick)
        fixture = _prepare(Path(directory), port=port, count=warmup + rounds * per_round)
        with _server(fixture.environment, port=port, log=Path(directory) / "verifier.log") as (base, pid):
            return asyncio.run(_measure(base, fixture, pid=pid, quick=quick))
