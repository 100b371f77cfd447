"""X.509 certificates for parties that must prove who they are: a registrar's CA, the certificates it issues, and
the validation of a presented chain against trust anchors.

A verifier signs its OpenID4VP requests with a key certified by a registrar (OpenID4VP 1.0 §5.9.3, the
``x509_san_dns`` and ``x509_hash`` Client Identifier Prefixes; HAIP 1.0): the wallet checks the chain in the
request's ``x5c`` header against the registrars' CA certificates it trusts. The same CA can certify keys for
another use, such as signing printed documents; each use is a :class:`CertificateProfile` (key usage and extended
key usage), and a validation names the profile it expects, so a document-signing certificate never passes for a
verifier's.

Files (every directory 0700, every file 0600, written atomically):

* a CA directory: ``ca.pem`` (the self-signed certificate, public: give it to wallets) and ``ca-key.pem`` (its
  private key, encrypted PKCS#8);
* a certified key directory: ``chain.pem`` (the leaf first, then any intermediate, never the root) and
  ``key.pem`` (the leaf's private key, encrypted PKCS#8).

Errors: :class:`CertificateError` (a credential fault: the presented chain is not acceptable) with the codes
``x509.malformed``, ``x509.chain_broken``, ``x509.untrusted``, ``x509.expired``, ``x509.not_yet_valid``,
``x509.usage_wrong``, ``x509.dns_mismatch``, ``x509.chain_invalid``; :class:`~vc.errors.ConfigurationError` for our
own files (``x509.file_missing``, ``x509.file_corrupt``, ``x509.file_unencrypted``, ``x509.passphrase_wrong``,
``x509.key_mismatch`` and the key directory's codes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError

from keys.directory import KeyDirectory
from vc.encoding import b64url_encode
from vc.errors import ConfigurationError, CredentialError
from vc.jose import SigningKey

CA_CERTIFICATE_FILE: Final = "ca.pem"
CA_KEY_FILE: Final = "ca-key.pem"
CHAIN_FILE: Final = "chain.pem"
KEY_FILE: Final = "key.pem"

#: How long a development CA and the certificates it issues are valid, by default.
CA_VALIDITY: Final = timedelta(days=10 * 365)
LEAF_VALIDITY: Final = timedelta(days=365)
#: The deepest chain accepted: leaf, at most two intermediates, root.
MAX_CHAIN_DEPTH: Final = 4
#: The most certificates an ``x5c`` header may carry.
MAX_X5C: Final = 5
_MAX_NAME_CHARS: Final = 200
_DNS_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class CertificateError(CredentialError):
    """A presented certificate or chain is not acceptable."""

    default_code = "x509.chain_invalid"


@dataclass(frozen=True, slots=True)
class CertificateProfile:
    """What a certificate is for: its extended key usage, checked when a chain is validated for this use."""

    name: str
    extended_key_usage: ObjectIdentifier


#: A verifier's access certificate (it signs OpenID4VP request objects). The EKU is ISO/IEC 18013-5's "mdoc
#: reader authentication" (1.0.18013.5.1.6), the usage the EUDI ecosystem gives relying-party access certificates.
VERIFIER_ACCESS: Final = CertificateProfile("verifier access", ObjectIdentifier("1.0.18013.5.1.6"))
#: A document signer's certificate (e.g. the seal on a printed diploma): RFC 9336 id-kp-documentSigning.
DOCUMENT_SIGNING: Final = CertificateProfile("document signing", ObjectIdentifier("1.3.6.1.5.5.7.3.36"))
PROFILES: Final = {"verifier-access": VERIFIER_ACCESS, "document-signing": DOCUMENT_SIGNING}


def check_dns_name(name: str) -> str:
    """A DNS host name in lower case (no wildcard, no trailing dot, no IP address; ``localhost`` for development).
    Raises :class:`ValueError`."""
    host = name.strip().lower().rstrip(".")
    labels = host.split(".")
    if host == "localhost":
        return host
    if len(host) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"not a DNS host name: {name!r} (expected e.g. verify.um5.ac.ma)")
    if labels[-1].isdigit():
        raise ValueError(f"an IP address is not a DNS host name: {name!r}")
    return host


def _check_display_name(name: str) -> str:
    text = " ".join(name.split())
    if not text or len(text) > _MAX_NAME_CHARS or not text.isprintable():
        raise ValueError(f"a certificate's name must be 1 to {_MAX_NAME_CHARS} printable characters")
    return text


def _name(organization: str, *, country: str = "MA") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, organization),
        ]
    )


def organization_of(certificate: x509.Certificate, *, of: str = "subject") -> str | None:
    """The organisation (else the common name) of a certificate's subject or ``of="issuer"``, or None."""
    name = certificate.subject if of == "subject" else certificate.issuer
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = name.get_attributes_for_oid(oid)
        if values and isinstance(values[0].value, str):
            return values[0].value
    return None


