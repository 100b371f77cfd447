"""The benchmark modules: their fixtures build what they claim (the figures themselves are never asserted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tawtiq.bench import verifier as bench
from tawtiq.bench.__main__ import main
from tawtiq.bench.processes import cpu_seconds, descendants, tree_cpu_seconds
from verifier.verification import Expectations


def test_the_benchmark_fixture_verifies(tmp_path: Path):
    from verifier.services import Services
    from verifier.settings import Settings

    fixture = bench._prepare(tmp_path, port=8999, count=2)
    assert len(set(fixture.tokens)) == len(set(fixture.presentations)) == 2  # every request its own credential
    environment = fixture.environment
    services = Services.build(
        Settings(
            trust_list=environment["TAWTIQ_VERIFIER_TRUST_LIST"],
            database_url=environment["TAWTIQ_VERIFIER_DATABASE_URL"],
            secret_key=environment["TAWTIQ_VERIFIER_SECRET_KEY"],
        )
    )
    services.start()
    try:
        for token in fixture.tokens:
            assert services.verifier.verify(token, expect=Expectations(holder_binding=False)).verified
        for presentation in fixture.presentations:
            expect = Expectations(holder_binding=True, audience=bench.AUDIENCE, nonce=bench.CHALLENGE)
            assert services.verifier.verify(presentation, expect=expect).verified
    finally:
        services.close()


def test_an_unknown_part_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["engine", "database"])
    assert caught.value.code == 2
    assert (
        "unknown part database; expected any of engine, serving, verifier, revocation, flow, printing, issuer, exams, "
        "portal" in capsys.readouterr().err
    )


def test_a_servers_workers_are_found_and_their_cpu_counted() -> None:
    script = (
        "import subprocess, sys, time; c = subprocess.Popen(['sleep', '30']); print(c.pid, flush=True); time.sleep(30)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = None
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert child in descendants(parent.pid)
        assert tree_cpu_seconds(parent.pid) >= cpu_seconds(parent.pid) >= 0
    finally:
        parent.kill()
        parent.wait()
        if child is not None:
            os.kill(child, signal.SIGKILL)
    assert descendants(parent.pid) == []  # a process that is gone has none


def test_the_exam_year_benchmark_deliberates_what_it_loads() -> None:
    from tawtiq.bench import exams

    figures = exams.run(count=60)
    assert figures["candidates"] == 60
    assert figures["marks"] > 60 * 8
    assert sum(figures["deliberation_database"]["totals"].values()) == 60
    assert figures["deliberation_core"]["per_candidate_us"] > 0


def test_the_portal_benchmark_fixture_logs_candidates_in_who_have_results(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from portal.results import published_result
    from portal.services import Services
    from portal.settings import Settings
    from tawtiq.bench import portal as portal_bench

    fixture = portal_bench._prepare(tmp_path, port=8999, eid_port=8998, count=50, sessions=3, logins=2)
    environment = fixture.environment
    services = Services.build(
        Settings(
            database_url=environment["TAWTIQ_PORTAL_DATABASE_URL"],
            secret_key=environment["TAWTIQ_PORTAL_SECRET_KEY"],
            audit_passphrase_file=Path(environment["TAWTIQ_PORTAL_AUDIT_PASSPHRASE_FILE"]),
            eid_client_secret_file=Path(environment["TAWTIQ_PORTAL_EID_CLIENT_SECRET_FILE"]),
        )
    )
    services.start()
    try:
        assert len(set(fixture.cookies)) == 3
        for cookie in fixture.cookies:
            session = services.sessions.current(cookie)
            result = published_result(
                services.engine, session=portal_bench.SESSION, cnie=session.cnie, now=datetime.now(UTC)
            )
            assert result is not None
            assert len(result.marks) >= 8
    finally:
        services.close()


def test_the_portal_benchmark_logs_candidates_in_through_the_eid(tmp_path: Path) -> None:
    from tawtiq.bench import portal as portal_bench
    from tawtiq.bench.processes import free_port

    port, eid_port = free_port(), free_port()
    while eid_port == port:
        eid_port = free_port()
    fixture = portal_bench._prepare(tmp_path, port=port, eid_port=eid_port, count=50, sessions=3, logins=2)
    assert len({cnie for cnie, _pin in fixture.logins}) == 2
    with portal_bench._servers(fixture, port=port, eid_port=eid_port, logs=tmp_path) as running:
        figures = portal_bench._logins(fixture, running, health_cpu_ms=0.1)
    assert figures["logins"] == 2  # each one ended on the portal's callback with a session (or it raised)
    assert {"login_portal_cpu_ms", "login_portal_cpu_vs_trivial", "login_eid_cpu_ms"} <= figures.keys()
