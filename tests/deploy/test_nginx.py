"""The production front (deploy/nginx/tawtiq.conf), run for real: a copy of it on free ports, with a test
certificate and shorter timeouts, in front of a real issuer and a real verifier (``tawtiq serve … --workers 2``).

Needs Debian's nginx (``.ci/run`` installs it when missing); skipped without it.
"""

from __future__ import annotations

import os
import secrets
import shutil
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

from tests.issuer.conftest import PASSPHRASE

REPOSITORY = Path(__file__).resolve().parents[2]
CONFIG = REPOSITORY / "deploy" / "nginx" / "tawtiq.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
TAWTIQ = [sys.executable, "-m", "tawtiq"]

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_answered(url: str, process: subprocess.Popen[bytes], log: Path, **options: object) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2, **options).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def _started(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover
        process.kill()


def _test_copy(directory: Path, *, issuer_port: int, verifier_port: int, https_port: int, http_port: int) -> Path:
    """deploy/nginx/tawtiq.conf on free ports, with a test certificate and a 2 s header timeout."""
    from issuer.devtls import ensure_self_signed

    certificate, key = ensure_self_signed(directory / "tls")
    text = CONFIG.read_text()
    for placeholder, value in {
        "127.0.0.1:8100": f"127.0.0.1:{issuer_port}",
        "127.0.0.1:8200": f"127.0.0.1:{verifier_port}",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "client_header_timeout 10s;": "client_header_timeout 2s;",
    }.items():
        assert placeholder in text, f"the shipped configuration no longer has {placeholder!r}"
        text = text.replace(placeholder, value)
    for name in ("bac.example.ma", "verify.example.ma"):
        text = text.replace(f"/etc/tawtiq/tls/{name}.fullchain.pem", str(certificate))
        text = text.replace(f"/etc/tawtiq/tls/{name}.key.pem", str(key))
    (directory / "tawtiq.conf").write_text(text)
    for temporary in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / temporary).mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"""{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/tawtiq.conf;
}}
"""
    )
    return main


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext]]:
    """nginx on a free https port in front of a real issuer and a real verifier; yields the port and a client TLS
    context that trusts the test certificate."""
    directory = tmp_path_factory.mktemp("front")
    issuer_port, verifier_port, https_port, http_port = (_free_port() for _ in range(4))
    trust_list = directory / "trust-list.json"
    trust_list.write_text('{"name": "test", "version": "1", "issuers": []}')
    env = {
        **os.environ,
        "TAWTIQ_ISSUER_URL": "https://bac.example.ma",
        "TAWTIQ_DATABASE_URL": f"sqlite:///{directory / 'issuer.sqlite3'}",
        "TAWTIQ_DATA_DIR": str(directory / "issuer"),
        "TAWTIQ_KEY_PASSPHRASE": PASSPHRASE,
        "TAWTIQ_VERIFIER_TRUST_LIST": str(trust_list),
        "TAWTIQ_VERIFIER_DATABASE_URL": f"sqlite:///{directory / 'verifier.sqlite3'}",
        "TAWTIQ_VERIFIER_SECRET_KEY": secrets.token_urlsafe(32),
        "TAWTIQ_VERIFIER_PUBLIC_URL": "https://verify.example.ma",
    }
    trusted = ["--forwarded-allow-ips", "127.0.0.1", "--workers", "2"]  # as in production
    issuer_log, verifier_log = directory / "issuer.log", directory / "verifier.log"
    issuer = _started([*TAWTIQ, "serve", "issuer", "--port", str(issuer_port), *trusted], env, issuer_log)
    verifier = _started([*TAWTIQ, "serve", "verifier", "--port", str(verifier_port), *trusted], env, verifier_log)
    main = _test_copy(
        directory, issuer_port=issuer_port, verifier_port=verifier_port, https_port=https_port, http_port=http_port
    )
    assert NGINX is not None
    nginx = _started([NGINX, "-p", str(directory), "-c", str(main), "-g", "daemon off;"], env, directory / "nginx.out")
    try:
        _wait_until_answered(f"http://127.0.0.1:{issuer_port}/health", issuer, issuer_log)
        _wait_until_answered(f"http://127.0.0.1:{verifier_port}/health", verifier, verifier_log)
        context = ssl.create_default_context(cafile=str(directory / "tls" / "cert.pem"))
        out = directory / "nginx.out"
        _wait_until_answered(
            f"https://127.0.0.1:{https_port}/health", nginx, out, verify=context, headers={"Host": "bac.example.ma"}
        )
        yield https_port, context
    finally:
        for process in (nginx, verifier, issuer):
            _stop(process)


def test_requests_pass_the_front_to_the_issuer_and_the_verifier(front: tuple[int, ssl.SSLContext]) -> None:
    port, context = front
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context, timeout=10) as client:
        issuer = client.get("/.well-known/jwt-vc-issuer", headers={"Host": "bac.example.ma"})
        assert issuer.status_code == 200, issuer.text
        assert issuer.json()["issuer"] == "https://bac.example.ma"
        for _ in range(4):  # on kept-alive connections to the upstreams, whichever worker answers
            assert client.get("/health", headers={"Host": "verify.example.ma"}).status_code == 200
        assert "nginx/" not in issuer.headers.get("server", "")  # server_tokens off


def test_a_body_beyond_the_location_bound_is_refused_by_the_front(front: tuple[int, ssl.SSLContext]) -> None:
    port, context = front
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context, timeout=10) as client:
        refused = client.post("/credentials/verify", content=b"x" * 300_000, headers={"Host": "verify.example.ma"})
        assert refused.status_code == 413


def test_a_client_that_never_finishes_its_headers_is_cut_by_the_front(front: tuple[int, ssl.SSLContext]) -> None:
    port, context = front
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as slow,
    ):
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: bac.example.ma\r\nX-Slow: ")
        started = time.monotonic()
        try:
            answer = slow.recv(4096)
        except (ssl.SSLError, ConnectionResetError):
            answer = b""
        waited = time.monotonic() - started
    assert answer == b""  # closed without an answer once client_header_timeout (2 s in this copy) passed
    assert 1.5 < waited < 25
