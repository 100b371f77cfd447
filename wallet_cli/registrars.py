"""The registrars this wallet trusts to certify verifiers: the CA certificates shipped with it
(``wallet_cli/registrars.pem``) and those the holder adds (``--trust-anchors FILE``, ``TAWTIQ_WALLET_TRUST_ANCHORS``).

A verifier that signs its request with a certificate none of them issued is refused; a development CA is trusted
only when given explicitly.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

from cryptography import x509

from keys.x509 import load_pem_certificates
from vc import TawtiqError
from wallet_cli.errors import UsageError

SHIPPED: Final = "registrars.pem"
_PEM_CERTIFICATE: Final = b"-----BEGIN CERTIFICATE-----"


def _certificates(data: bytes, *, source: str) -> tuple[x509.Certificate, ...]:
    if _PEM_CERTIFICATE not in data:
        return ()
    try:
        return load_pem_certificates(data, source=source)
    except TawtiqError as exc:
        raise UsageError(
            "the trust anchors file cannot be read",
            code="trust_anchors.invalid",
            found=exc.found,
            expected="CA certificates in PEM",
        ) from None


def shipped() -> tuple[x509.Certificate, ...]:
    """The registrars' CA certificates that ship with the wallet."""
    resource = files("wallet_cli").joinpath(SHIPPED)
    return _certificates(resource.read_bytes(), source=SHIPPED)


def trust_anchors(extra: Path | None) -> tuple[x509.Certificate, ...]:
    """The shipped anchors and those in ``extra``. Raises :class:`UsageError` ``trust_anchors.invalid``."""
    anchors = shipped()
    if extra is None:
        return anchors
    try:
        data = extra.read_bytes()
    except OSError as exc:
        raise UsageError(
            "cannot read the trust anchors file",
            code="trust_anchors.invalid",
            found=f"{extra}: {exc.strerror or type(exc).__name__}",
            expected="a PEM file of registrars' CA certificates",
        ) from None
    added = _certificates(data, source=str(extra))
    if not added:
        raise UsageError(
            "the trust anchors file holds no certificate",
            code="trust_anchors.invalid",
            found=str(extra),
            expected="one or more registrars' CA certificates in PEM (BEGIN CERTIFICATE)",
        )
    return anchors + tuple(cert for cert in added if cert not in anchors)
