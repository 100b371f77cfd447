"""Benchmark of the candidate portal on results day: a logged-in candidate's result page against a trivial endpoint
of the same server, in the same run, with 500,000 candidates in the database (DESIGN §10).

The ministry's database (SQLite, the issuer's, the exam year's and the portal's schemas) is filled with set-based
INSERTs — not through the CSV import, which checks every row — : ``count`` candidates of one stream, each with a
mark per subject and exam, a deliberated result, and the session published an hour ago. :data:`SESSIONS` candidates
picked at random are logged in (their sessions opened in the portal's store, as a login through the eID leaves
them). The portal runs as in production, ``tawtiq serve portal`` (one worker), in a process of its own; the load
comes from this process over loopback HTTP on :data:`CONNECTIONS` connections, each carrying its share of the
candidates' cookies in turn, so that every request is another candidate's (nothing kept of one candidate could
help the next). What is measured is
``GET /results`` (the session read, the publication instant, the candidate's result and marks, the page) against
``GET /health``.

``results_endpoint_vs_trivial`` is the throughput ratio (target at least :data:`TARGET_RATIO`);
``results_cpu_vs_trivial`` is the same ratio in the server's CPU time per request (steadier on a shared machine);
latencies are client-side, in milliseconds.

Results day also brings the logins. :data:`LOGINS` other candidates then log in one after another through the
development eID (``tawtiq serve eid``, its own process, knowing them with a PIN each), each from a new browser as
a phone does: the portal's ``/login``, the eID's form and its answer, the portal's callback (the code exchanged for
the ID token over HTTP, the token checked, the session opened). ``login_portal_cpu_ms`` is the portal's CPU per
login and ``login_portal_cpu_vs_trivial`` that against a ``/health``; ``login_eid_cpu_ms`` is the stand-in's (a
real national eID's cost is its own).

``quick=True`` uses 20,000 candidates, shorter rounds and fewer logins. Not a test: it never fails a build.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, text

from tawtiq.bench.processes import cpu_seconds, free_port, served

TARGET_RATIO: Final = 0.5
#: Logged-in candidates, and the keep-alive connections (the concurrency) their requests are spread over.
SESSIONS: Final = 2000
CONNECTIONS: Final = 16
#: Candidates logging in through the eID after the result pages (fewer with ``quick``).
LOGINS: Final = 200
SESSION: Final = "2025-normale"
STREAM: Final = "SH"
_PASSPHRASE: Final = "benchmark passphrase, not a secret 41d9"  # noqa: S105 - a throwaway benchmark database


@dataclass(frozen=True)
class _Fixture:
    cookies: list[str]
    environment: dict[str, str]
    count: int
    fill_seconds: float
    #: (CNIE, PIN) of the candidates who log in through the eID.
    logins: list[tuple[str, str]]
    eid_command: list[str]


def _fill(engine: Engine, *, count: int, published_at: datetime) -> None:
    """``count`` candidates of :data:`STREAM`, their marks and results, and the session published (set-based)."""
    from exams.subjects import CONTINUOUS, load_rules

    rules = load_rules()
    subjects = [(CONTINUOUS, rules.continuous_code)] + [
        (rule.exam, rule.code) for rule in rules.stream(STREAM).subjects
    ]
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO exam_import (id, session, kind, source_name, source_sha256, rows_total, rows_imported, "
                "imported_at, actor) VALUES (1, :session, 'candidates', 'bench', :digest, :count, :count, :now, "
                "'bench')"
            ),
            {"session": SESSION, "digest": "0" * 64, "count": count, "now": now.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
                "INSERT INTO exam_candidate (id, session, cnie, massar_code, family_name_ar, family_name_lat, "
                "given_name_ar, given_name_lat, birth_date, birth_place_ar, birth_place_lat, stream_code, stream_ar, "
                "stream_fr, option_language, school_code, school_ar, school_fr, directorate_code, directorate_ar, "
                "directorate_fr, academy_code, academy_ar, academy_fr, exam_centre_code, exam_centre_ar, "
                "exam_centre_fr, candidate_type, import_id, row_number, created_at) "
                "SELECT i, :session, 'BK' || printf('%06d', i), 'B' || printf('%09d', i), 'العلوي', 'EL ALAOUI', "
                "'سلمى', 'Salma', :born, 'الرباط', 'Rabat', :stream, 'العلوم الإنسانية', 'Sciences humaines', 'fr', "
                "'SCH' || (i % 2000), 'ثانوية', 'Lycée', 'DIR' || (i % 80), 'مديرية', 'Direction', "
                "printf('%02d', i % 12 + 1), 'أكاديمية', 'Académie', 'SCH' || (i % 2000), 'ثانوية', 'Lycée', "
                "'enrolled', 1, i + 1, :now FROM n"
            ),
            {
                "count": count,
                "session": SESSION,
                "born": date(2007, 3, 14).isoformat(),
                "stream": STREAM,
                "now": now.replace(tzinfo=None),
            },
        )
        for exam, subject in subjects:
            connection.execute(
                text(
                    "INSERT INTO exam_mark (candidate_id, exam, subject, mark_centi, import_id) "
                    "SELECT id, :exam, :subject, 600 + (id * 37 + :salt) % 1300, 1 FROM exam_candidate"
                ),
                {"exam": exam, "subject": subject, "salt": len(subject) * 101},
            )
        connection.execute(
            text(
                "INSERT INTO exam_result (candidate_id, session, average_centi, decision, mention, deliberated_at) "
                "SELECT id, :session, 800 + id % 900, CASE WHEN 800 + id % 900 >= 1000 THEN 'admitted' "
                "WHEN 800 + id % 900 >= 900 THEN 'catch_up' ELSE 'not_admitted' END, "
                "CASE WHEN 800 + id % 900 >= 1400 THEN 'bien' WHEN 800 + id % 900 >= 1200 THEN 'assez_bien' "
                "WHEN 800 + id % 900 >= 1000 THEN 'passable' END, :now FROM exam_candidate"
            ),
            {"session": SESSION, "now": now.replace(tzinfo=None)},
        )
        connection.execute(
            text("INSERT INTO exam_session (name, deliberated_at, published_at) VALUES (:name, :now, :published)"),
            {"name": SESSION, "now": now.replace(tzinfo=None), "published": published_at.replace(tzinfo=None)},
        )
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


def _eid(
    directory: Path, *, port: int, eid_port: int, people: list[int]
) -> tuple[list[str], Path, list[tuple[str, str]]]:
    """The development eID's command, knowing the candidates ``people`` (a PIN each) and the portal as its client;
    the portal's client secret file and the (CNIE, PIN) pairs."""
    from eid.identities import write_identities

    identities = [
        {
            "cnie": f"BK{number:06d}",
            "family_name": "EL ALAOUI",
            "given_name": "Salma",
            "family_name#ar": "العلوي",
            "given_name#ar": "سلمى",
            "birthdate": "2007-03-14",
            "pin": f"{secrets.randbelow(1_000_000):06d}",
        }
        for number in people
    ]
    identities_file = write_identities(identities, directory / "identities.json")
    client_secret = secrets.token_urlsafe(32)
    client = {
        "client_id": "portal",
        "client_secret": client_secret,
        "redirect_uris": [f"http://127.0.0.1:{port}/login/callback"],
    }
    clients_file = directory / "clients.json"
    clients_file.write_text(json.dumps([client]), encoding="utf-8")
    secret_file = directory / "eid-client-secret"
    secret_file.write_text(client_secret, encoding="utf-8")
    command = [
        sys.executable, "-m", "tawtiq", "serve", "eid", "--host", "127.0.0.1", "--port", str(eid_port),
        "--identities", str(identities_file), "--clients", str(clients_file), "--data-dir", str(directory / "eid"),
        "--development",
    ]  # fmt: skip
    return command, secret_file, [(entry["cnie"], entry["pin"]) for entry in identities]


