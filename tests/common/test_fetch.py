"""The shared fetcher: URLs and origins, the bounds on every response, and the whole-request time bound against a
real server that trickles its answer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from common.fetch import (
    FetchError,
    HttpFetcher,
    Response,
    ResponseTooLargeError,
    Timeouts,
    UrlRefusedError,
    check_fetchable,
    http_client,
    max_age_of,
    origin_of,
    same_origin,
)
from tests.common.fake_fetcher import FakeFetcher

BOUNDS = Timeouts(connect_seconds=2, read_seconds=5, total_seconds=1.5)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Bac.Example.MA/path?q", "https://bac.example.ma"),
        ("HTTPS://bac.example.ma:443/", "https://bac.example.ma"),
        ("https://bac.example.ma.:8443", "https://bac.example.ma:8443"),
        ("http://[::1]:80/x", "http://[::1]"),
        ("https://user@bac.example.ma/", None),
        ("https://:pw@bac.example.ma/", None),
        ("ftp://bac.example.ma/", None),
        ("https:///path", None),
        ("https://bac.example.ma:99999/", None),
        ("not a url", None),
        ("https://bac.example.ma:8443/x", "https://bac.example.ma:8443"),
        ("/relative", None),
    ],
)
def test_origins_are_computed_carefully(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_same_origin_needs_two_origins() -> None:
    assert same_origin("https://bac.example.ma/a", "https://BAC.example.ma:443/b")
    assert not same_origin("https://bac.example.ma/a", "https://bac.example.ma:8443/a")
    assert not same_origin("https://bac.example.ma/a", "http://bac.example.ma/a")
    assert not same_origin("https://bac.example.ma@evil.example/", "https://bac.example.ma/")
    assert not same_origin("garbage", "garbage")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://bac.example.ma/", "fetch.url_insecure"),
        ("http://10.0.0.1/", "fetch.url_insecure"),
        ("http://169.254.169.254/latest", "fetch.url_insecure"),
        ("gopher://x", "fetch.url_invalid"),
        ("file:///etc/passwd", "fetch.url_invalid"),
        ("https://user:pw@bac.example.ma/", "fetch.url_invalid"),
        ("", "fetch.url_invalid"),
    ],
)
def test_urls_that_may_not_be_fetched_are_refused_before_anything_is_sent(url: str, code: str) -> None:
    with pytest.raises(UrlRefusedError) as caught:
        check_fetchable(url)
    assert caught.value.code == code
    fake = FakeFetcher()
    with pytest.raises(UrlRefusedError):
        fake.fetch(url, max_bytes=10)
    assert fake.sent == []


def test_https_and_loopback_http_may_be_fetched() -> None:
    assert check_fetchable("https://bac.example.ma/x") == "https://bac.example.ma"
    assert check_fetchable("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000"
    assert check_fetchable("http://localhost/x") == "http://localhost"


def test_cache_control() -> None:
    assert max_age_of("public, max-age=60") == 60
    assert max_age_of('s-maxage="30"') == 30
    assert max_age_of("s-maxage=10, max-age=300") == 10
    assert max_age_of("no-store") == 0
    assert max_age_of(None) is None
    assert max_age_of("private") is None


def _mocked(handler, total: float = 5) -> HttpFetcher:
    client = http_client(timeouts=BOUNDS, user_agent="test", transport=httpx.MockTransport(handler))
    return HttpFetcher(client, total_timeout_seconds=total)


def test_every_response_bound_holds_over_http_and_in_the_fake() -> None:
    cases = {
        "https://issuer.example/encoded": Response("", 200, {"content-encoding": "gzip"}, b"x"),
        "https://issuer.example/redirect": Response("", 302, {"location": "http://169.254.169.254/"}),
        "https://issuer.example/declared": Response("", 200, {"content-length": "5000"}, b"x" * 50),
        "https://issuer.example/large": Response("", 200, {}, b"x" * 500),
    }
    expected = {"encoded": "fetch.encoding", "redirect": "fetch.redirect", "declared": "fetch.too_large"}
    expected["large"] = "fetch.too_large"

    def handler(request: httpx.Request) -> httpx.Response:
        answer = cases[str(request.url)]
        response = httpx.Response(answer.status, headers=dict(answer.headers), content=answer.body)
        if "content-length" in answer.headers:
            response.headers["content-length"] = answer.headers["content-length"]
        return response

    real, fake = _mocked(handler), FakeFetcher(routes=dict(cases))
    for fetcher in (real, fake):
        for url in cases:
            with pytest.raises(FetchError) as caught:
                fetcher.fetch(url, max_bytes=100)
            assert caught.value.code == expected[url.rsplit("/", 1)[1]], (fetcher, url)
    assert isinstance(caught.value, ResponseTooLargeError)


def test_a_streamed_body_is_counted_without_content_length() -> None:
    def stream() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    fetcher = _mocked(lambda request: httpx.Response(200, content=stream()))
    with pytest.raises(ResponseTooLargeError):
        fetcher.fetch("https://issuer.example/list", max_bytes=10_000)
    assert len(fetcher.fetch("https://issuer.example/list", max_bytes=200_000).body) == 100_000


def test_error_answers_are_returned_with_their_body_and_headers_sent_as_given() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(400, json={"error": "invalid_grant"}, headers={"ETag": '"a"'})

    answer = _mocked(handler).fetch(
        "https://issuer.example/token", max_bytes=1000, method="POST", headers={"X-Test": "1"}, body=b"a=b"
    )
    assert (answer.status, answer.content_type, answer.etag) == (400, "application/json", '"a"')
    assert (seen[0].method, seen[0].headers["x-test"], seen[0].content) == ("POST", "1", b"a=b")
    assert seen[0].headers["accept-encoding"] == "identity"


def test_an_unreachable_server_is_a_fetch_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(FetchError) as caught:
        _mocked(refuse).fetch("https://issuer.example/", max_bytes=100)
    assert caught.value.code == "fetch.unreachable"


# ---------------------------------------------------------------------------------------------- a real slow server


class Trickle:
    """A plain HTTP server on 127.0.0.1 that sends ``head`` at once, then ``rest`` one byte every ``interval``."""

    def __init__(self, head: bytes, rest: bytes, *, interval: float) -> None:
        self.head, self.rest, self.interval = head, rest, interval
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/slow"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(self.head)
                for byte in self.rest:
                    if self.stopped.wait(self.interval):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.mark.parametrize(
    ("head", "rest"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100),
        (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"y" * 100 + b"\r\n\r\n"),
    ],
    ids=["body", "headers"],
)
def test_a_server_trickling_its_answer_is_cut_at_the_whole_request_bound(head: bytes, rest: bytes) -> None:
    server = Trickle(head, rest, interval=2.0)
    fetcher = HttpFetcher(http_client(timeouts=BOUNDS, user_agent="test"), total_timeout_seconds=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(server.url, max_bytes=10_000)
    finally:
        server.close()
        fetcher.close()
    elapsed = time.monotonic() - started
    assert caught.value.code == "fetch.timeout"
    # Each byte comes well within the 5 s read timeout; only the 1 s whole-request bound ends the fetch, which
    # would otherwise take 200 s. The margin is for a loaded machine, and shorter than the wait for another byte.
    assert elapsed < 1.0 + 0.8, elapsed
