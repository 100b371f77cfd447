"""The one way every Tawtiq service is served: uvicorn with httptools and uvloop, read deadlines, connection bounds.

Every service's ``serve`` command calls :func:`serve`; what it adds to plain uvicorn, and why:

* **httptools + uvloop** (``uvicorn[standard]``): a trivial endpoint answers several times faster than with
  uvicorn's pure-Python h11 parser on the asyncio loop (figures: ``make bench``, part ``serving``).
* **Worker processes** (``workers``): uvicorn's supervisor binds the socket and hands it to each worker.
  The sockets accepted from a socket bound that way lost ``TCP_NODELAY`` (uvicorn binds it without
  ``IPPROTO_TCP``, and asyncio only sets the option on sockets that name it), so Nagle's algorithm held every
  answer on a keep-alive connection for about 44 ms. :class:`BoundedHttpToolsProtocol` sets ``TCP_NODELAY`` on
  each accepted connection, whatever bound the socket.
* **Slow and hostile clients** (:class:`ServingSettings`, environment ``TAWTIQ_SERVING_*``): uvicorn bounds
  neither the time to send a request's headers nor its body, so a few hundred connections that never finish
  their headers, or a body sent at one byte a second, hold a process's connections and memory. The protocol
  closes a connection whose request line and headers are not complete within ``header_timeout_seconds`` (with
  408) or exceed ``max_header_bytes`` (with 431), and answers 408 and closes when a request's body is not
  complete within ``body_timeout_seconds`` of its headers (the application then reads ``http.disconnect``, and
  anything it sends is dropped). uvicorn itself bounds idle keep-alive connections
  (``keep_alive_timeout_seconds``) and answers 503 beyond ``max_connections_per_process``.

In production a front (nginx, ``deploy/nginx/tawtiq.conf``) applies the same bounds before a request reaches a
service; these are the service's own, for when the front is missing or let something through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
from pathlib import Path
from typing import Any, Final

import uvicorn
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from uvicorn.supervisors import Multiprocess

from vc.errors import ConfigurationError

logger = logging.getLogger("tawtiq.serving")

_HEADERS_TOO_SLOW: Final = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
_HEADERS_TOO_LARGE: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
)
_BODY_TOO_SLOW: Final = _HEADERS_TOO_SLOW


class ServingSettings(BaseSettings):
    """Bounds of one served process, from ``TAWTIQ_SERVING_*`` (the same for every service)."""

    model_config = SettingsConfigDict(env_prefix="TAWTIQ_SERVING_", frozen=True)

    #: Time from a connection's first byte (or its opening) to the end of a request's headers.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    #: Time from the end of a request's headers to the end of its body.
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    #: An idle keep-alive connection is closed after this long.
    keep_alive_timeout_seconds: int = Field(default=5, ge=1, le=300)
    #: Open connections (and requests in progress) of one process; beyond, requests are answered 503.
    max_connections_per_process: int = Field(default=1000, ge=1, le=100_000)
    #: Size of a request line and headers (approximate to one read of the socket); beyond, 431.
    max_header_bytes: int = Field(default=64 * 1024, ge=4096, le=1024 * 1024)


def serving_settings() -> ServingSettings:
    """The settings from the environment; raises :class:`ConfigurationError` naming the variable at fault."""
    try:
        return ServingSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = f"TAWTIQ_SERVING_{'.'.join(str(part) for part in error.get('loc', ())).upper()}"
        raise ConfigurationError(
            f"{name} is not a usable serving bound: {error.get('msg')}",
            code="serving.invalid_setting",
            found=error.get("input"),
        ) from None


class ServingConfig(uvicorn.Config):
    """uvicorn's configuration with our bounds and log level (picklable: worker processes receive them too)."""

    def __init__(self, app: Any, *, bounds: ServingSettings, log_level: str | None = None, **options: Any) -> None:
        self.bounds = bounds
        self.redacted_log_level = log_level
        super().__init__(app, **options)

    def configure_logging(self) -> None:
        """uvicorn calls this in every process: with a log level, all logs go out redacted, in one format."""
        super().configure_logging()
        if self.redacted_log_level is not None:
            from common.redaction import configure_logging

            configure_logging(self.redacted_log_level)