def _prepare(directory: Path, *, port: int, eid_port: int, count: int, sessions: int, logins: int) -> _Fixture:
    """The database, the portal's settings, ``sessions`` logged-in candidates' cookies, and the eID's command for
    ``logins`` others."""
    from common.identity import Identity
    from common.service.clock import SystemClock
    from common.service.database import create_database_engine
    from exams.db import upgrade as upgrade_exams
    from issuer.audit import audit_key_from_passphrase, with_audit_key
    from issuer.db import upgrade as upgrade_issuer
    from portal.db import MIGRATIONS
    from portal.sessions import Sessions

    database_url = f"sqlite:///{directory / 'ministry.sqlite3'}"
    engine = with_audit_key(
        create_database_engine(database_url), lambda: audit_key_from_passphrase(_PASSPHRASE.encode())
    )
    try:
        upgrade_issuer(engine)
        upgrade_exams(engine)
        MIGRATIONS.upgrade(engine)
        started = time.perf_counter()
        _fill(engine, count=count, published_at=datetime.now(UTC) - timedelta(hours=1))
        fill_seconds = time.perf_counter() - started
        secret_key = secrets.token_urlsafe(32)
        store = Sessions(
            engine,
            clock=SystemClock(),
            key=secret_key.encode(),
            idle_seconds=3600,
            absolute_seconds=8 * 3600,
            login_seconds=600,
        )
        # Which candidates have a session, and which log in through the eID later (never the same).
        chosen = random.Random(2025).sample(range(1, count + 1), sessions + logins)  # noqa: S311
        chosen, people = chosen[:sessions], chosen[sessions:]
        cookies = []
        for number in chosen:
            identity = Identity(
                subject=f"bench-{number}",
                cnie=f"BK{number:06d}",
                acr="urn:tawtiq:eid:loa:high",
                auth_time=None,
                family_name="EL ALAOUI",
                given_name="Salma",
                family_name_ar="العلوي",
                given_name_ar="سلمى",
                birthdate=None,
            )
            cookies.append(store.open(identity, staff=False)[0])
    finally:
        engine.dispose()
    passphrase = directory / "key-passphrase"
    passphrase.write_text(_PASSPHRASE, encoding="utf-8")
    eid_command, client_secret, pins = _eid(directory, port=port, eid_port=eid_port, people=people)
    environment = {
        "TAWTIQ_PORTAL_DATABASE_URL": database_url,
        "TAWTIQ_PORTAL_SECRET_KEY": secret_key,
        "TAWTIQ_PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TAWTIQ_PORTAL_AUDIT_PASSPHRASE_FILE": str(passphrase),
        "TAWTIQ_PORTAL_EID_CLIENT_SECRET_FILE": str(client_secret),
        "TAWTIQ_PORTAL_EID_DISCOVERY_URL": f"http://127.0.0.1:{eid_port}/.well-known/openid-configuration",
        "TAWTIQ_PORTAL_EXAM_SESSION": SESSION,
    }
    return _Fixture(
        cookies=cookies,
        environment=environment,
        count=count,
        fill_seconds=fill_seconds,
        logins=pins,
        eid_command=eid_command,
    )


