"""Benchmark of the serving layer (:mod:`common.serving`) every service runs under, on a trivial endpoint.

Two figures guard what the results-day issue found:

* ``one_connection_p50_ms``: the median latency of sequential requests on **one keep-alive connection**, with 1
  and with 2 worker processes. Before the fix, the multi-process path lost ``TCP_NODELAY`` on accepted sockets and
  every answer waited about 44 ms for Nagle's algorithm; ``workers_2_minus_1_ms`` is the difference (target: at
  most :data:`TARGET_WORKERS_GAP_MS`).
* ``trivial_requests_per_second``: throughput of the trivial endpoint with a few connections in flight, served
  by :mod:`common.serving` (httptools + uvloop) and by plain uvicorn (h11 + asyncio), for comparison.

The server runs in a process of its own (``python -m tawtiq.bench.serving serve …``); the load comes from this
process over loopback. Not a test: it never fails a build; ``make bench`` prints the figures (milliseconds,
requests per second).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

TARGET_WORKERS_GAP_MS: Final = 2.0
_REQUEST: Final = b"GET /trivial HTTP/1.1\r\nHost: bench\r\n\r\n"
_BODY: Final = b'{"ok":true}'


async def trivial_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The trivial endpoint: a fixed small JSON body for any request (lifespan events are acknowledged)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _BODY})


def trivial_factory() -> Any:
    """uvicorn's factory for the trivial app (worker processes import it by name)."""
    return trivial_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_response(connection: socket.socket) -> None:
    """Read one response of the trivial endpoint (headers, then its fixed-length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    body = data.partition(b"\r\n\r\n")[2]
    while len(body) < len(_BODY):
        body += connection.recv(4096)


@contextmanager
def _served(*, workers: int, plain: bool) -> Iterator[int]:
    """The trivial app served in a child process until the block ends; yields its port once it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "tawtiq.bench.serving", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen([*command, *(["--plain"] if plain else [])], stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(_REQUEST)
                    _read_response(probe)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the benchmark server did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def one_connection_p50_ms(port: int, *, requests: int) -> float:
    """Median latency (ms) of ``requests`` sequential requests on one keep-alive connection."""
    latencies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        for _ in range(requests):
            started = time.perf_counter()
            connection.sendall(_REQUEST)
            _read_response(connection)
            latencies.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(latencies[requests // 10 :]), 3)


async def _requests_per_second(port: int, *, connections: int, seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            writer.write(_REQUEST)
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(len(_BODY))
            done += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return round(done / (time.perf_counter() - started))


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure both figures (see the module docstring) and return them."""
    requests = 200 if quick else 1000
    seconds = 1.0 if quick else 3.0
    p50: dict[str, float] = {}
    for workers in (1, 2):
        with _served(workers=workers, plain=False) as port:
            p50[f"workers_{workers}"] = one_connection_p50_ms(port, requests=requests)
    throughput: dict[str, float] = {}
    for name, plain in (("serving", False), ("plain_uvicorn", True)):
        with _served(workers=1, plain=plain) as port:
            throughput[name] = asyncio.run(_requests_per_second(port, connections=8, seconds=seconds))
    gap = round(p50["workers_2"] - p50["workers_1"], 3)
    return {
        "one_connection_p50_ms": p50,
        "workers_2_minus_1_ms": gap,
        "workers_gap_target_ms": TARGET_WORKERS_GAP_MS,
        "workers_gap_within_target": gap <= TARGET_WORKERS_GAP_MS,
        "trivial_requests_per_second": throughput,
        "serving_vs_plain": round(throughput["serving"] / throughput["plain_uvicorn"], 2),
    }


def _serve(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tawtiq.bench.serving serve")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="plain uvicorn (h11, asyncio) instead of ours")
    options = parser.parse_args(argv)
    target = "tawtiq.bench.serving:trivial_factory"
    if options.plain:
        import uvicorn

        uvicorn.run(
            target, factory=True, port=options.port, workers=options.workers, http="h11", loop="asyncio",
            log_level="warning",
        )  # fmt: skip
        return
    from common.serving import serve

    serve(target, host="127.0.0.1", port=options.port, workers=options.workers)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve(sys.argv[2:])
    else:
        import json

        print(json.dumps(run(quick=os.environ.get("TAWTIQ_BENCH_QUICK", "") not in ("", "0"))))