_DEFAULT_BOUNDS: Final = ServingSettings.model_construct()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with ``TCP_NODELAY``, header and body read deadlines and a header-size bound.

    One timer per connection: armed for the headers when the connection opens and when a request's first byte
    arrives, re-armed for the body when the headers are complete, cancelled when the body is.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.bounds = config.bounds if isinstance(config, ServingConfig) else _DEFAULT_BOUNDS
        self.read_deadline: asyncio.TimerHandle | None = None
        self.reading_headers = False
        self.header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # the peer may already have left
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        within_headers = self.reading_headers
        super().data_received(data)
        if within_headers and self.reading_headers:
            self.header_bytes += len(data)
            if self.header_bytes > self.bounds.max_header_bytes:
                self._refuse_headers(_HEADERS_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0
        if not self.reading_headers:
            self._await_headers()

    def on_headers_complete(self) -> None:
        self.reading_headers = False
        self._arm(self.bounds.body_timeout_seconds, self._body_too_slow)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        super().on_message_complete()

    def _await_headers(self) -> None:
        self.reading_headers = True
        self._arm(self.bounds.header_timeout_seconds, self._refuse_headers, _HEADERS_TOO_SLOW)

    def _arm(self, seconds: float, callback: Any, *args: Any) -> None:
        self._cancel_deadline()
        self.read_deadline = self.loop.call_later(seconds, callback, *args)

    def _cancel_deadline(self) -> None:
        if self.read_deadline is not None:
            self.read_deadline.cancel()
            self.read_deadline = None

    def _refuse_headers(self, answer: bytes) -> None:
        self._cancel_deadline()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # never inside a response still being sent
            self.transport.write(answer)
        self.transport.close()

    def _body_too_slow(self) -> None:
        self.read_deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started and not self.pipeline:
            self.transport.write(_BODY_TOO_SLOW)
            cycle.disconnected = True  # the application now reads http.disconnect; its answer is dropped
            cycle.message_event.set()
        self.transport.close()


def _allow_open_files(connections: int) -> None:
    """Raise this process's open-file limit (up to the hard limit) so ``connections`` sockets fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # database connections, log files, the listening socket
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )


def serving_config(
    app: Any,
    *,
    host: str,
    port: int,
    workers: int = 1,
    bounds: ServingSettings,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    forwarded_allow_ips: str | None = None,
    log_level: str | None = None,
) -> ServingConfig:
    """uvicorn's configuration for ``app`` (see :func:`serve`): our protocol on uvloop, with ``bounds``."""
    return ServingConfig(
        app,
        bounds=bounds,
        log_level=log_level,
        factory=isinstance(app, str),
        host=host,
        port=port,
        workers=workers,
        http=BoundedHttpToolsProtocol,
        loop="uvloop",
        limit_concurrency=bounds.max_connections_per_process,
        timeout_keep_alive=bounds.keep_alive_timeout_seconds,
        access_log=False,  # each service writes its own, redacted, request log
        log_config=None,
        server_header=False,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    workers: int = 1,
    bounds: ServingSettings | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    forwarded_allow_ips: str | None = None,
    log_level: str | None = None,
) -> None:
    """Serve ``app`` until interrupted (see the module docstring).

    ``app`` is an ASGI application, or with ``workers`` above 1 the ``"module:factory"`` name of a function that
    builds it (each worker process builds its own). ``forwarded_allow_ips`` names the fronts whose
    ``X-Forwarded-For``/``-Proto`` are believed (none by default). ``bounds`` default to ``TAWTIQ_SERVING_*``.
    With ``log_level``, every process (the workers too) logs through :func:`common.redaction.configure_logging`.
    Raises :class:`ConfigurationError` for a worker count below 1, several workers without a factory name, or an
    unusable bound.
    """
    if workers < 1:
        raise ConfigurationError("the worker count must be at least 1", found=workers, expected="1 or more")
    if workers > 1 and not isinstance(app, str):
        raise ConfigurationError(
            "several workers need the application's factory by name", found=type(app).__name__, expected="module:name"
        )
    bounds = bounds or serving_settings()
    _allow_open_files(bounds.max_connections_per_process)
    config = serving_config(
        app,
        host=host,
        port=port,
        workers=workers,
        bounds=bounds,
        tls_cert=tls_cert,
        tls_key=tls_key,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:  # pragma: no cover - a terminal's Ctrl-C
        pass