@dataclass(frozen=True)
class _Running:
    base: str
    pid: int
    eid_pid: int


@contextmanager
def _servers(fixture: _Fixture, *, port: int, eid_port: int, logs: Path) -> Iterator[_Running]:
    """The eID stand-in, then the portal (``tawtiq serve portal``, one worker), each in a process of its own."""
    command = [sys.executable, "-m", "tawtiq", "serve", "portal", "--host", "127.0.0.1", "--port", str(port)]
    base, eid_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{eid_port}"
    with (
        served(
            fixture.eid_command,
            {**os.environ, "TAWTIQ_EID_PUBLIC_URL": eid_base},
            health=f"{eid_base}/health",
            log=logs / "eid.log",
            name="the eID stand-in",
        ) as eid_pid,
        served(
            command,
            {**os.environ, **fixture.environment},
            health=f"{base}/health",
            log=logs / "portal.log",
            name="the portal",
            start_seconds=60,
        ) as pid,
    ):
        yield _Running(base=base, pid=pid, eid_pid=eid_pid)


class _Browser:
    """One keep-alive HTTP/1.1 connection carrying several candidates' session cookies, one after the other (a
    minimal client: the load generator must cost the server's core as little as possible)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cookies: list[str]) -> None:
        self._reader, self._writer = reader, writer
        self._results = itertools.cycle(
            [
                (
                    f"GET /results HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
                    f"Cookie: tawtiq_portal_session={cookie}\r\n\r\n"
                ).encode("ascii")
                for cookie in cookies
            ]
        )

    @classmethod
    async def open(cls, port: int, cookies: list[str]) -> _Browser:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, cookies)

    def results(self) -> bytes:
        """The next candidate's request for the results page."""
        return next(self._results)

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


_TRIVIAL: Final = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"


