"""The issuer's benchmark figures for ``make bench`` (measured, never asserted; see DESIGN.md §10).

:func:`run` returns:

* ``records_vs_raw_insert`` — per database (SQLite, PostgreSQL): wall time of ``cohort issue`` creating
  N records from an imported generated cohort, and of a plain batched INSERT of the same rows (same
  columns, same batch size and transactions, same driver, same run) into a table shaped like ``diploma``
  (its keys and indexes); ``ratio`` = issue / raw (target <= 2). ``ratio_vs_bare_table`` compares with
  a table that has only a primary key. The import's own wall time is reported beside it.
* ``credential_endpoint`` — a real uvicorn server (``tawtiq serve issuer``, one process) under
  ``concurrency`` concurrent clients: copies per second of ``POST /credential`` (one pre-signed proof per
  request, W3C ``vc+sd-jwt`` profile) and requests per second of ``GET /health`` under the same load;
  ``credential_endpoint_vs_trivial`` = credential throughput / trivial throughput (as the verifier's
  ``verify_endpoint_vs_trivial``: the share of a trivial request's speed that issuing a copy keeps).
* ``peak_memory`` — peak RSS (MiB, ``VmHWM``) of ``cohort import`` and of ``cohort issue``, each in a
  fresh child process, at two cohort sizes on SQLite. Both stream in batches; what grows between a small
  and a large cohort is SQLite's page cache, which is bounded (64 MiB, see :mod:`issuer.db`), so the
  figure levels off (about 160 MiB from 50,000 graduates on).

``quick=True`` uses 20,000 records, memory at 5,000 and 50,000, and a shorter load; the full run uses
500,000 records and memory at 50,000 and 500,000 (several minutes). PostgreSQL comes from
``TAWTIQ_BENCH_DATABASE_URL`` or ``TAWTIQ_TEST_DATABASE_URL`` (a scratch database is created and dropped);
when no server answers, that figure says why it was skipped. Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    text,
)

from tawtiq.bench.processes import free_port, served

_PASSPHRASE: Final = "benchmark passphrase, not a secret 7f3a"  # noqa: S105 - a throwaway benchmark store
_SESSION: Final = "2024-normale"


def _log(message: str) -> None:
    print(f"issuer bench: {message}", file=sys.stderr, flush=True)


def _postgres_admin_url() -> str | None:
    return os.environ.get("TAWTIQ_BENCH_DATABASE_URL") or os.environ.get("TAWTIQ_TEST_DATABASE_URL")


@contextmanager
def _database(kind: str, directory: Path) -> Iterator[str | None]:
    """A fresh database URL of ``kind`` (dropped afterwards), or ``None`` if PostgreSQL is unreachable."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = _postgres_admin_url()
    if admin is None:
        yield None
        return
    conninfo = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"tawtiq_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        yield None
        return
    try:
        yield make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(directory: Path, database_url: str, issuer_url: str = "http://127.0.0.1:8100") -> dict[str, str]:
    return {
        "TAWTIQ_ISSUER_URL": issuer_url,
        "TAWTIQ_DATABASE_URL": database_url,
        "TAWTIQ_DATA_DIR": str(directory / "data"),
        "TAWTIQ_KEY_PASSPHRASE": _PASSPHRASE,
    }


# ----------------------------------------------------------------------------------- records vs raw insert


def _raw_table(*, indexed: bool) -> Table:
    """A table of the diploma's columns; with ``indexed``, also the diploma table's unique keys and indexes."""
    metadata = MetaData()
    name = "bench_raw_indexed" if indexed else "bench_raw_bare"
    table = Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("graduate_id", BigInteger, nullable=False),
        Column("session", String(32), nullable=False),
        Column("version", Integer, nullable=False),
        Column("claims", Text, nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200), nullable=False),
    )
    if indexed:
        table.append_constraint(UniqueConstraint("graduate_id", "version", name=f"uq_{name}_graduate_version"))
        Index(f"ix_{name}_status", table.c.status)
        Index(f"ix_{name}_session", table.c.session)
    return table


