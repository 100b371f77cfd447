"""The issuer's logging: the common redacting set-up (:mod:`common.redaction`), under the names its commands use.

The code never logs a CNIE number, a name or a birth date: it logs the keyed pseudonym of a CNIE
(:meth:`issuer.secrets.IssuerSecrets.pseudonym_of`) and credential ids; the common filter masks anything that
still looks like one. Requests are logged by the common request log with route templates, never raw paths.
"""

from __future__ import annotations

from common.redaction import RedactingFilter, RedactingFormatter, configure_logging, redact

__all__ = ["RedactingFilter", "RedactingFormatter", "configure_logging", "redact"]
