"""Logging for the issuer: one format, and no personal data in clear.

The code never logs a CNIE number, a name or a birth date: it logs the keyed pseudonym of a CNIE
(:meth:`issuer.secrets.IssuerSecrets.pseudonym_of`) and credential ids. As a second line of defence,
:class:`RedactingFilter` masks anything in a log message or traceback that looks like a CNIE number or a
calendar date (database errors, for instance, can quote the row that failed). Requests are logged by
:class:`AccessLog` with the route's template (``/offers/{offer_id}``), never the raw path or query, which
may carry an offer id; uvicorn's own access log is switched off.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CNIE_LIKE: Final = re.compile(r"\b[A-Za-z]{1,2}\s?[0-9]{4,8}\b")
_DATE_LIKE: Final = re.compile(r"\b(1[89]|20)[0-9]{2}-[01][0-9]-[0-3][0-9]\b")
_MASK: Final = "[redacted]"

logger = logging.getLogger("tawtiq.issuer")


def redact(text: str) -> str:
    """Mask CNIE-like tokens and calendar dates in ``text``."""
    return _DATE_LIKE.sub(_MASK, _CNIE_LIKE.sub(_MASK, text))


class RedactingFilter(logging.Filter):
    """Masks CNIE-like tokens and dates in the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter that also masks tracebacks (even one another handler formatted and cached first)."""

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text
        record.exc_text = None  # make the base class call formatException, below
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: Any) -> str:  # noqa: N802 - the logging API's name
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))


def configure_logging(level: str = "INFO") -> None:
    """Send ``tawtiq.*``, uvicorn and SQLAlchemy warnings to stderr, redacted, in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_tawtiq", False):
            root.removeHandler(existing)
    handler._tawtiq = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


class AccessLog:
    """ASGI middleware logging one line per request: method, route template, status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(no route)"
            logger.info(
                "%s %s -> %d in %.1f ms",
                scope.get("method", "?"),
                template,
                status,
                (time.perf_counter() - started) * 1000,
            )