def _raw_insert_seconds(engine: Any, table: Table, *, batch: int) -> float:
    """Insert the diploma rows into ``table`` in batches of ``batch``, one transaction each; time only the inserts."""
    table.create(engine)
    seconds = 0.0
    last = 0
    with engine.connect() as reader:
        while True:
            # In the order ``cohort issue`` created them (graduate order), so both insert the same keys alike.
            rows = [
                dict(row._mapping)
                for row in reader.execute(
                    text(
                        "SELECT id, graduate_id, session, version, claims, status, created_at, actor FROM diploma "
                        "WHERE graduate_id > :last ORDER BY graduate_id LIMIT :n"
                    ),
                    {"last": last, "n": batch},
                )
            ]
            if not rows:
                return seconds
            last = rows[-1]["graduate_id"]
            for row in rows:
                if isinstance(row["created_at"], str):
                    row["created_at"] = datetime.fromisoformat(row["created_at"]).replace(tzinfo=UTC)
            started = time.perf_counter()
            with engine.begin() as writer:
                writer.execute(insert(table), rows)
            seconds += time.perf_counter() - started


def records_vs_raw_insert(kind: str, *, count: int, directory: Path) -> dict[str, Any]:
    """Time ``cohort issue`` for ``count`` records against a plain batched INSERT of the same rows."""
    from issuer.audit import keyed_engine
    from issuer.cohort import ExamSession, import_cohort
    from issuer.db import upgrade
    from issuer.generate import write_cohort
    from issuer.records import issue_cohort
    from issuer.settings import load_settings

    with _database(kind, directory) as url:
        if url is None:
            return {"skipped": "PostgreSQL is not reachable (set TAWTIQ_BENCH_DATABASE_URL)"}
        settings = load_settings(_environment(directory, url))
        engine = keyed_engine(settings)
        upgrade(engine)
        cohort = directory / f"records-{count}.csv"
        if not cohort.exists():
            write_cohort(cohort, count=count, seed=2024, session=ExamSession.parse(_SESSION))
        started = time.perf_counter()
        import_cohort(engine, path=cohort, session=ExamSession.parse(_SESSION), actor="bench", now=datetime.now(UTC))
        import_seconds = time.perf_counter() - started
        _log(f"{kind}: imported {count:,} graduates in {import_seconds:.1f} s")

        started = time.perf_counter()
        summary = issue_cohort(
            engine, settings=settings, session_name=_SESSION, actor="bench", clock=lambda: datetime.now(UTC)
        )
        issue_seconds = time.perf_counter() - started
        assert summary.created == count
        _log(f"{kind}: created {count:,} records in {issue_seconds:.2f} s")

        batch = settings.cohort_batch_size
        raw_seconds = _raw_insert_seconds(engine, _raw_table(indexed=True), batch=batch)
        bare_seconds = _raw_insert_seconds(engine, _raw_table(indexed=False), batch=batch)
        _log(
            f"{kind}: plain batched INSERT of the same {count:,} rows in {raw_seconds:.2f} s "
            f"({bare_seconds:.2f} s into a table without the diploma table's indexes)"
        )
        engine.dispose()
    return {
        "records": count,
        "batch_size": batch,
        "import_seconds": round(import_seconds, 2),
        "issue_seconds": round(issue_seconds, 2),
        "raw_insert_seconds": round(raw_seconds, 2),
        "ratio": round(issue_seconds / raw_seconds, 2),
        "raw_insert_bare_table_seconds": round(bare_seconds, 2),
        "ratio_vs_bare_table": round(issue_seconds / bare_seconds, 2),
    }


# ----------------------------------------------------------------------------------- credential endpoint


def _issued_cohort(engine: Any, settings: Any, cohort: Path, *, count: int, seed: int) -> None:
    """A migrated database holding a generated cohort of ``count`` graduates, imported and issued, and a signing key
    valid from a minute ago."""
    from issuer.cohort import ExamSession, import_cohort
    from issuer.db import upgrade
    from issuer.generate import write_cohort
    from issuer.keyring import Keyring
    from issuer.records import issue_cohort

    upgrade(engine)
    session = ExamSession.parse(_SESSION)
    write_cohort(cohort, count=count, seed=seed, session=session)
    import_cohort(engine, path=cohort, session=session, actor="bench", now=datetime.now(UTC))
    issue_cohort(engine, settings=settings, session_name=_SESSION, actor="bench", clock=lambda: datetime.now(UTC))
    Keyring.open(settings.resolved_key_dir, _PASSPHRASE.encode()).store.create(
        not_before=datetime.now(UTC) - timedelta(minutes=1)
    )