def dns_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """The dNSName entries of the certificate's subjectAltName, in lower case."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(name.lower() for name in extension.value.get_values_for_type(x509.DNSName))


def certificate_hash(certificate: x509.Certificate) -> str:
    """base64url (no padding) of the SHA-256 of the DER certificate: the ``x509_hash`` client identifier value."""
    return b64url_encode(hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest())


def x5c_of(chain: Sequence[x509.Certificate]) -> list[str]:
    """The ``x5c`` header value of ``chain`` (RFC 7515 §4.1.6: standard base64 of each DER certificate)."""
    return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii") for cert in chain]


def chain_from_x5c(value: object) -> tuple[x509.Certificate, ...]:
    """The certificates of an ``x5c`` header, leaf first. Raises :class:`CertificateError` ``x509.malformed``."""
    if not isinstance(value, list) or not value or len(value) > MAX_X5C:
        raise CertificateError(
            "the x5c header is not a non-empty array of certificates",
            code="x509.malformed",
            found=f"{type(value).__name__} of {len(value)}" if isinstance(value, list) else type(value).__name__,
            expected=f"1 to {MAX_X5C} base64 DER certificates, leaf first",
        )
    chain: list[x509.Certificate] = []
    for index, item in enumerate(value):
        try:
            if not isinstance(item, str):
                raise TypeError(type(item).__name__)
            chain.append(x509.load_der_x509_certificate(base64.b64decode(item, validate=True)))
        except (binascii.Error, TypeError, ValueError) as exc:
            raise CertificateError(
                "an x5c entry is not a base64 DER certificate",
                code="x509.malformed",
                found=f"x5c[{index}]: {exc}"[:120],
                expected="standard base64 (not base64url) of a DER X.509 certificate",
            ) from None
    return tuple(chain)


def load_pem_certificates(data: bytes, *, source: str) -> tuple[x509.Certificate, ...]:
    """Every certificate of a PEM file, in order. Raises :class:`ConfigurationError` ``x509.file_corrupt``."""
    try:
        certificates = tuple(x509.load_pem_x509_certificates(data))
    except ValueError as exc:
        raise ConfigurationError(
            "a certificate file cannot be read", code="x509.file_corrupt", found=f"{source}: {exc}"[:160]
        ) from exc
    return certificates


def load_trust_anchors(path: Path) -> tuple[x509.Certificate, ...]:
    """The CA certificates in a PEM file (one or more). Raises :class:`ConfigurationError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            "cannot read the trust anchors file",
            code="x509.file_missing",
            found=f"{path}: {exc.strerror or type(exc).__name__}",
            expected="a PEM file of CA certificates",
        ) from exc
    return load_pem_certificates(data, source=str(path))


# -- Issuing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertifiedKey:
    """A private key with its certificate chain (leaf first, root left out): what signs for a certified party."""

    chain: tuple[x509.Certificate, ...]
    key: SigningKey = field(repr=False)

    @property
    def certificate(self) -> x509.Certificate:
        """The leaf certificate."""
        return self.chain[0]

    def x5c(self) -> list[str]:
        """The chain as an ``x5c`` header value."""
        return x5c_of(self.chain)

    def save(self, directory: Path, *, passphrase: bytes) -> None:
        """Write ``chain.pem`` and the encrypted ``key.pem`` into ``directory`` (created 0700)."""
        files = KeyDirectory(directory)
        files.write_atomically(directory / KEY_FILE, _encrypted_pem(self.key, passphrase))
        files.write_atomically(
            directory / CHAIN_FILE, b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in self.chain)
        )

    @classmethod
    def load(cls, directory: Path, *, passphrase: bytes) -> CertifiedKey:
        """Read a directory :meth:`save` wrote; the key must be the leaf's. Raises :class:`ConfigurationError`."""
        chain = load_pem_certificates(_read(directory / CHAIN_FILE), source=str(directory / CHAIN_FILE))
        if not chain:
            raise ConfigurationError(
                "the certificate chain file holds no certificate",
                code="x509.file_corrupt",
                found=str(directory / CHAIN_FILE),
                expected="the leaf certificate, then any intermediate, in PEM",
            )
        key = _load_private(directory / KEY_FILE, passphrase)
        if chain[0].public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) != key.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            raise ConfigurationError(
                "the private key is not the key of the first certificate in the chain",
                code="x509.key_mismatch",
                found=str(directory),
                expected="chain.pem starting with the certificate of key.pem",
            )
        return cls(chain=chain, key=key)


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    """A registrar's certificate authority: a self-signed P-256 certificate and its key."""

    certificate: x509.Certificate
    key: SigningKey = field(repr=False)

    @classmethod
    def create(cls, *, name: str, now: datetime, validity: timedelta = CA_VALIDITY) -> CertificateAuthority:
        """A new CA named ``name`` (organisation and common name), valid from ``now``. Raises :class:`ValueError`."""
        signing = SigningKey.generate("ES256")
        private = _ec_key(signing)
        subject = _name(_check_display_name(name))
        identifier = x509.SubjectKeyIdentifier.from_public_key(private.public_key())
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(certificate_sign=True), critical=True)
            .add_extension(identifier, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(identifier), critical=False)
            .sign(private, hashes.SHA256())
        )
        return cls(certificate=certificate, key=signing)

    @property
    def name(self) -> str:
        return organization_of(self.certificate) or self.certificate.subject.rfc4514_string()

    def issue(
        self,
        *,
        organization: str,
        profile: CertificateProfile,
        now: datetime,
        dns_names: Sequence[str] = (),
        key: SigningKey | None = None,
        validity: timedelta = LEAF_VALIDITY,
    ) -> CertifiedKey:
        """Certify ``key`` (a fresh P-256 key by default) for ``organization`` and ``profile``, with ``dns_names`` as
        subjectAltName dNSNames. Raises :class:`ValueError` for a bad name or a non-EC key."""
        signing = key if key is not None else SigningKey.generate("ES256")
        public = _ec_key(signing).public_key()
        hosts = [check_dns_name(host) for host in dns_names]
        ca_key = _ec_key(self.key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(_check_display_name(organization)))
            .issuer_name(self.certificate.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(min(now + validity, self.certificate.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(certificate_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([profile.extended_key_usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts]), critical=False
            )
        return CertifiedKey(chain=(builder.sign(ca_key, hashes.SHA256()),), key=signing)

    def save(self, directory: Path, *, passphrase: bytes) -> None:
        """Write ``ca.pem`` and the encrypted ``ca-key.pem`` into ``directory`` (created 0700)."""
        files = KeyDirectory(directory)
        files.write_atomically(directory / CA_KEY_FILE, _encrypted_pem(self.key, passphrase))
        files.write_atomically(
            directory / CA_CERTIFICATE_FILE, self.certificate.public_bytes(serialization.Encoding.PEM)
        )

    @classmethod
    def load(cls, directory: Path, *, passphrase: bytes) -> CertificateAuthority:
        """Read a directory :meth:`save` wrote. Raises :class:`ConfigurationError`."""
        path = directory / CA_CERTIFICATE_FILE
        certificates = load_pem_certificates(_read(path), source=str(path))
        if len(certificates) != 1:
            raise ConfigurationError(
                "the CA certificate file must hold exactly one certificate",
                code="x509.file_corrupt",
                found=f"{path}: {len(certificates)} certificates",
            )
        key = _load_private(directory / CA_KEY_FILE, passphrase)
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        if certificates[0].public_key().public_bytes(serialization.Encoding.DER, spki) != _ec_key(
            key
        ).public_key().public_bytes(serialization.Encoding.DER, spki):
            raise ConfigurationError(
                "the CA key is not the key of the CA certificate", code="x509.key_mismatch", found=str(directory)
            )
        return cls(certificate=certificates[0], key=key)


def _key_usage(*, certificate_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not certificate_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certificate_sign,
        crl_sign=certificate_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _ec_key(signing: SigningKey) -> ec.EllipticCurvePrivateKey:
    if not isinstance(signing.key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"certificates are issued for EC keys only, not {type(signing.key).__name__}")
    return signing.key


# -- Validating ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValidatedChain:
    """A chain that :func:`validate_chain` accepted: the leaf, the path to the anchor, and the anchor."""

    leaf: x509.Certificate
    path: tuple[x509.Certificate, ...]

    @property
    def anchor(self) -> x509.Certificate:
        return self.path[-1]

    @property
    def subject_name(self) -> str | None:
        """The certified organisation (the leaf's O, else CN)."""
        return organization_of(self.leaf)

    @property
    def anchor_name(self) -> str:
        """Who certified it: the trust anchor's organisation."""
        return organization_of(self.anchor) or self.anchor.subject.rfc4514_string()


def _extended_key_usage_any(
    _policy: object, _certificate: x509.Certificate, _extension: x509.ExtendedKeyUsage | None
) -> None:
    """The profile's EKU is checked by :func:`validate_chain` itself, not by the Web PKI's serverAuth/clientAuth."""


def validate_chain(
    chain: Sequence[x509.Certificate],
    *,
    anchors: Sequence[x509.Certificate],
    profile: CertificateProfile,
    now: datetime,
    dns_name: str | None = None,
) -> ValidatedChain:
    """Validate ``chain`` (leaf first) up to one of ``anchors`` at ``now``, for ``profile`` and, if given, for the
    host ``dns_name`` (exactly one of the leaf's subjectAltName dNSNames; no wildcards).

    The steps, each with its own refusal (:class:`CertificateError`): (1) every certificate is within its validity
    period (``x509.expired``, ``x509.not_yet_valid``); (2) each certificate is signed by the next
    (``x509.chain_broken``); (3) the last one is issued by a trust anchor (``x509.untrusted``); (4) RFC 5280 path
    validation with cryptography's Web PKI rules (basic constraints, key usage, path length, names;
    ``x509.chain_invalid``); (5) the leaf's extended key usage is the profile's (``x509.usage_wrong``); (6) the
    DNS name (``x509.dns_mismatch``). An empty ``anchors`` refuses everything (``x509.untrusted``).
    """
    if not chain:
        raise CertificateError("no certificate was presented", code="x509.malformed", expected="a leaf certificate")
    if len(chain) > MAX_X5C:
        raise CertificateError(
            "the chain is too long", code="x509.malformed", found=len(chain), expected=f"at most {MAX_X5C}"
        )
    moment = now.astimezone(UTC)
    # (1) Dates first: an expired certificate is the most common failure and deserves its own words.
    for index, certificate in enumerate(chain):
        who = organization_of(certificate) or certificate.subject.rfc4514_string()
        if moment > certificate.not_valid_after_utc:
            raise CertificateError(
                "a certificate in the chain has expired",
                code="x509.expired",
                found=f"certificate {index} ({who}) valid until {certificate.not_valid_after_utc.isoformat()}",
                expected=f"valid at {moment.isoformat()}",
            )
        if moment < certificate.not_valid_before_utc:
            raise CertificateError(
                "a certificate in the chain is not valid yet",
                code="x509.not_yet_valid",
                found=f"certificate {index} ({who}) valid from {certificate.not_valid_before_utc.isoformat()}",
                expected=f"valid at {moment.isoformat()}",
            )
    # (2) Each certificate is signed by the next one.
    for index in range(len(chain) - 1):
        try:
            chain[index].verify_directly_issued_by(chain[index + 1])
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CertificateError(
                "the certificate chain is broken: a certificate is not signed by the next one",
                code="x509.chain_broken",
                found=f"certificate {index} ({chain[index].issuer.rfc4514_string()}): {exc or type(exc).__name__}",
                expected=f"signed by certificate {index + 1} ({chain[index + 1].subject.rfc4514_string()})",
            ) from None
    # (3) The top of the presented chain is one of the anchors or issued by one.
    top = chain[-1]
    if not any(top == anchor or _issued_by(top, anchor) for anchor in anchors):
        raise CertificateError(
            "the certificate was not issued by a registrar this wallet trusts",
            code="x509.untrusted",
            found=f"issued by {top.issuer.rfc4514_string()}",
            expected=f"one of {len(anchors)} trusted CA certificate(s)"
            + (f": {', '.join(sorted({organization_of(a) or '?' for a in anchors}))}" if anchors else ""),
        )
    # (4) Full path validation (basic constraints, key usage, path length, validity of the anchor too).
    leaf = chain[0]
    intermediates = [cert for cert in chain[1:] if cert not in anchors]
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _extended_key_usage_any
    )
    if dns_name is None:
        ee_policy = ee_policy.may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(moment.replace(tzinfo=None))
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        raise CertificateError(
            "the certificate chain does not validate",
            code="x509.chain_invalid",
            found=str(exc)[:200],
            expected="an RFC 5280 path to a trusted CA (CA:TRUE on issuers, digitalSignature on the leaf)",
        ) from None
    # (5) The leaf is certified for this use.
    try:
        usages = list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        usages = []
    if profile.extended_key_usage not in usages:
        raise CertificateError(
            f"the certificate is not for {profile.name}",
            code="x509.usage_wrong",
            found=[usage.dotted_string for usage in usages] or "no extended key usage",
            expected=f"extended key usage {profile.extended_key_usage.dotted_string} ({profile.name})",
        )
    # (6) The host it was presented for.
    if dns_name is not None and dns_name.lower().rstrip(".") not in dns_names(leaf):
        raise CertificateError(
            "the certificate is not for this host",
            code="x509.dns_mismatch",
            found=list(dns_names(leaf)) or "no DNS name in subjectAltName",
            expected=dns_name,
        )
    return ValidatedChain(leaf=leaf, path=tuple(verified.chain))


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# -- Files -------------------------------------------------------------------------------------------------------

_PEM_ENCRYPTED: Final = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def _encrypted_pem(signing: SigningKey, passphrase: bytes) -> bytes:
    if not passphrase:
        raise ConfigurationError("a private key is never written unencrypted", code="key.passphrase_missing")
    return signing.key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            "a certificate or key file is missing or unreadable",
            code="x509.file_missing",
            found=f"{path}: {exc.strerror or type(exc).__name__}",
        ) from exc


def _load_private(path: Path, passphrase: bytes) -> SigningKey:
    data = _read(path)
    mode = path.stat().st_mode
    if mode & 0o077:
        raise ConfigurationError(
            "a private key file is open to other users",
            code="key.file_insecure",
            found=f"{path}: mode {mode & 0o777:o}",
            expected=f"mode 600 (chmod 600 {path})",
        )
    if not data.strip().startswith(_PEM_ENCRYPTED):
        raise ConfigurationError(
            "a private key file is not encrypted",
            code="x509.file_unencrypted",
            found=str(path),
            expected="an encrypted PKCS#8 PEM file (BEGIN ENCRYPTED PRIVATE KEY)",
        )
    try:
        private = serialization.load_pem_private_key(data, password=passphrase)
    except ValueError as exc:
        raise ConfigurationError(
            "the passphrase does not decrypt the private key (or the file is damaged)",
            code="x509.passphrase_wrong",
            found=str(path),
        ) from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigurationError(
            "a private key file cannot be loaded", code="x509.file_corrupt", found=f"{path}: {type(exc).__name__}"
        ) from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ConfigurationError(
            "a certified key must be an EC key", code="x509.file_corrupt", found=f"{path}: {type(private).__name__}"
        )
    return SigningKey.from_private_key(private)


__all__ = [
    "DOCUMENT_SIGNING",
    "PROFILES",
    "VERIFIER_ACCESS",
    "CertificateAuthority",
    "CertificateError",
    "CertificateProfile",
    "CertifiedKey",
    "ValidatedChain",
    "certificate_hash",
    "chain_from_x5c",
    "check_dns_name",
    "dns_names",
    "load_pem_certificates",
    "load_trust_anchors",
    "organization_of",
    "validate_chain",
    "x5c_of",
]
