"""One slow trusted issuer does not starve the verifier: its fetch runs in the fetch pool, once however many
requests need it, while other issuers' verifications and plain routes (a share nonce) are answered at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import schemas
from tests.verifier.fake_issuer import FakeIssuer
from tests.verifier.live import serving
from vc import Profile, SigningKey, issue
from verifier.app import create_app

SLOW_REQUESTS = 50
OTHER_VERIFICATIONS = 45


class TricklingIssuer:
    """A trusted issuer whose metadata arrives one byte at a time, never finishing until told to stop."""

    def __init__(self) -> None:
        self.requests = 0
        self.sending = threading.Event()
        self.stop = threading.Event()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                origin.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                origin.sending.set()
                try:
                    while not origin.stop.wait(0.2):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    pass  # the verifier gave up at its whole-fetch bound
                finally:
                    origin.sending.clear()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def slow() -> Iterator[TricklingIssuer]:
    origin = TricklingIssuer()
    yield origin
    origin.close()


def _slow_diploma(slow: TricklingIssuer, issuer: FakeIssuer) -> str:
    claims = schemas.sd_jwt_vc_claims(
        schemas.sample_subject(), issuer=slow.origin, status_index=7, status_uri=f"{slow.origin}/status/1"
    )
    return issue(
        claims,
        key=SigningKey.generate(),
        issued_at=issuer.clock.now(),
        profile=Profile.DC_SD_JWT,
        disclosable=schemas.SD_JWT_VC_DISCLOSABLE,
    )


def test_a_slow_issuer_does_not_hold_up_other_requests(
    make_settings, clock, issuer: FakeIssuer, holder, slow: TricklingIssuer, tmp_path: Path
):
    trust = issuer.trust_list()
    trust["issuers"].append({**trust["issuers"][0], "id": slow.origin})
    trust_file = tmp_path / "two-issuers.json"
    trust_file.write_text(json.dumps(trust), encoding="utf-8")
    settings = make_settings(trust_list=str(trust_file), http_total_timeout_seconds=20, fetch_workers=4)
    slow_token = _slow_diploma(slow, issuer)
    others = [issuer.issue_sd_jwt_vc(holder).token for _ in range(OTHER_VERIFICATIONS)]

    with (
        serving(lambda url: create_app(settings.model_copy(update={"public_url": url}), clock=clock)) as base,
        httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=200)) as http,
        ThreadPoolExecutor(max_workers=SLOW_REQUESTS + OTHER_VERIFICATIONS + 1) as clients,
    ):

        def verify(token: str) -> httpx.Response:
            return http.post("/credentials/verify", json={"verifiableCredential": token})

        stuck = [clients.submit(verify, slow_token) for _ in range(SLOW_REQUESTS)]
        assert slow.sending.wait(10), "the slow issuer was never asked"
        time.sleep(0.5)  # every slow request has reached the verifier and waits for the one fetch

        started = time.monotonic()
        answered = list(clients.map(verify, others))
        nonce = http.post("/shares/nonce")
        elapsed = time.monotonic() - started

        # All of it while the slow issuer's one fetch is still trickling in.
        assert slow.sending.is_set()
        assert slow.requests == 1  # one fetch, however many requests need it
        assert not any(future.done() for future in stuck)
        assert nonce.status_code == 200, nonce.text
        assert [answer.status_code for answer in answered] == [200] * OTHER_VERIFICATIONS
        assert {answer.json()["verdict"] for answer in answered} == {"valid"}
        assert elapsed < settings.http_total_timeout_seconds

        slow.stop.set()  # the slow issuer finally ends its (malformed) answer
        for future in stuck:
            answer = future.result(timeout=30)
            assert answer.status_code == 200
            assert answer.json()["verdict"] == "indeterminate"