def _load(
    call: Callable[[Any, int], None], *, requests: int, concurrency: int, client_factory: Callable[[], Any]
) -> float:
    """Run ``requests`` calls over ``concurrency`` threads (one keep-alive client each); return calls per second."""
    counter = iter(range(requests))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        with client_factory() as client:
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                try:
                    call(client, number)
                except BaseException as exc:  # reported after the run
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return requests / elapsed


def credential_endpoint(*, requests: int, concurrency: int, directory: Path) -> dict[str, Any]:
    """Copies per second of the credential endpoint and its ratio to a trivial endpoint, same server, same load."""
    import httpx

    from issuer.audit import keyed_engine
    from issuer.db import writing
    from issuer.oid4vci import PRE_AUTHORIZED_GRANT, VC_SD_JWT_CONFIGURATION, create_offer
    from issuer.records import records_of
    from issuer.secrets import load_secrets
    from issuer.settings import load_settings
    from vc import SigningKey
    from vc.encoding import b64url_encode, json_dumps

    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{directory / 'endpoint.sqlite3'}"
    env_values = _environment(directory, url, issuer)
    settings = load_settings({**env_values, "TAWTIQ_MAX_COPIES_PER_TOKEN": "100"})
    engine = keyed_engine(settings)
    _issued_cohort(engine, settings, directory / "endpoint.csv", count=requests // 20 + 1, seed=5)
    with writing(engine) as db:
        secrets = load_secrets(db)
        cnies = [row[0] for row in db.execute(text("SELECT cnie FROM graduate"))]
        offers = [
            create_offer(
                db,
                diploma=records_of(db, cnie=cnie)[0],
                settings=settings,
                secrets=secrets,
                actor="bench",
                now=datetime.now(UTC),
            )
            for cnie in cnies
        ]
    engine.dispose()

    env = {**os.environ, **env_values, "TAWTIQ_MAX_COPIES_PER_TOKEN": "100"}
    command = [sys.executable, "-m", "tawtiq", "serve", "issuer", "--port", str(port), "--log-level", "WARNING"]
    with served(
        command,
        env,
        health=f"{issuer}/health",
        log=directory / "server.log",
        name="the issuer",
        poll_seconds=0.2,
        stop_seconds=20,
    ):
        with httpx.Client(base_url=issuer, timeout=30) as client:
            tokens = []
            for offer in offers:
                document = client.get(offer.credential_offer_uri).json()
                code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
                response = client.post(
                    "/token",
                    data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer.tx_code},
                )
                tokens.append(response.json()["access_token"])
            now = int(time.time())
            bodies = []
            for number in range(requests):
                nonce = client.post("/nonce").json()["c_nonce"]
                key = SigningKey.generate()
                jwk = {name: value for name, value in key.public.jwk.items() if name != "kid"}
                signing_input = (
                    b64url_encode(json_dumps({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": jwk}))
                    + "."
                    + b64url_encode(json_dumps({"aud": issuer, "iat": now, "nonce": nonce}))
                )
                proof = signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))
                bodies.append(
                    (
                        json_dumps(
                            {"credential_configuration_id": VC_SD_JWT_CONFIGURATION, "proofs": {"jwt": [proof]}}
                        ),
                        tokens[number // 20],
                    )
                )

        def factory() -> httpx.Client:
            return httpx.Client(base_url=issuer, timeout=60)

        def credential(client: httpx.Client, number: int) -> None:
            body, token = bodies[number]
            response = client.post(
                "/credential",
                content=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            if response.status_code != 200:
                raise RuntimeError(f"credential request failed: {response.status_code} {response.text[:200]}")

        def trivial(client: httpx.Client, _number: int) -> None:
            if client.get("/health").status_code != 200:
                raise RuntimeError("health check failed")

        _load(trivial, requests=min(50, requests), concurrency=concurrency, client_factory=factory)  # warm up
        trivial_rate = _load(trivial, requests=requests, concurrency=concurrency, client_factory=factory)
        credential_rate = _load(credential, requests=requests, concurrency=concurrency, client_factory=factory)
        _log(f"credential endpoint: {credential_rate:.0f} copies/s; trivial endpoint: {trivial_rate:.0f} requests/s")
    return {
        "profile": "vc+sd-jwt",
        "proofs_per_request": 1,
        "requests": requests,
        "concurrency": concurrency,
        "server_processes": 1,
        "copies_per_second": round(credential_rate, 1),
        "trivial_requests_per_second": round(trivial_rate, 1),
        "credential_endpoint_vs_trivial": round(credential_rate / trivial_rate, 3),
    }


# ----------------------------------------------------------------------------------- peak memory

_CHILD: Final = """
import json, resource, sys
from datetime import UTC, datetime
from pathlib import Path
from issuer.cohort import ExamSession, import_cohort
from issuer.audit import keyed_engine
from issuer.db import upgrade
from issuer.records import issue_cohort
from issuer.settings import load_settings
step, url, cohort, passphrase = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
settings = load_settings({"TAWTIQ_DATABASE_URL": url, "TAWTIQ_KEY_PASSPHRASE": passphrase})
engine = keyed_engine(settings)
now = lambda: datetime.now(UTC)
if step == "import":
    upgrade(engine)
    import_cohort(engine, path=Path(cohort), session=ExamSession.parse("2024-normale"), actor="bench", now=now())
else:
    issue_cohort(engine, settings=settings, session_name="2024-normale", actor="bench", clock=now)
# VmHWM is this process's own peak: ru_maxrss would include the parent's size at fork time on Linux.
try:
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_kib": peak}))
"""


def peak_memory(*, counts: tuple[int, ...], directory: Path) -> dict[str, Any]:
    """Peak RSS of ``cohort import`` and ``cohort issue`` in child processes, per cohort size."""
    from issuer.cohort import ExamSession
    from issuer.generate import write_cohort

    figures: dict[str, Any] = {"database": "sqlite"}
    for count in counts:
        cohort = directory / f"memory-{count}.csv"
        write_cohort(cohort, count=count, seed=9, session=ExamSession.parse(_SESSION))
        url = f"sqlite:///{directory / f'memory-{count}.sqlite3'}"
        figure: dict[str, Any] = {}
        for step in ("import", "issue"):
            started = time.perf_counter()
            result = subprocess.run(  # noqa: S603 - our own child, fixed code
                [sys.executable, "-c", _CHILD, step, url, str(cohort), _PASSPHRASE],
                capture_output=True,
                text=True,
                check=False,
                timeout=3600,
            )
            if result.returncode != 0:
                raise RuntimeError(f"the {step} child failed: {result.stderr[-2000:]}")
            figure[f"{step}_peak_mib"] = round(json.loads(result.stdout.splitlines()[-1])["peak_kib"] / 1024, 1)
            figure[f"{step}_seconds"] = round(time.perf_counter() - started, 1)
        _log(f"memory at {count:,} graduates: {figure}")
        figures[str(count)] = figure
    return figures


def run(*, quick: bool) -> dict[str, Any]:
    """All the issuer's figures (see the module docstring)."""
    record_count = 20_000 if quick else 500_000
    memory_counts = (5_000, 50_000) if quick else (50_000, 500_000)
    requests = 300 if quick else 2_000
    with tempfile.TemporaryDirectory(prefix="tawtiq-issuer-bench-") as name:
        directory = Path(name)
        results: dict[str, Any] = {"quick": quick}
        results["records_vs_raw_insert"] = {
            "sqlite": records_vs_raw_insert("sqlite", count=record_count, directory=directory),
            "postgresql": records_vs_raw_insert("postgresql", count=record_count, directory=directory),
            "target": "<= 2",
        }
        endpoint_directory = directory / "endpoint"
        endpoint_directory.mkdir()
        results["credential_endpoint"] = credential_endpoint(
            requests=requests, concurrency=8, directory=endpoint_directory
        )
        memory_directory = directory / "memory"
        memory_directory.mkdir()
        results["peak_memory"] = peak_memory(counts=memory_counts, directory=memory_directory)
    return results