async def _load(browsers: list[_Browser], *, results: bool, requests: int) -> tuple[float, list[float], int]:
    """``requests`` requests, one in flight per connection; (seconds, latencies in ms, failures)."""
    latencies: list[float] = []
    failures = 0
    remaining = requests

    async def worker(browser: _Browser) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status, body = await browser.exchange(browser.results() if results else _TRIVIAL)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200 or (results and b'id="decision"' not in body):
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(browser) for browser in browsers))
    return time.perf_counter() - started, latencies, failures


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _measure(port: int, fixture: _Fixture, *, pid: int, quick: bool) -> dict[str, Any]:
    rounds, per_round = (3, 300) if quick else (5, 1500)
    cookies = fixture.cookies
    browsers = [await _Browser.open(port, cookies[index::CONNECTIONS]) for index in range(CONNECTIONS)]
    totals: dict[str, list[Any]] = {name: [0.0, [], 0, 0.0] for name in ("trivial", "results")}
    try:
        for name in totals:  # warm the code paths and the database's pages
            await _load(browsers, results=name == "results", requests=200)
        for _ in range(rounds):  # alternate, so that drift affects both alike
            for name in totals:
                cpu = cpu_seconds(pid)
                seconds, latencies, failures = await _load(browsers, results=name == "results", requests=per_round)
                totals[name][0] += seconds
                totals[name][1].extend(latencies)
                totals[name][2] += failures
                totals[name][3] += cpu_seconds(pid) - cpu
    finally:
        for browser in browsers:
            browser.close()
    rate = {name: len(total[1]) / total[0] for name, total in totals.items()}
    cpu_ms = {name: total[3] * 1000 / len(total[1]) for name, total in totals.items()}
    return {
        "candidates": fixture.count,
        "database_fill_seconds": round(fixture.fill_seconds, 1),
        "concurrency": len(browsers),
        "logged_in_candidates": len(cookies),
        "trivial_endpoint_rps": round(rate["trivial"], 1),
        "trivial_endpoint_p99_ms": round(_percentile(totals["trivial"][1], 0.99), 2),
        "trivial_endpoint_server_cpu_ms": round(cpu_ms["trivial"], 3),
        "results_endpoint_rps": round(rate["results"], 1),
        "results_endpoint_vs_trivial": round(rate["results"] / rate["trivial"], 3),
        "results_endpoint_vs_trivial_target": TARGET_RATIO,
        "results_cpu_vs_trivial": round(cpu_ms["trivial"] / cpu_ms["results"], 3),
        "results_endpoint_p50_ms": round(_percentile(totals["results"][1], 0.50), 2),
        "results_endpoint_p99_ms": round(_percentile(totals["results"][1], 0.99), 2),
        "results_endpoint_server_cpu_ms": round(cpu_ms["results"], 3),
        "results_endpoint_failures": totals["results"][2] + totals["trivial"][2],
        "results_endpoint_requests": len(totals["results"][1]),
    }


def _logins(fixture: _Fixture, running: _Running, *, health_cpu_ms: float) -> dict[str, Any]:
    """Every candidate of ``fixture.logins`` logs in through the eID from a new browser (see the module docstring)."""
    from tawtiq.demo.after_results import PortalBrowser

    portal_cpu, eid_cpu = cpu_seconds(running.pid), cpu_seconds(running.eid_pid)
    started = time.perf_counter()
    for cnie, pin in fixture.logins:
        browser = PortalBrowser(running.base)
        try:
            browser.log_in(cnie, pin, path="/results")
        finally:
            browser.close()
    seconds = time.perf_counter() - started
    count = len(fixture.logins)
    portal_ms = (cpu_seconds(running.pid) - portal_cpu) * 1000 / count
    return {
        "logins": count,
        "login_portal_cpu_ms": round(portal_ms, 3),
        "login_portal_cpu_vs_trivial": round(portal_ms / health_cpu_ms, 1),
        "login_eid_cpu_ms": round((cpu_seconds(running.eid_pid) - eid_cpu) * 1000 / count, 3),
        "login_wall_ms": round(seconds * 1000 / count, 2),
    }


def run(*, quick: bool) -> dict[str, Any]:
    """Fill a database, start the eID and a portal, load it, and return the figures (see the module docstring)."""
    count = 20_000 if quick else 500_000
    port, eid_port = free_port(), free_port()
    while eid_port == port:
        eid_port = free_port()
    with tempfile.TemporaryDirectory(prefix="tawtiq-portal-bench-") as directory:
        print(f"portal: filling the database with {count:,} candidates", file=sys.stderr, flush=True)
        fixture = _prepare(
            Path(directory),
            port=port,
            eid_port=eid_port,
            count=count,
            sessions=SESSIONS,
            logins=LOGINS // 4 if quick else LOGINS,
        )
        with _servers(fixture, port=port, eid_port=eid_port, logs=Path(directory)) as running:
            figures = asyncio.run(_measure(port, fixture, pid=running.pid, quick=quick))
            return {**figures, **_logins(fixture, running, health_cpu_ms=figures["trivial_endpoint_server_cpu_ms"])}
