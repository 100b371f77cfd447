"""The serving layer with real sockets: slow and hostile clients are cut, legitimate ones still answered, and
accepted connections keep TCP_NODELAY with several worker processes."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.server import ServerState

from common.serving import (
    BoundedHttpToolsProtocol,
    ServingSettings,
    serve,
    serving_config,
    serving_settings,
)
from vc.errors import ConfigurationError


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the length of the request body it read (lifespan acknowledged)."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def _served(**bounds: Any) -> Iterator[int]:
    """The echo app under our protocol in a thread, on a free port, with the ``bounds`` given."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = serving_config(_echo, host="127.0.0.1", port=port, bounds=ServingSettings(**bounds))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def _read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the test fails on its own timeout)."""
    data = b""
    while chunk := connection.recv(4096):
        data += chunk
    return data


def test_connections_that_never_finish_their_headers_do_not_stop_a_legitimate_request():
    with _served(header_timeout_seconds=2) as port, ExitStack() as stack:
        hostile = []
        for _ in range(300):
            connection = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
            connection.sendall(b"GET / HTTP/1.1\r\nHost: tawtiq\r\nX-Slow: ")
            hostile.append(connection)
        answer = httpx.post(f"http://127.0.0.1:{port}/", content=b"12345", timeout=10)
        assert (answer.status_code, answer.text) == (200, "5")
        # Past the header deadline each slow connection is answered 408 and closed.
        assert _read_all(hostile[0]).startswith(b"HTTP/1.1 408 ")
        assert _read_all(hostile[-1]).startswith(b"HTTP/1.1 408 ")


def _send_until_closed(connection: socket.socket, chunk: bytes, *, interval_seconds: float) -> bytes:
    """Send ``chunk`` every ``interval_seconds`` until the server closes the connection; return what it answered."""
    connection.settimeout(interval_seconds)
    answer = b""
    while True:
        try:
            connection.sendall(chunk)
            data = connection.recv(4096)
        except TimeoutError:
            continue
        except OSError:  # reset: the server closed while the client was still writing
            return answer
        if not data:
            return answer
        answer += data


def test_a_connection_that_sends_nothing_is_closed_after_the_header_deadline():
    with _served(header_timeout_seconds=1) as port, socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
        assert _read_all(idle).startswith(b"HTTP/1.1 408 ")


def test_a_body_trickled_at_one_byte_a_second_is_cut_with_408_and_the_connection_closed():
    with _served(body_timeout_seconds=2) as port, socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: tawtiq\r\nContent-Length: 100\r\n\r\n")
        answer = _send_until_closed(slow, b"x", interval_seconds=1.0)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in answer.lower()


def test_headers_beyond_the_size_bound_are_refused_with_431():
    with _served(max_header_bytes=8192) as port, socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: tawtiq\r\n")
        answer = _send_until_closed(client, b"X-Filler: " + b"a" * 1000 + b"\r\n", interval_seconds=0.05)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_keep_alive_requests_with_bodies_are_answered_within_the_bounds():
    bounds = {"header_timeout_seconds": 1, "body_timeout_seconds": 1}
    with _served(**bounds) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for size in (0, 10, 100_000):
            assert client.post("/", content=b"a" * size).text == str(size)
        time.sleep(1.5)  # past both deadlines: the idle keep-alive connection is still fine
        assert client.post("/", content=b"abc").text == "3"


def test_beyond_the_connection_bound_requests_are_answered_503():
    with _served(max_connections_per_process=2) as port, ExitStack() as stack:
        for _ in range(2):
            stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30)).sendall(b"GET")
        time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 503


def test_accepted_connections_get_tcp_nodelay_even_from_a_socket_bound_without_ipproto_tcp():
    """uvicorn's worker supervisor binds ``socket.socket(AF_INET)`` (protocol 0): asyncio then skips TCP_NODELAY."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    with listener, socket.create_connection(listener.getsockname()) as _client:
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

            class Transport:
                def get_extra_info(self, name: str) -> Any:
                    return {"socket": accepted, "peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name)

            config = serving_config(_echo, host="127.0.0.1", port=0, bounds=ServingSettings())
            config.load()
            loop = asyncio.new_event_loop()
            try:
                protocol = BoundedHttpToolsProtocol(config, ServerState(), {}, _loop=loop)
                protocol.connection_made(Transport())  # type: ignore[arg-type]
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
                protocol._cancel_deadline()
            finally:
                loop.close()


def test_two_workers_answer_every_request_of_one_keep_alive_connection():
    """The multi-process path serves a keep-alive connection; its latency (the 44 ms Nagle delay this guards
    against) is a figure of make bench, and the TCP_NODELAY it depends on is asserted above, not timed here."""
    from tawtiq.bench import serving as bench

    with bench._served(workers=2, plain=False) as port:
        assert bench.one_connection_p50_ms(port, requests=60) > 0


def test_an_unusable_bound_names_its_variable(monkeypatch):
    monkeypatch.setenv("TAWTIQ_SERVING_HEADER_TIMEOUT_SECONDS", "0")
    with pytest.raises(ConfigurationError) as refused:
        serving_settings()
    assert refused.value.code == "serving.invalid_setting"
    assert "TAWTIQ_SERVING_HEADER_TIMEOUT_SECONDS" in str(refused.value)


def test_several_workers_need_a_factory_name_and_at_least_one_worker():
    with pytest.raises(ConfigurationError, match="factory by name"):
        serve(_echo, host="127.0.0.1", port=0, workers=2)
    with pytest.raises(ConfigurationError, match="at least 1"):
        serve("module:factory", host="127.0.0.1", port=0, workers=0)


def test_with_a_log_level_every_process_logs_redacted_in_the_common_format():
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    try:
        config = serving_config(_echo, host="127.0.0.1", port=0, bounds=ServingSettings(), log_level="WARNING")
        config.configure_logging()  # what uvicorn calls in each worker process
        assert len([handler for handler in root.handlers if getattr(handler, "_tawtiq", False)]) == 1
        assert root.level == logging.WARNING
    finally:
        root.handlers[:] = before
        root.setLevel(level)
