"""One redaction of personal data for every service's logs, and the one logging set-up that applies it.

The code never logs a CNIE number, a name or a birth date on purpose: it logs keyed pseudonyms and credential
ids. As a second line of defence, :func:`redact` masks anything in a log message or a traceback that looks like
a CNIE number or a calendar date (database errors, for instance, can quote the row that failed), and
:func:`configure_logging` installs it on the one handler every service logs through.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Final

_CNIE_LIKE: Final = re.compile(r"\b[A-Za-z]{1,2}\s?[0-9]{4,8}\b")
_DATE_LIKE: Final = re.compile(r"\b(1[89]|20)[0-9]{2}-[01][0-9]-[0-3][0-9]\b")
MASK: Final = "[redacted]"
#: One line format for every service.
LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """``text`` with CNIE-like tokens and calendar dates masked."""
    return _DATE_LIKE.sub(MASK, _CNIE_LIKE.sub(MASK, text))


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
    """Send every logger (ours, uvicorn's, SQLAlchemy's warnings) to stderr, redacted, in one format.

    Idempotent: a second call replaces the handler the first one installed. Uvicorn's access log is switched
    off; each service logs requests itself with route templates, never raw paths (:class:`common.service.RequestLog`).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_tawtiq", False):
            root.removeHandler(existing)
    handler._tawtiq = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
