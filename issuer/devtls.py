"""A self-signed TLS certificate for a development issuer on a loopback host.

SD-JWT VC copies reference a Token Status List that must be served over https, so a development issuer
that wants to issue them runs with ``TAWTIQ_ISSUER_URL=https://127.0.0.1:8100`` and
``tawtiq serve issuer --self-signed``: the certificate made here (P-256, valid 30 days, subject
alternative names ``127.0.0.1``, ``::1`` and ``localhost``) is written to ``<data dir>/tls/`` and reused
while valid. Clients trust it by pointing at ``cert.pem`` (``SSL_CERT_FILE``, httpx ``verify=``).
Never for production: production TLS terminates at the deployment's own certificate.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def ensure_self_signed(directory: Path, *, now: datetime | None = None) -> tuple[Path, Path]:
    """Return ``(cert.pem, key.pem)`` in ``directory``, creating them if missing or expiring within a day."""
    now = now or datetime.now(UTC)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if cert_path.exists() and key_path.exists():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if existing.not_valid_after_utc > now + timedelta(days=1):
            return cert_path, key_path
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tawtiq development issuer (loopback only)")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
