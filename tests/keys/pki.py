"""A small public-key infrastructure for tests: a registrar's CA, a verifier's access certificate, and broken
variants of both (one per refusal), built with :mod:`keys.x509` and, for what it refuses to make, ``cryptography``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from keys.x509 import VERIFIER_ACCESS, CertificateAuthority, CertificateProfile, CertifiedKey

REGISTRAR: str = "Registre national des vérificateurs (test)"
UNIVERSITY: str = "Université Mohammed V"


@dataclass(frozen=True)
class Pki:
    """A CA and a verifier certified by it for ``host``."""

    ca: CertificateAuthority
    verifier: CertifiedKey
    host: str

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        return (self.ca.certificate,)


def make_pki(now: datetime, *, host: str = "verify.um5.ac.ma", profile: CertificateProfile = VERIFIER_ACCESS) -> Pki:
    ca = CertificateAuthority.create(name=REGISTRAR, now=now - timedelta(days=1))
    return Pki(ca=ca, verifier=ca.issue(organization=UNIVERSITY, profile=profile, now=now, dns_names=[host]), host=host)


def signed_by_leaf(pki: Pki, now: datetime) -> CertifiedKey:
    """A certificate signed by the verifier's own (non-CA) key: a chain no registrar vouches for at its first link."""
    rogue = CertificateAuthority(certificate=pki.verifier.certificate, key=pki.verifier.key)
    issued = rogue.issue(organization="Rogue", profile=VERIFIER_ACCESS, now=now, dns_names=[pki.host])
    return CertifiedKey(chain=(*issued.chain, pki.verifier.certificate), key=issued.key)


def without_extended_key_usage(pki: Pki, now: datetime) -> x509.Certificate:
    """The verifier's certificate re-signed without its extended key usage."""
    leaf = pki.verifier.certificate
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(leaf.issuer)
        .public_key(leaf.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )
    for extension in leaf.extensions:
        if not isinstance(extension.value, x509.ExtendedKeyUsage):
            builder = builder.add_extension(extension.value, critical=extension.critical)
    return builder.sign(pki.ca.key.key, hashes.SHA256())
